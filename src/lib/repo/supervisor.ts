/** Supervisor commands and the team view: reassign and reschedule stops, each rep's day. */
import { INDEX, ensureIndexes } from '../db/indexes';
import { isFinalStatus } from '../domain/status';
import { isIsoDate } from '../domain/validate';
import type { StopDoc, TaskDoc } from '../domain/types';
import { createError } from '../errors';
import type { Store } from './store';

/** One rep's day as a supervisor sees it. */
export interface RepDay {
  rep: string;
  total: number;
  completed: number;
  byStatus: Record<StopDoc['status'], number>;
  stops: StopDoc[];
}

/** Builds the supervisor-only commands and queries over a store. */
export function createSupervisorCommands(store: Store) {
  const { db, ctx } = store;

  function requireSupervisor(action: string) {
    if (ctx.role !== 'supervisor') {
      throw createError('forbidden', { message: `Only a supervisor can ${action}.` });
    }
  }

  function requireOpen(stop: StopDoc, action: string) {
    if (isFinalStatus(stop.status)) {
      throw createError('invalid', {
        message: `This stop is already ${stop.status}; it cannot be ${action}.`,
      });
    }
  }

  return {
    /**
     * Moves a stop (and its open tasks) to another rep. The previous rep is remembered in
     * `formerAssignees`, so the change also reaches their device and the stop leaves their day.
     * Each moved task remembers its previous owner the same way: a task that stopped matching
     * the old rep's pull selector would strand, in the old rep's db, a conflict with an edit
     * they made meanwhile (its resolution, now owned by the new rep, would never reach them;
     * found by the chaos harness: `npm run chaos -- --seed 2 --profile moving-vehicle`).
     */
    async reassignStop(stopId: string, assignee: string): Promise<StopDoc> {
      requireSupervisor('reassign a stop');
      const to = typeof assignee === 'string' ? assignee.trim() : '';
      if (!to)
        throw createError('invalid', {
          message: 'Choose a rep.',
          fields: { assignee: 'Choose a rep.' },
        });
      const current = await store.get('stop', stopId);
      requireOpen(current, 'reassigned');
      if (current.assignee === to) return current;
      const stop = await store.update(
        'stop',
        stopId,
        (s) => ({
          assignee: to,
          formerAssignees: [...new Set([...(s.formerAssignees ?? []), s.assignee])].filter(
            (n) => n !== to,
          ),
        }),
        { owner: to },
      );
      await ensureIndexes(db);
      const related = await db.find({ selector: { stopId }, use_index: INDEX.byStop });
      for (const task of related.docs as unknown as TaskDoc[]) {
        if (task.type === 'task' && !task.done)
          await store.update(
            'task',
            task._id,
            (t) => ({
              formerAssignees: [
                ...new Set([...((t.formerAssignees as string[] | undefined) ?? []), t.owner]),
              ].filter((n) => n !== to),
            }),
            { owner: to },
          );
      }
      return stop;
    },

    /** Moves a stop to another day and/or route position. */
    async rescheduleStop(stopId: string, date: string, seq?: number): Promise<StopDoc> {
      requireSupervisor('reschedule a stop');
      if (!isIsoDate(date)) {
        const message = 'Choose a real date (YYYY-MM-DD).';
        throw createError('invalid', { message, fields: { date: message } });
      }
      const current = await store.get('stop', stopId);
      requireOpen(current, 'rescheduled');
      return store.update('stop', stopId, () => ({ date, ...(seq !== undefined ? { seq } : {}) }));
    },

    /** Each rep's stops for a day, for the team screen (reps in the order given). */
    async teamDay(date: string, reps: string[]): Promise<RepDay[]> {
      await ensureIndexes(db);
      const res = await db.find({ selector: { date }, use_index: INDEX.stopsByDay, limit: 10_000 });
      const stops = (res.docs as unknown as StopDoc[]).filter((d) => d.type === 'stop');
      const names = [...new Set([...reps, ...stops.map((s) => s.assignee)])];
      return names.map((rep) => {
        const own = stops.filter((s) => s.assignee === rep).sort((a, b) => a.seq - b.seq);
        const byStatus = { planned: 0, en_route: 0, arrived: 0, done: 0, skipped: 0, cancelled: 0 };
        for (const s of own) byStatus[s.status] += 1;
        return {
          rep,
          total: own.length - byStatus.cancelled,
          completed: byStatus.done + byStatus.skipped,
          byStatus,
          stops: own,
        };
      });
    },
  };
}
