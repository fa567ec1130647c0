/**
 * Bench: saving an inspection draft (repo.saveAnswers, what the form does after every pause in
 * typing) and submitting it (every step validated, signature attachment checked), on a memory
 * db holding a demo day.
 */
import memory from '../tests/helpers/memory-adapter';
import { createHlc } from '../src/lib/clock/hlc';
import { openLocalDb, registerAdapter } from '../src/lib/db/pouch';
import { demoDayDocs } from '../src/lib/demo/load';
import { createRepo } from '../src/lib/repo';
import { percentile, round } from './stats';

export interface InspectionDraftResult {
  name: string;
  docs: number;
  saves: number;
  p50Ms: number;
  p95Ms: number;
  submitMs: number;
  signatureBytes: number;
}

/** Times `saves` draft saves of one inspection, then its submit. */
export async function benchInspectionDraft(saves = 300): Promise<InspectionDraftResult> {
  registerAdapter(memory);
  const db = openLocalDb(`bench-inspection-${Date.now()}`, 'memory');
  const clock = createHlc({ deviceId: 'bench' });
  const docs = demoDayDocs('2026-11-22', clock);
  await db.bulkDocs(docs as unknown as Record<string, unknown>[]);
  const repo = createRepo(db, { user: 'ana', role: 'rep', clock });
  const { _id } = await repo.startInspection(
    'stop:demo-2026-11-22-ana-01',
    'template:fridge-check',
  );
  await repo.saveAnswers(_id, { fridge_temp: 4, log_kept: true, seals: 'Good', rotation: false });
  const times: number[] = [];
  let remarks = '';
  for (let i = 0; i < saves; i++) {
    remarks += i % 12 === 11 ? ' ' : 'x';
    const t0 = performance.now();
    await repo.saveAnswers(_id, { remarks, freezer_temp: -18 - (i % 3) });
    times.push(performance.now() - t0);
  }
  // A signature PNG about the size the pad makes (a 390 px wide pad at 3x, a few strokes).
  const signature = new Uint8Array(12_000).map((_, i) =>
    i < 8 ? [137, 80, 78, 71, 13, 10, 26, 10][i] : i % 251,
  );
  await repo.saveSignature(_id, 'store_signature', signature);
  const t0 = performance.now();
  const submitted = await repo.submitInspection(_id);
  const submitMs = performance.now() - t0;
  if (submitted.status !== 'submitted') throw new Error('the inspection was not submitted');
  await db.destroy();
  return {
    name: 'inspection draft save',
    docs: docs.length,
    saves,
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    submitMs: round(submitMs),
    signatureBytes: signature.byteLength,
  };
}
