import { describe, expect, it } from 'vitest';
import type { FetchImpl } from '$lib/sync/remote';
import { memoryDb } from '../helpers/memory-db';
import {
  createUserDb,
  noteDocs,
  serverDocs,
  syncUserDb,
  useSyncFixture,
  waitFor,
} from './sync-setup';

const DEVICE = 'dev-push-first';
const fx = useSyncFixture();

/**
 * A fetch that logs, in order, each `_bulk_docs` request's start and end and each `_changes`
 * request's start with the number of changes it answered.
 */
function orderedFetch() {
  const log: { at: 'start bulk' | 'end bulk' | 'changes'; rows?: Promise<number> }[] = [];
  const impl = (async (input, init) => {
    const url = String(input);
    if (url.includes('/_bulk_docs')) {
      log.push({ at: 'start bulk' });
      try {
        return await fetch(input, init);
      } finally {
        log.push({ at: 'end bulk' });
      }
    }
    if (!url.includes('/_changes')) return fetch(input, init);
    const entry: (typeof log)[number] = { at: 'changes' };
    log.push(entry);
    const res = await fetch(input, init);
    entry.rows = res
      .clone()
      .json()
      .then((body: { results?: unknown[] }) => body.results?.length ?? 0)
      .catch(() => 0); // the last long poll is aborted when sync stops
    return res;
  }) as FetchImpl;
  return { log, impl };
}

describe("the device's own writes go up before it reads the server's changes", () => {
  it('no _changes request starts while the push lane sends a backlog; the pull goes on after', async () => {
    const user = await createUserDb(fx.couch);
    fx.users.push(user);
    // A supervisor's edits wait on the server; the device holds a day of offline notes.
    const theirs = noteDocs(5, 'theirs', 'dev-supervisor');
    const seeded = await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: theirs });
    expect(seeded.status).toBe(201);
    const local = memoryDb('push-first');
    await local.bulkDocs(noteDocs(600, 'mine', DEVICE));

    const { log, impl } = orderedFetch();
    const sync = syncUserDb(fx, local, user, {
      deviceId: DEVICE,
      batchSize: 100,
      fetchImpl: impl,
      photoLane: false,
      check: false,
    });
    await waitFor('the backlog on the server', async () => {
      const ids = (await serverDocs(fx.couch, user.db)).map((d) => String(d._id));
      return ids.filter((id) => id.startsWith('note:mine-')).length === 600;
    });
    await waitFor(
      "the server's docs on the device",
      async () =>
        (await local.allDocs()).rows.filter((r) => r.id.startsWith('note:theirs-')).length === 5,
    );
    await waitFor('idle', () => sync.status.state === 'idle' && sync.status.pending === 0);

    // The live feed open before the push may go on reading up to one batch of the echo (the
    // adapter follows a live feed until its limit); no new read starts until the backlog is up.
    const firstBulk = log.findIndex((e) => e.at === 'start bulk');
    const lastBulkEnd = log.map((e) => e.at).lastIndexOf('end bulk');
    expect(log.filter((e) => e.at === 'start bulk').length).toBeGreaterThanOrEqual(6);
    const during = log.slice(firstBulk, lastBulkEnd).filter((e) => e.at === 'changes');
    const rowsDuring = (await Promise.all(during.map((e) => e.rows ?? 0))).reduce(
      (a, b) => a + b,
      0,
    );
    expect(rowsDuring).toBeLessThanOrEqual(100);
    expect(log.slice(lastBulkEnd).some((e) => e.at === 'changes')).toBe(true);
  });
});
