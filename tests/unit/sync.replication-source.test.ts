import { describe, expect, it } from 'vitest';
import type { AnyDb } from '$lib/sync/lane';
import { replicationSource } from '$lib/sync/lane';

/** A remote whose `info()` answers with a growing update_seq, or fails while `down`. */
function fakeRemote() {
  const state = { calls: 0, down: false };
  const db = {
    name: 'http://server/userdb-616e61',
    info: async () => {
      state.calls += 1;
      if (state.down) throw Object.assign(new Error('offline'), { status: 0 });
      return { db_name: 'userdb-616e61', doc_count: state.calls, update_seq: `${state.calls}-x` };
    },
  };
  return { db: db as unknown as AnyDb, state };
}

describe("the pull lane's view of the remote", () => {
  it('answers info() from the last success for 10 s, then asks the server again', async () => {
    const { db, state } = fakeRemote();
    let now = 1_000;
    const source = replicationSource(db, 'key', { now: () => now });
    expect((await source.info()).update_seq).toBe('1-x');
    now += 9_000;
    expect((await source.info()).update_seq).toBe('1-x');
    expect(state.calls).toBe(1);
    now += 1_500;
    expect((await source.info()).update_seq).toBe('2-x');
    expect(state.calls).toBe(2);
  });

  it('never fails info(): a failure is answered from the last success, or with empty figures', async () => {
    const { db, state } = fakeRemote();
    let now = 0;
    const source = replicationSource(db, 'key', { now: () => now });
    state.down = true;
    expect(await source.info()).toEqual({ db_name: db.name, doc_count: 0, update_seq: 0 });
    state.down = false;
    expect((await source.info()).update_seq).toBe('2-x');
    state.down = true;
    now += 60_000;
    expect((await source.info()).update_seq).toBe('2-x');
  });

  it('names itself by its key, asking nobody', async () => {
    const { db, state } = fakeRemote();
    expect(await (replicationSource(db, 'k1') as unknown as { id(): Promise<string> }).id()).toBe(
      'outpost-pull k1',
    );
    expect(state.calls).toBe(0);
  });
});
