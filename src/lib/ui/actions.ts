/**
 * What the rep can do on the screens: each intent writes through the repo (local, fast) and
 * reports the outcome in words as a toast. Components call these and never touch the repo.
 */
import { dismiss, restoreVersion } from '$lib/conflicts/inbox';
import type { WriteStamp } from '$lib/domain/stamp';
import type { Repo } from '$lib/repo';
import { toOutpostError, type OutpostError } from '$lib/errors';
import { clockTime, shortDate } from './format';
import { displayNameOf } from './session.svelte';
import type { Toasts } from './toasts.svelte';

/** The outcome of a form's save: null when stored, else the error (with field messages). */
export type SaveResult = OutpostError | null;

/** Builds the UI intents over a repo; `isOnline` only changes the wording of confirmations. */
export function createActions(repo: Repo, toasts: Toasts, isOnline: () => boolean) {
  const offline = () => (isOnline() ? '' : ' (offline)');
  /** Who writes, from which device, and when: for the inbox's writes. */
  const stamp = (): WriteStamp => ({
    user: repo.ctx.user,
    deviceId: repo.ctx.clock.deviceId,
    hlc: repo.ctx.clock.now(),
  });

  /** Runs a write; toasts its confirmation, or its error unless a form shows it by field. */
  async function attempt(write: () => Promise<string | null>): Promise<SaveResult> {
    try {
      const confirmation = await write();
      if (confirmation) toasts.info(`${confirmation}${offline()}`);
      return null;
    } catch (err) {
      const error = toOutpostError(err);
      // Field messages are shown next to their fields by the form; anything else as a toast.
      if (Object.keys(error.fields).length === 0) toasts.error(error.message);
      return error;
    }
  }

  return {
    /** The time (ISO) an event tapped at `tappedAt` (device ms) is recorded with. */
    eventTime: (tappedAt: number) =>
      new Date(tappedAt + repo.ctx.clock.serverOffset()).toISOString(),

    /** Checks in at a stop; `eventId` and the time are taken at tap, so a retry never records twice. */
    checkIn: (stopId: string, eventId: string, tappedAt?: number) =>
      attempt(async () => {
        const { event } = await repo.checkIn(stopId, { eventId, tappedAt });
        return `Checked in ${clockTime(event.occurredAt)}`;
      }),

    /** Checks out of a stop; idempotent like checkIn. */
    checkOut: (stopId: string, eventId: string, tappedAt?: number) =>
      attempt(async () => {
        const { event } = await repo.checkOut(stopId, { eventId, tappedAt });
        return `Checked out ${clockTime(event.occurredAt)}`;
      }),

    /** Adds a note to an account, optionally written at a stop. */
    addNote: (input: { accountId: string; stopId?: string; text: string }) =>
      attempt(async () => {
        await repo.addNote(input);
        return 'Note saved';
      }),

    /** Replaces a note's text. */
    editNote: (noteId: string, text: string) =>
      attempt(async () => {
        await repo.editNote(noteId, text);
        return 'Note updated';
      }),

    /** Adds a to-do to a stop. */
    addTask: (stopId: string, title: string) =>
      attempt(async () => {
        await repo.addTask(stopId, title);
        return 'Task added';
      }),

    /** Ticks or unticks a task (the checkbox itself is the confirmation). */
    setTaskDone: (taskId: string, done: boolean) =>
      attempt(async () => {
        await repo.setTaskDone(taskId, done);
        return null;
      }),

    /** Supervisor: gives a stop (and its open tasks) to another rep. */
    reassignStop: (stopId: string, assignee: string) =>
      attempt(async () => {
        const stop = await repo.reassignStop(stopId, assignee);
        return `Stop #${stop.seq} moved to ${displayNameOf(stop.assignee)}`;
      }),

    /** Supervisor: moves a stop to another day. */
    rescheduleStop: (stopId: string, date: string) =>
      attempt(async () => {
        const stop = await repo.rescheduleStop(stopId, date);
        return `Stop #${stop.seq} moved to ${shortDate(stop.date)}`;
      }),

    /** Inbox: makes another version of a document current again (a normal new edit). */
    restoreVersion: (auditId: string, rev: string) =>
      attempt(async () => {
        await restoreVersion(repo.db, auditId, rev, stamp());
        return 'Restored the other version';
      }),

    /** Inbox: marks an item reviewed; the current version stays ("Keep this" or "Dismiss"). */
    dismissConflict: (auditId: string, how: 'keep' | 'dismiss' = 'dismiss') =>
      attempt(async () => {
        await dismiss(repo.db, auditId, stamp());
        return how === 'keep' ? 'Kept the current version' : 'Dismissed';
      }),
  };
}

/** The intents the pages dispatch to. */
export type Actions = ReturnType<typeof createActions>;
