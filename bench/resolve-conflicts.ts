/**
 * Bench: "resolve 1000 conflicted docs" (issue 4). Writes 1000 docs with 2-3 live leaves each
 * (notes, tasks, accounts) to a memory db, times resolveAll, resolves the same conflicts on a
 * second replica, replicates both ways and counts the conflicts that creates (must be 0).
 */
import memory from '../tests/helpers/memory-adapter';
import { formatHlc } from '../src/lib/clock/hlc';
import { resolveAll } from '../src/lib/conflicts';
import { openLocalDb, Pouch, registerAdapter, type LocalDb } from '../src/lib/db/pouch';
import { round } from './stats';

export interface ResolveConflictsResult {
  name: string;
  docs: number;
  /** Live leaves written in total (2-3 per doc). */
  leaves: number;
  /** Time of resolveAll on the first replica. */
  ms: number;
  /** Time of resolveAll on the second replica (same conflicts). */
  secondReplicaMs: number;
  /** Docs with `_conflicts` on either replica after both resolved and replicated both ways. */
  newConflicts: number;
  /** Docs whose winning `_rev` differs between the two replicas afterwards. */
  revMismatches: number;
}

const T0 = Date.parse('2026-11-22T08:00:00.000Z');
const hlc = (ms: number, device: string) =>
  formatHlc({ wall: T0 + ms, counter: 0, deviceId: device });

/** The base body and the changes of each branch for doc `i`. */
function conflicted(i: number): Record<string, unknown>[] {
  const kind = i % 3;
  const type = ['note', 'task', 'account'][kind];
  const id = `${type}:bench-${String(i).padStart(5, '0')}`;
  const seed = hlc(0, 'seed');
  const fields: Record<string, unknown> =
    kind === 0
      ? { text: 'Call back', accountId: 'account:a1', createdAt: '2026-11-22T08:00:00.000Z' }
      : kind === 1
        ? { stopId: 'stop:s1', title: 'Count shelf stock', done: false }
        : {
            name: `Account ${i}`,
            address: { street: '1 Main St', city: 'Fairview' },
            contacts: [],
            phone: '+1 502 555 0100',
          };
  const base = {
    _id: id,
    type,
    schema: 1,
    owner: 'ana',
    ...fields,
    updatedAt: seed,
    updatedBy: 'sam',
    deviceId: 'seed',
    fieldClock: Object.fromEntries(Object.keys(fields).map((k) => [k, seed])),
  };
  const branchCount = 2 + (i % 2);
  const docs: Record<string, unknown>[] = [
    { ...base, _rev: '1-base', _revisions: { start: 1, ids: ['base'] } },
  ];
  for (let b = 0; b < branchCount; b++) {
    const device = `dev-${b}`;
    const at = hlc(1000 + ((i * 7 + b * 13) % 50), device);
    const change: Record<string, unknown> =
      kind === 0
        ? { text: `Text from ${device}` }
        : kind === 1
          ? b === 0
            ? { done: true, doneAt: '2026-11-22T09:00:00.000Z' }
            : { title: `Count ${b}` }
          : b === 0
            ? { phone: `+1 502 555 01${b}${i % 10}` }
            : { info: `Instructions ${b}` };
    const hash = `b${b}${String(i).padStart(30, '0')}`;
    docs.push({
      ...base,
      ...change,
      updatedAt: at,
      updatedBy: b === 0 ? 'ana' : 'sam',
      deviceId: device,
      fieldClock: {
        ...base.fieldClock,
        ...Object.fromEntries(Object.keys(change).map((k) => [k, at])),
      },
      _rev: `2-${hash}`,
      _revisions: { start: 2, ids: [hash, 'base'] },
    });
  }
  return docs;
}

async function conflictedIds(db: LocalDb): Promise<Set<string>> {
  const res = await db.allDocs({ include_docs: true, conflicts: true });
  return new Set(
    res.rows
      .filter((r) => ((r.doc as { _conflicts?: string[] })._conflicts ?? []).length > 0)
      .map((r) => r.id),
  );
}

/** Runs the bench; `docs` conflicted documents (default 1000). */
export async function benchResolveConflicts(docs = 1000): Promise<ResolveConflictsResult> {
  registerAdapter(memory);
  const stamp = Date.now();
  const a = openLocalDb(`bench-conflicts-a-${stamp}`, 'memory');
  const b = openLocalDb(`bench-conflicts-b-${stamp}`, 'memory');
  try {
    const bodies = Array.from({ length: docs }, (_, i) => conflicted(i)).flat();
    const leaves = bodies.length - docs;
    for (const db of [a, b]) {
      await db.bulkDocs(bodies, { new_edits: false });
      const open = (await conflictedIds(db)).size;
      if (open !== docs) throw new Error(`expected ${docs} conflicted docs, found ${open}`);
    }
    const t0 = performance.now();
    const first = await resolveAll(a);
    const ms = performance.now() - t0;
    const t1 = performance.now();
    const second = await resolveAll(b);
    const secondReplicaMs = performance.now() - t1;
    if (first.resolved !== docs || second.resolved !== docs) {
      throw new Error(`resolved ${first.resolved} / ${second.resolved} of ${docs}`);
    }
    await Pouch.replicate(a, b, { batch_size: 1000 });
    await Pouch.replicate(b, a, { batch_size: 1000 });
    const newConflicts = new Set([...(await conflictedIds(a)), ...(await conflictedIds(b))]).size;
    const [ra, rb] = await Promise.all(
      [a, b].map(async (db) => {
        const res = await db.allDocs();
        return new Map(res.rows.map((r) => [r.id, r.value.rev]));
      }),
    );
    let revMismatches = 0;
    for (const [id, rev] of ra) if (rb.get(id) !== rev) revMismatches += 1;
    if (ra.size !== rb.size) revMismatches += Math.abs(ra.size - rb.size);
    return {
      name: 'resolve 1000 conflicted docs',
      docs,
      leaves,
      ms: round(ms),
      secondReplicaMs: round(secondReplicaMs),
      newConflicts,
      revMismatches,
    };
  } finally {
    await Promise.all([a.destroy(), b.destroy()]);
  }
}
