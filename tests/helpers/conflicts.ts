/** Helpers for conflict tests: HLC stamps, leaves and real conflicts written with new_edits:false. */
import { formatHlc } from '$lib/clock/hlc';
import type { LocalDb } from '$lib/db/pouch';
import type { Leaf } from '$lib/conflicts';

const BASE = Date.parse('2026-11-22T09:00:00.000Z');

/** An HLC string `minutes` after 09:00 UTC on 2026-11-22. */
export function hlc(minutes: number, deviceId = 'dev-a', counter = 0): string {
  return formatHlc({ wall: BASE + minutes * 60_000, counter, deviceId });
}

/** A leaf body with a `_rev`. */
export function leaf(rev: string, body: Record<string, unknown>): Leaf {
  return { _id: 'doc:1', ...body, _rev: rev } as Leaf;
}

/**
 * Writes a common ancestor `1-base` and one child per branch (`2-<key>`), so the doc has one
 * live leaf per branch. Returns the leaf revs.
 */
export async function writeConflict(
  db: LocalDb,
  id: string,
  base: Record<string, unknown>,
  branches: Record<string, Record<string, unknown>>,
): Promise<string[]> {
  const docs: Record<string, unknown>[] = [
    { ...base, _id: id, _rev: '1-base', _revisions: { start: 1, ids: ['base'] } },
  ];
  for (const [key, body] of Object.entries(branches)) {
    docs.push({ ...body, _id: id, _rev: `2-${key}`, _revisions: { start: 2, ids: [key, 'base'] } });
  }
  const res = await db.bulkDocs(docs, { new_edits: false });
  const bad = (res as unknown[]).filter((r) => (r as { error?: unknown }).error);
  if (bad.length > 0) throw new Error(`writeConflict failed: ${JSON.stringify(bad)}`);
  return Object.keys(branches).map((k) => `2-${k}`);
}

/** Every non-design doc of a db (with conflicts listed), keyed by id: rev and body. */
export async function snapshot(db: LocalDb): Promise<Map<string, Record<string, unknown>>> {
  const res = await db.allDocs({ include_docs: true, conflicts: true });
  const out = new Map<string, Record<string, unknown>>();
  for (const row of res.rows) {
    if (row.id.startsWith('_design/')) continue;
    out.set(row.id, row.doc as Record<string, unknown>);
  }
  return out;
}

/** Ids of docs whose winner lists `_conflicts`. */
export async function conflictedIds(db: LocalDb): Promise<string[]> {
  const res = await db.allDocs({ include_docs: true, conflicts: true });
  return res.rows
    .filter((r) => ((r.doc as { _conflicts?: string[] })._conflicts ?? []).length > 0)
    .map((r) => r.id);
}
