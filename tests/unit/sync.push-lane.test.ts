import { afterEach, describe, expect, it } from 'vitest';
import { createBackoff } from '$lib/sync/backoff';
import type { AnyDb } from '$lib/sync/lane';
import { startPushLane } from '$lib/sync/push-lane';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

const DEVICE = 'dev-ana';

/** Runs a push lane until it is idle once, then cancels it. */
async function pushOnce(local: AnyDb, remote: AnyDb) {
  let lane: ReturnType<typeof startPushLane> | undefined;
  await new Promise<void>((resolve, reject) => {
    lane = startPushLane(local, remote, {
      batchSize: 100,
      batchesLimit: 2,
      backoff: createBackoff({ baseMs: 10, maxMs: 20 }),
      ownDeviceId: DEVICE,
      on: {
        phase(phase, err) {
          if (phase === 'idle') resolve();
          if (phase === 'retrying') reject(err as Error);
        },
      },
    });
  });
  await lane?.cancel();
}

/** Every leaf of a doc with its history, as a replicator would copy it. */
async function leaves(db: AnyDb, id: string) {
  const got = await db.get(id, { open_revs: 'all', revs: true });
  return got
    .map((r) => ('ok' in r ? (r.ok as unknown as { _rev: string; _revisions: unknown }) : null))
    .filter((d) => d !== null)
    .map((d) => ({ rev: d._rev, history: d._revisions }))
    .sort((a, b) => a.rev.localeCompare(b.rev));
}

describe('the push lane', () => {
  it('sends a new doc as the changes feed gave it, and reads the history of every other leaf', async () => {
    const local = memoryDb('push-local') as unknown as AnyDb;
    const remote = memoryDb('push-remote') as unknown as AnyDb;
    await local.put({ _id: 'note:new', text: 'first', deviceId: DEVICE });
    const edited = await local.put({ _id: 'task:edited', done: false, deviceId: DEVICE });
    const again = await local.put({
      _id: 'task:edited',
      _rev: edited.rev,
      done: true,
      deviceId: DEVICE,
    });
    await local.put({ _id: 'task:edited', _rev: again.rev, done: false, deviceId: DEVICE });
    // Two leaves of one doc (a conflict the device holds).
    await local.bulkDocs(
      [
        { _id: 'stop:s1', _rev: '1-aaa', status: 'planned', deviceId: DEVICE },
        { _id: 'stop:s1', _rev: '1-bbb', status: 'done', deviceId: DEVICE },
      ],
      { new_edits: false },
    );

    const read: string[] = [];
    const get = local.get.bind(local) as (...args: unknown[]) => unknown;
    local.get = ((...args: unknown[]) => {
      read.push(String(args[0]));
      return get(...args);
    }) as typeof local.get;

    await pushOnce(local, remote);
    const docLeaves = read.filter((id) => !id.startsWith('_local/'));
    expect(docLeaves.sort()).toEqual(['stop:s1', 'stop:s1', 'task:edited']);
    for (const id of ['note:new', 'task:edited', 'stop:s1']) {
      expect(await leaves(remote, id)).toEqual(await leaves(local, id));
    }
  });
});
