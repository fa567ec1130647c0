/** The rep's and supervisor's writes: check in/out, stop status, notes, tasks, account edits. */
import { INDEX, ensureIndexes } from '../db/indexes';
import { LIMITS, validateDoc } from '../domain/validate';
import { forwardStatus, statusChangeError } from '../domain/status';
import type {
  AccountDoc,
  EventDoc,
  EventKind,
  NoteDoc,
  StopStatus,
  TaskDoc,
} from '../domain/types';
import { createError, toOutpostError } from '../errors';
import type { Store } from './store';

/** Result of a check-in or check-out: the event and whether this call created it. */
export interface EventResult {
  event: EventDoc;
  created: boolean;
}

/** Account fields a rep may edit from the device. */
export type AccountPatch = Partial<
  Pick<AccountDoc, 'name' | 'phone' | 'info' | 'address' | 'contacts'>
>;

const EDITABLE_ACCOUNT_FIELDS = new Set(['name', 'phone', 'info', 'address', 'contacts']);

/** How a check-in/out was made: the tap's event id and time, so a retry records the same event. */
export interface EventOptions {
  eventId?: string;
  /** Device clock (ms) when the rep tapped; default now. The event happened then, not at write time. */
  tappedAt?: number;
}

/** How far back a tap time may lie: a write retried after a crash still keeps its tap time. */
const MAX_TAP_AGE_MS = 7 * 24 * 3600_000;
/** How far ahead of the device clock a tap time may lie (clock reads on one device). */
const MAX_TAP_AHEAD_MS = 60_000;

/** The tap time to record, or an `invalid` error for one that is not a plausible device time. */
function tapTime(tappedAt: number | undefined, now: number): number {
  if (tappedAt === undefined) return now;
  if (
    typeof tappedAt !== 'number' ||
    !Number.isFinite(tappedAt) ||
    tappedAt > now + MAX_TAP_AHEAD_MS ||
    tappedAt < now - MAX_TAP_AGE_MS
  ) {
    throw createError('invalid', { message: 'The time of the tap is not a valid device time.' });
  }
  return tappedAt;
}

const STATUS_AFTER: Record<EventKind, StopStatus> = { check_in: 'arrived', check_out: 'done' };

function requireText(value: unknown, label: string, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw createError('invalid', {
      message: `${label} is required.`,
      fields: { [field]: `${label} is required.` },
    });
  }
  if (value.length > max) {
    const message = `${label} is too long (at most ${max.toLocaleString('en')} characters).`;
    throw createError('invalid', { message, fields: { [field]: message } });
  }
  return value;
}

