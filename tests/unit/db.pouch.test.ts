import memory from '../helpers/memory-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { INDEX, ensureIndexes } from '$lib/db/indexes';
import { localDbName, registerAdapter } from '$lib/db/pouch';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

describe('db', () => {
  it('registerAdapter is a no-op for an adapter already registered', () => {
    expect(() => registerAdapter(memory)).not.toThrow();
    expect(() => registerAdapter(memory)).not.toThrow();
  });

  it('names the local db after the user', () => {
    expect(localDbName('ana')).toBe('outpost-ana');
  });

  it('gives each memoryDb() its own empty database', async () => {
    const a = memoryDb();
    const b = memoryDb();
    await a.put({ _id: 'note:1', text: 'x' });
    expect((await a.info()).doc_count).toBe(1);
    expect((await b.info()).doc_count).toBe(0);
  });

  it('ensureIndexes creates the three indexes once and shares the work', async () => {
    const db = memoryDb();
    const p1 = ensureIndexes(db);
    const p2 = ensureIndexes(db);
    expect(p2).toBe(p1);
    await p1;
    const { indexes } = await db.getIndexes();
    const names = indexes.map((i) => i.name).filter((n) => n !== '_all_docs');
    expect(names.sort()).toEqual([INDEX.byAccount, INDEX.byStop, INDEX.stopsByDay].sort());
    const before = (await db.info()).update_seq;
    await ensureIndexes(db);
    expect((await db.info()).update_seq).toBe(before);
  });
});
