/**
 * The pull lane trace of a chaos device (src/lib/sync/pull-trace.ts), kept as short lines in a
 * bounded log and printed for the docs a failing scenario names.
 */
import type { PullTraceEvent } from '$lib/sync/pull-trace';

/** One trace event as a line (no timestamp). */
export function formatPullTrace(e: PullTraceEvent): string {
  switch (e.type) {
    case 'start':
      return `start since=${String(e.since)} startOver=${e.startOver}`;
    case 'bootstrap':
      return `bootstrap done since=${String(e.since)}`;
    case 'changes':
      return `changes since=${String(e.since)}${e.live ? ' live' : ''}`;
    case 'change':
      return `change seq=${String(e.seq)} ${e.id} ${e.revs.join(',')} last_seq=${String(e.lastSeq)}`;
    case 'changes-done':
      return `changes done last_seq=${String(e.lastSeq)} results=${String(e.results)}`;
    case 'changes-failed':
      return `changes failed: ${e.message}`;
    case 'revs-diff':
      return `revs-diff asked=${e.asked} missing=${Object.entries(e.missing)
        .map(([id, revs]) => `${id}@${revs.join(',')}`)
        .join(' ')}`;
    case 'bulk-get':
      return `bulk-get asked=${e.asked.length} got ${e.got.join(' ')}`;
    case 'written':
      return `written ${e.docs.join(' ')}${e.errors.length ? ` errors ${e.errors.join(' ')}` : ''}`;
    case 'batch':
      return `batch seq=${String(e.seq)}`;
    case 'checkpoint':
      return `checkpoint ${String(e.seq)}`;
    case 'retry':
      return `retry: ${e.error}`;
    default:
      return e.type;
  }
}

/** A bounded log of trace lines. */
export interface TraceLog {
  add(line: string): void;
  /** Lines naming one of `ids`, and every line that is not about one doc (batches, checkpoints). */
  about(ids: string[], max: number): string[];
}

const PER_DOC = /^\+\d+ms g\d+ (change |revs-diff|bulk-get|written)/;

/** Creates a log keeping the last `max` lines. */
export function createTraceLog(max = 5000): TraceLog {
  const lines: string[] = [];
  return {
    add(line) {
      lines.push(line);
      if (lines.length > max) lines.shift();
    },
    about(ids, limit) {
      const out = lines.filter((l) => !PER_DOC.test(l) || ids.some((id) => l.includes(id)));
      return out.slice(-limit);
    },
  };
}