/** Builds the write-side commands over a store. */
export function createCommands(store: Store) {
  const { db, ctx } = store;

  async function eventsOf(stopId: string): Promise<EventDoc[]> {
    await ensureIndexes(db);
    const res = await db.find({ selector: { stopId }, use_index: INDEX.byStop });
    return res.docs.filter((d) => d.type === 'event') as unknown as EventDoc[];
  }

  async function moveStatus(stopId: string, to: StopStatus) {
    return store.update('stop', stopId, (stop) => {
      const next = forwardStatus(stop.status, to);
      return next === stop.status ? null : { status: next };
    });
  }

  // Check-ins/outs of one stop run one at a time, so a double tap cannot create two events.
  const queues = new Map<string, Promise<unknown>>();
  function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
    const next = (queues.get(key) ?? Promise.resolve()).then(run);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return next;
  }

  async function recordEvent(
    kind: EventKind,
    stopId: string,
    opts: EventOptions,
  ): Promise<EventResult> {
    const tappedAt = tapTime(opts.tappedAt, ctx.clock.deviceNow());
    return oneAtATime(stopId, () => recordEventNow(kind, stopId, opts.eventId, tappedAt));
  }

  async function recordEventNow(
    kind: EventKind,
    stopId: string,
    eventId: string | undefined,
    tappedAt: number,
  ): Promise<EventResult> {
    if (eventId) {
      const replayed = await store.find('event', eventId);
      if (replayed) {
        await moveStatus(replayed.stopId, STATUS_AFTER[replayed.kind]);
        return { event: replayed, created: false };
      }
    }
    const stop = await store.get('stop', stopId);
    if (stop.status === 'cancelled' || stop.status === 'skipped') {
      throw createError('invalid', { message: `This stop was ${stop.status} by your supervisor.` });
    }
    const events = await eventsOf(stopId);
    const existing = events.find((e) => e.kind === kind);
    if (existing) {
      // Finish a status move an interrupted earlier call may not have made (forward only).
      await moveStatus(stopId, STATUS_AFTER[kind]);
      return { event: existing, created: false };
    }
    if (kind === 'check_out' && !events.some((e) => e.kind === 'check_in')) {
      throw createError('invalid', { message: 'Check in before checking out.' });
    }
    const { clock } = ctx;
    const fields = {
      kind,
      stopId,
      accountId: stop.accountId,
      occurredAt: new Date(tappedAt + clock.serverOffset()).toISOString(),
      deviceTime: new Date(tappedAt).toISOString(),
    };
    let event: EventDoc;
    try {
      event = await store.create('event', fields, { id: eventId, owner: stop.owner });
    } catch (err) {
      if (toOutpostError(err).code !== 'conflict' || !eventId) throw err;
      event = await store.get('event', eventId); // a concurrent replay of the same tap won the race
      return { event, created: false };
    }
    await moveStatus(stopId, STATUS_AFTER[kind]);
    return { event, created: true };
  }

  return {
    /**
     * Records the arrival at a stop (immutable event with corrected and raw device time) and
     * moves the stop to `arrived`. Replaying the same `eventId`, or checking in twice, returns
     * the first event instead of creating another.
     */
    checkIn: (stopId: string, opts: EventOptions = {}) => recordEvent('check_in', stopId, opts),

    /** Records leaving a stop and moves it to `done`; requires a check-in. Idempotent like checkIn. */
    checkOut: (stopId: string, opts: EventOptions = {}) => recordEvent('check_out', stopId, opts),

    /** Sets a stop's status; forward only, skipped/cancelled for supervisors only. */
    async setStopStatus(stopId: string, status: StopStatus) {
      const stop = await store.get('stop', stopId);
      const problem = statusChangeError(stop.status, status, ctx.role);
      if (problem) throw createError('invalid', { message: problem, fields: { status: problem } });
      return moveStatus(stopId, status);
    },

    /** Adds a note to an account, optionally written at a stop. */
    async addNote(input: {
      accountId: string;
      stopId?: string;
      text: string;
      id?: string;
    }): Promise<NoteDoc> {
      if (typeof input !== 'object' || input === null) {
        throw createError('invalid', { message: 'A note needs its text and account.' });
      }
      const text = requireText(input.text, 'Note', 'text', LIMITS.noteText);
      await store.get('account', input.accountId);
      const owner = input.stopId ? (await store.get('stop', input.stopId)).owner : ctx.user;
      const createdAt = new Date(ctx.clock.correctedNow()).toISOString();
      return store.create(
        'note',
        { text, accountId: input.accountId, stopId: input.stopId, createdAt },
        { id: input.id, owner },
      );
    },

    /** Replaces a note's text. */
    async editNote(noteId: string, text: string): Promise<NoteDoc> {
      const value = requireText(text, 'Note', 'text', LIMITS.noteText);
      return store.update('note', noteId, () => ({ text: value }));
    },

    /** Adds a to-do to a stop. */
    async addTask(stopId: string, title: string): Promise<TaskDoc> {
      const value = requireText(title, 'Task', 'title', LIMITS.taskTitle);
      const stop = await store.get('stop', stopId);
      return store.create(
        'task',
        { stopId, title: value.trim(), done: false },
        { owner: stop.owner },
      );
    },

    /** Ticks or unticks a task; ticking records when. */
    async setTaskDone(taskId: string, done: boolean): Promise<TaskDoc> {
      return store.update('task', taskId, (task) => {
        if (task.done === done) return null;
        return {
          done,
          doneAt: done ? new Date(ctx.clock.correctedNow()).toISOString() : undefined,
        };
      });
    },

    /** Edits an account's editable fields; the whole result is validated before it is stored. */
    async updateAccount(accountId: string, patch: AccountPatch): Promise<AccountDoc> {
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
        throw createError('invalid', { message: 'Account changes must be a set of fields.' });
      }
      const unknown = Object.keys(patch).filter((k) => !EDITABLE_ACCOUNT_FIELDS.has(k));
      if (unknown.length > 0) {
        const message = `These account fields cannot be edited here: ${unknown.join(', ')}.`;
        throw createError('invalid', {
          message,
          fields: Object.fromEntries(unknown.map((k) => [k, message])),
        });
      }
      const current = await store.get('account', accountId);
      const fields = validateDoc({ ...current, ...patch });
      const keys = Object.keys(fields);
      if (keys.length > 0) throw createError('invalid', { message: fields[keys[0]], fields });
      return store.update('account', accountId, () => ({ ...patch }));
    },
  };
}

export type Commands = ReturnType<typeof createCommands>;
