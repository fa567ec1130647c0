/** Read models for the pages: today's route, a stop with everything on it, an account. */
import { INDEX, ensureIndexes } from '../db/indexes';
import type { LocalDb } from '../db/pouch';
import { migrate } from '../domain/schema';
import type {
  AccountDoc,
  DocType,
  EventDoc,
  NoteDoc,
  OutpostDoc,
  StopDoc,
  StopStatus,
  TaskDoc,
} from '../domain/types';
import { isDocType } from '../domain/types';
import { toOutpostError } from '../errors';
import type { Store } from './store';

export interface RouteStop {
  stop: StopDoc;
  /** Null when the account has not reached this device (yet). */
  account: AccountDoc | null;
}

export interface DayRoute {
  date: string;
  assignee: string;
  /** Ordered by route position. */
  stops: RouteStop[];
  /** Stops finished (done or skipped). */
  completed: number;
  /** Stops that count towards the day (all but cancelled). */
  total: number;
  /** The first stop still to visit, if any. */
  next: RouteStop | null;
  /** Count of stops per status. */
  byStatus: Record<StopStatus, number>;
}

export interface StopDetail {
  stop: StopDoc;
  account: AccountDoc | null;
  /** Check-in/out events, oldest first. */
  events: EventDoc[];
  checkIn: EventDoc | null;
  checkOut: EventDoc | null;
  /** Newest first. */
  notes: NoteDoc[];
  /** In creation order. */
  tasks: TaskDoc[];
}

export interface AccountDetail {
  account: AccountDoc;
  /** Visits to this account, newest date first. */
  stops: StopDoc[];
  /** Notes on the account or its stops, newest first. */
  notes: NoteDoc[];
}

type Row = Record<string, unknown>;

function typed<T extends OutpostDoc>(row: Row): T {
  return (isDocType(row.type) ? migrate(row.type as DocType, row) : row) as T;
}

async function findBy(db: LocalDb, index: string, selector: Row): Promise<OutpostDoc[]> {
  await ensureIndexes(db);
  try {
    const res = await db.find({ selector, use_index: index, limit: 10_000 });
    return res.docs.map((d) => typed(d as Row));
  } catch (err) {
    throw toOutpostError(err);
  }
}

async function accountsById(db: LocalDb, ids: string[]): Promise<Map<string, AccountDoc>> {
  const unique = [...new Set(ids)];
  const map = new Map<string, AccountDoc>();
  if (unique.length === 0) return map;
  const res = await db.allDocs({ keys: unique, include_docs: true });
  for (const row of res.rows) {
    if ('doc' in row && row.doc && (row.doc as Row).type === 'account') {
      map.set(row.id, typed<AccountDoc>(row.doc as Row));
    }
  }
  return map;
}

const bySeq = (a: StopDoc, b: StopDoc) => a.seq - b.seq || (a._id < b._id ? -1 : 1);
const newestFirst = (a: NoteDoc, b: NoteDoc) =>
  a.createdAt === b.createdAt ? (a._id < b._id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;

/** When a doc was created: its earliest field clock (every field is stamped at creation). */
function createdHlc(doc: OutpostDoc): string {
  const clocks = Object.values(doc.fieldClock ?? {});
  return clocks.length ? clocks.reduce((a, b) => (a < b ? a : b)) : doc.updatedAt;
}
const creationOrder = (a: OutpostDoc, b: OutpostDoc) => {
  const ca = createdHlc(a);
  const cb = createdHlc(b);
  return ca === cb ? (a._id < b._id ? -1 : 1) : ca < cb ? -1 : 1;
};
const TO_VISIT: StopStatus[] = ['planned', 'en_route', 'arrived'];

/** Builds the read-side queries over a store. */
export function createQueries(store: Store) {
  const { db } = store;

  return {
    /** The route of one day for an assignee (default: the signed-in user), in route order. */
    async dayRoute(date: string, assignee: string = store.ctx.user): Promise<DayRoute> {
      const docs = await findBy(db, INDEX.stopsByDay, { date, assignee });
      const stops = (docs.filter((d) => d.type === 'stop') as StopDoc[]).sort(bySeq);
      const accounts = await accountsById(
        db,
        stops.map((s) => s.accountId),
      );
      const route = stops.map((stop) => ({ stop, account: accounts.get(stop.accountId) ?? null }));
      const byStatus = { planned: 0, en_route: 0, arrived: 0, done: 0, skipped: 0, cancelled: 0 };
      for (const s of stops) byStatus[s.status] += 1;
      return {
        date,
        assignee,
        stops: route,
        completed: byStatus.done + byStatus.skipped,
        total: stops.length - byStatus.cancelled,
        next: route.find((r) => TO_VISIT.includes(r.stop.status)) ?? null,
        byStatus,
      };
    },

    /** A stop with its account, events, notes and tasks; throws not_found. */
    async stopDetail(stopId: string): Promise<StopDetail> {
      const stop = await store.get('stop', stopId);
      const [account, related] = await Promise.all([
        store.find('account', stop.accountId),
        findBy(db, INDEX.byStop, { stopId }),
      ]);
      const events = (related.filter((d) => d.type === 'event') as EventDoc[]).sort((a, b) =>
        a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0,
      );
      return {
        stop,
        account,
        events,
        checkIn: events.find((e) => e.kind === 'check_in') ?? null,
        checkOut: events.find((e) => e.kind === 'check_out') ?? null,
        notes: (related.filter((d) => d.type === 'note') as NoteDoc[]).sort(newestFirst),
        tasks: (related.filter((d) => d.type === 'task') as TaskDoc[]).sort(creationOrder),
      };
    },

    /** An account with its visits and notes; throws not_found. */
    async accountDetail(accountId: string): Promise<AccountDetail> {
      const account = await store.get('account', accountId);
      const related = await findBy(db, INDEX.byAccount, { accountId });
      return {
        account,
        stops: (related.filter((d) => d.type === 'stop') as StopDoc[]).sort((a, b) =>
          a.date === b.date ? bySeq(a, b) : a.date < b.date ? 1 : -1,
        ),
        notes: (related.filter((d) => d.type === 'note') as NoteDoc[]).sort(newestFirst),
      };
    },
  };
}

export type Queries = ReturnType<typeof createQueries>;
