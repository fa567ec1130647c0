/** The demo team on the server: people in `_users` and today's demo day in master. */
import type { ServerScope } from 'nano';
import { createHlc } from '../clock/hlc';
import { demoDayDocs } from '../demo/load';
import { DEMO_REPS, DEMO_SUPERVISOR } from '../demo/fixtures';
import { REFERENCE_TYPES } from '../domain/routing';
import { referenceDbName } from './provision/names';
import { addPerson } from './provision/users';

/** Demo team name in `_users` (the supervisor sees its reps). */
export const DEMO_TEAM = 'demo';

/** Creates the demo people (idempotent: existing users keep their password). */
export async function ensureDemoPeople(couch: ServerScope, password: string): Promise<string[]> {
  const users = couch.use('_users');
  const created: string[] = [];
  for (const p of [...DEMO_REPS, DEMO_SUPERVISOR]) {
    const exists = await users.head(`org.couchdb.user:${p.name}`).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    await addPerson(couch, {
      name: p.name,
      password,
      role: p.role,
      team: DEMO_TEAM,
      displayName: p.displayName,
    });
    created.push(p.name);
  }
  return created;
}

/**
 * Writes the demo day for `date`: the plan into master, the catalogue and templates into the demo
 * team's reference db. Documents already there are left as they are.
 */
export async function seedDemoDay(
  couch: ServerScope,
  masterDb: string,
  date: string,
): Promise<number> {
  const docs = demoDayDocs(date, createHlc({ deviceId: 'server-seed' }));
  const isReference = (d: { type?: unknown }) => REFERENCE_TYPES.includes(String(d.type));
  const referenceDb = referenceDbName(DEMO_TEAM);
  await couch.db.create(referenceDb).catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 412) throw err;
  });
  const written = await Promise.all([
    couch.use(masterDb).bulk({ docs: docs.filter((d) => !isReference(d)) }),
    couch.use(referenceDb).bulk({ docs: docs.filter(isReference) }),
  ]);
  return written.flat().filter((r) => !r.error).length;
}

/** Today's date on this server as YYYY-MM-DD (local time zone). */
export function localDate(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
