/**
 * A rep's day as a timeline (pure geometry for the board's SVG): one row per stop, the planned
 * window against the visit as it happened (check-in to check-out), in minutes since the local
 * midnight of the day, on an hour grid wide enough for both and for "now".
 */
import type { BoardStop } from './board';

/** What became of a stop, as the timeline colours it. */
export type RowState = 'visited' | 'late' | 'ongoing' | 'missed' | 'open' | 'closed';

export interface TimelineRow {
  id: string;
  seq: number;
  /** Planned window, minutes since local midnight. */
  planned: { start: number; end: number };
  /** The visit (check-in to check-out, or to now while it goes on), or null. */
  actual: { start: number; end: number } | null;
  state: RowState;
}

export interface Timeline {
  /** First and last minute shown (whole hours). */
  from: number;
  to: number;
  /** The hours on the grid (minutes since midnight). */
  hours: number[];
  rows: TimelineRow[];
  /** Now, when it falls on the day shown (minutes), else null. */
  now: number | null;
}

const minutesOfClock = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** Minutes from the local midnight of `date` to an instant (ms). */
export function minutesOfDay(date: string, instant: number): number {
  const [y, m, d] = date.split('-').map(Number);
  return (instant - new Date(y, m - 1, d).getTime()) / 60_000;
}

function stateOf(s: BoardStop, start: number | null, end: number | null, now: number | null) {
  const { status, window } = s.stop;
  if (status === 'skipped' || status === 'cancelled') return 'closed';
  const plannedEnd = minutesOfClock(window.end);
  if (start !== null && end === null) return status === 'done' ? 'visited' : 'ongoing';
  if (start !== null) return start > plannedEnd ? 'late' : 'visited';
  if (status === 'done') return 'visited';
  return now !== null && now > plannedEnd ? 'missed' : 'open';
}

/** The timeline of a rep's stops on `date` at corrected time `now` (ms). */
export function buildTimeline(stops: BoardStop[], date: string, now: number): Timeline {
  const nowMin = minutesOfDay(date, now);
  const today = nowMin >= 0 && nowMin < 24 * 60 ? nowMin : null;
  // A day already over counts as "after every window"; one to come as "before".
  const judged = today ?? (nowMin >= 24 * 60 ? 24 * 60 : null);
  const rows: TimelineRow[] = stops.map((s) => {
    const start = s.checkIn ? minutesOfDay(date, Date.parse(s.checkIn)) : null;
    const out = s.checkOut ? minutesOfDay(date, Date.parse(s.checkOut)) : null;
    const state = stateOf(s, start, out, judged) as RowState;
    const end = out ?? (state === 'ongoing' && today !== null ? Math.max(today, start!) : null);
    return {
      id: s.stop._id,
      seq: s.stop.seq,
      planned: {
        start: minutesOfClock(s.stop.window.start),
        end: minutesOfClock(s.stop.window.end),
      },
      actual: start !== null ? { start, end: end ?? start } : null,
      state,
    };
  });
  const marks = rows.flatMap((r) => [
    r.planned.start,
    r.planned.end,
    ...(r.actual ? [r.actual.start, r.actual.end] : []),
  ]);
  if (today !== null) marks.push(today);
  const lo = marks.length ? Math.min(...marks) : 8 * 60;
  const hi = marks.length ? Math.max(...marks) : 17 * 60;
  const from = Math.max(0, Math.floor(lo / 60) * 60);
  const to = Math.min(24 * 60, Math.max(from + 60, Math.ceil(hi / 60) * 60));
  const hours: number[] = [];
  for (let h = from; h <= to; h += 60) hours.push(h);
  return { from, to, hours, rows, now: today };
}
