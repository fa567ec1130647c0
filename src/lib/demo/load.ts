/** "Load demo day": seeds a local db with the demo team's accounts and the day's stops and tasks. */
import type { Hlc } from '../clock/hlc';
import type { LocalDb } from '../db/pouch';
import { makeId } from '../domain/ids';
import { stampNew, type WriteStamp } from '../domain/stamp';
import { assertValid } from '../domain/validate';
import type { BaseDoc } from '../domain/types';
import { toOutpostError } from '../errors';
import { DEMO_SUPERVISOR, demoAccounts, demoStops } from './fixtures';
import { DEMO_TEMPLATES } from './templates';
import { demoCatalogueDocs } from './catalogue';

export interface DemoLoadResult {
  /** Documents written by this call. */
  created: number;
  /** Documents that were already on the device and were left as they were. */
  existing: number;
}

/** The demo docs for one day, stamped as written by the demo supervisor's planning device. */
export function demoDayDocs(date: string, clock: Hlc): BaseDoc[] {
  const stamp = (): WriteStamp => ({
    user: DEMO_SUPERVISOR.name,
    deviceId: clock.deviceId,
    hlc: clock.now(),
  });
  const docs: BaseDoc[] = [];
  for (const a of demoAccounts()) {
    const { key, owner, ...fields } = a;
    docs.push(stampNew('account', makeId('account', key), owner, fields, stamp()));
  }
  for (const s of demoStops()) {
    const stopId = makeId('stop', `demo-${date}-${s.key}`);
    const { key, tasks, accountKey, ...fields } = s;
    docs.push(
      stampNew(
        'stop',
        stopId,
        s.assignee,
        { ...fields, date, status: 'planned', accountId: makeId('account', accountKey) },
        stamp(),
      ),
    );
    tasks.forEach((title, k) => {
      const taskId = makeId('task', `demo-${date}-${key}-${k + 1}`);
      docs.push(stampNew('task', taskId, s.assignee, { stopId, title, done: false }, stamp()));
    });
  }
  for (const [key, form] of Object.entries(DEMO_TEMPLATES)) {
    docs.push(
      stampNew('template', makeId('template', key), DEMO_SUPERVISOR.name, { ...form }, stamp()),
    );
  }
  docs.push(...demoCatalogueDocs(DEMO_SUPERVISOR.name, stamp));
  return docs;
}

/**
 * Writes the demo day into the db. Safe to run again: documents already there (possibly
 * already worked on) are left untouched, so loading twice never duplicates or resets anything.
 */
export async function loadDemoDay(db: LocalDb, date: string, clock: Hlc): Promise<DemoLoadResult> {
  const docs = demoDayDocs(date, clock);
  docs.forEach(assertValid);
  try {
    const results = await db.bulkDocs(docs as unknown as Record<string, unknown>[]);
    let created = 0;
    let existing = 0;
    for (const r of results) {
      if ('ok' in r && r.ok) created += 1;
      else if ('status' in r && r.status === 409) existing += 1;
      else throw toOutpostError(r);
    }
    return { created, existing };
  } catch (err) {
    throw toOutpostError(err);
  }
}
