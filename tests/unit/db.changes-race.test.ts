import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// The server's fixes load before its PouchDB (as in embedded/server.ts).
import '../../src/lib/server/embedded/patches';
import ServerPouch from 'pouchdb';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

type Db = PouchDB.Database<Record<string, unknown>>;

const ids = Array.from({ length: 300 }, (_, i) => `note:${String(i).padStart(4, '0')}`);

/**
 * 300 docs in conflict (all winners written, then all losers), then a changes read racing the
 * resolution of every conflict: the read has cached each doc's metadata at its first entry and
 * reaches the second entry after compaction removed the old winner's body.
 */
async function raceChangesWithResolution(db: Db) {
  const leaf = (id: string, hash: string, v: string) => ({
    _id: id,
    _rev: `2-${hash}`,
    _revisions: { start: 2, ids: [hash, 'root'] },
    v,
  });
  await db.bulkDocs(
    ids.map((id) => leaf(id, 'zzz', 'winner')),
    { new_edits: false },
  );
  await db.bulkDocs(
    ids.map((id) => leaf(id, 'aaa', 'loser')),
    { new_edits: false },
  );
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const read = db.changes({ since: 0, style: 'all_docs' });
    const resolve = db.bulkDocs(
      ids.flatMap((id) => [
        {
          _id: id,
          _rev: '3-mmm',
          _revisions: { start: 3, ids: ['mmm', 'zzz', 'root'] },
          v: 'merged',
        },
        {
          _id: id,
          _rev: '3-ddd',
          _deleted: true,
          _revisions: { start: 3, ids: ['ddd', 'aaa', 'root'] },
        },
      ]),
      { new_edits: false },
    );
    const [first] = await Promise.all([read, resolve]);
    await new Promise((r) => setTimeout(r, 100));
    expect(uncaught).toEqual([]);
    // Whatever the racing read skipped, the next read from its last_seq returns.
    const next = await db.changes({ since: first.last_seq, style: 'all_docs' });
    const seen = new Set([...first.results, ...next.results].map((c) => c.id));
    expect(seen.size).toBe(ids.length);
    const after = await db.allDocs({ include_docs: true, conflicts: true });
    expect(after.rows.every((r) => r.doc?.v === 'merged' && !r.doc._conflicts)).toBe(true);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
}

describe('leveldb-core changes read racing a conflict resolution (auto-compaction)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await destroyMemoryDbs();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("does not throw on the devices' memory adapter, and loses no change", async () => {
    await raceChangesWithResolution(memoryDb('changes-race'));
  });

  it("does not throw on the embedded server's PouchDB (LevelDB on disk)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outpost-changes-race-'));
    dirs.push(dir);
    const db = new ServerPouch<Record<string, unknown>>(path.join(dir, 'db'), {
      auto_compaction: true,
    });
    try {
      await raceChangesWithResolution(db);
    } finally {
      await db.close();
    }
  });
});
