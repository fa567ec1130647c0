/**
 * Keeps a board model (board.ts) in step with a local db: reads the day's stops, their events,
 * the accounts they name and every device status doc, then follows the db's changes doc by doc.
 * Sync never knows about it: what the device holds is what the board shows, online or not.
 */
import { ensureIndexes, INDEX } from '../db/indexes';
import type { LocalDb } from '../db/pouch';
import { createBoard, type BoardModel } from './board';

/** The Mango index of events by time (only events carry `occurredAt`), made on first use. */
export const EVENTS_BY_TIME = 'board-events-by-time';

type Doc = Record<string, unknown> & { _id: string; _deleted?: boolean };

const ensured = new WeakMap<LocalDb, Promise<void>>();

function ensureEventIndex(db: LocalDb): Promise<void> {
  let done = ensured.get(db);
  if (!done) {
    done = db
      .createIndex({
        index: { fields: ['occurredAt'], name: EVENTS_BY_TIME, ddoc: EVENTS_BY_TIME },
      })
      .then(() => undefined);
    ensured.set(db, done);
    done.catch(() => ensured.delete(db));
  }
  return done;
}

const docsOf = (rows: { doc?: unknown }[]) =>
  rows.map((r) => r.doc as Doc | undefined).filter((d): d is Doc => !!d);

/** The docs a board of `date` starts from: stops of the day, events around it, devices. */
export async function readBoardDocs(db: LocalDb, date: string): Promise<Doc[]> {
  await Promise.all([ensureIndexes(db), ensureEventIndex(db)]);
  const [y, m, d] = date.split('-').map(Number);
  // A day either side: events are in corrected UTC time, the day is local.
  const from = new Date(y, m - 1, d - 1).toISOString();
  const to = new Date(y, m - 1, d + 2).toISOString();
  const [stops, events, devices] = await Promise.all([
    db.find({ selector: { date }, use_index: INDEX.stopsByDay, limit: 100_000 }),
    db.find({
      selector: { occurredAt: { $gte: from, $lt: to } },
      use_index: EVENTS_BY_TIME,
      limit: 100_000,
    }),
    db.allDocs({ startkey: 'device:', endkey: 'device:\ufff0', include_docs: true }),
  ]);
  return [
    ...(stops.docs as unknown as Doc[]).filter((s) => s.type === 'stop'),
    ...(events.docs as unknown as Doc[]).filter((e) => e.type === 'event'),
    ...docsOf(devices.rows),
  ];
}

/** Ids the board reads: Outpost docs (`<type>:<key>`; any of them is a sign of life). */
export const boardRelevant = (id: string) => /^[a-z]+:/.test(id);

export interface BoardFeed {
  readonly model: BoardModel;
  /** Resolves once the first read is on the board. */
  readonly ready: Promise<void>;
  stop(): void;
}

/**
 * Builds the board of `date` from `db` and follows it; `onUpdate` hears the reps each change
 * touched (coalesced per microtask: a pulled batch of 500 docs is one update).
 */
export function followBoard(
  db: LocalDb,
  date: string,
  onUpdate: (touched: Set<string>) => void,
  onError: (err: unknown) => void = () => {},
): BoardFeed {
  const model = createBoard(date);
  let stopped = false;
  let feed: PouchDB.Core.Changes<Record<string, unknown>> | null = null;
  let queued: Set<string> | null = null;
  const asked = new Set<string>();

  function publish(touched: Set<string>) {
    if (touched.size === 0 || stopped) return;
    if (queued) {
      for (const rep of touched) queued.add(rep);
      return;
    }
    queued = new Set(touched);
    queueMicrotask(() => {
      const reps = queued!;
      queued = null;
      if (!stopped) onUpdate(reps);
      fillAccounts().then(publish, onError);
    });
  }

  /** Reads the names of accounts the day's stops name and the board has not seen. */
  async function fillAccounts(): Promise<Set<string>> {
    const ids = model.missingAccounts().filter((id) => !asked.has(id));
    if (ids.length === 0 || stopped) return new Set();
    for (const id of ids) asked.add(id);
    const res = await db.allDocs({ keys: ids, include_docs: true });
    return model.load(docsOf(res.rows as { doc?: unknown }[]));
  }

  const ready = (async () => {
    const since = (await db.info()).update_seq;
    const docs = await readBoardDocs(db, date);
    if (stopped) return;
    model.load(docs);
    await fillAccounts();
    if (stopped) return;
    onUpdate(new Set(model.reps()));
    feed = db
      .changes({ since, live: true, include_docs: true, return_docs: false })
      .on('change', (change) => {
        if (!boardRelevant(change.id)) return;
        const doc = (change.doc ?? { _id: change.id, _deleted: change.deleted }) as Doc;
        delete doc._attachments; // a photo's images are no business of the board
        publish(model.apply(doc));
      })
      .on('error', onError);
  })();
  ready.catch(onError);

  return {
    model,
    ready,
    stop() {
      stopped = true;
      feed?.cancel();
    },
  };
}
