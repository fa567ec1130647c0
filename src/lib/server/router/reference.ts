/**
 * Reference data (products, templates) is shared per team, not copied per person: it lives in
 * each team's reference db, which devices pull directly. This moves what an earlier version (or
 * an admin) left in master into every team's reference db, then removes it from master, where
 * nobody would see it any more. Copies keep their revisions, so running it again is a no-op.
 */
import { REFERENCE_TYPES } from '../../domain/routing';
import { dbPath, type AdminCouch } from '../couch/admin-http';
import { referenceDbName } from '../provision/names';
import { copyRevisions, planAdd, type CopyPlan } from './copy';

const CHUNK = 1000;

/** Moves master's reference docs into the teams' reference dbs; returns how many moved. */
export async function moveReferenceData(
  couch: AdminCouch,
  masterDb: string,
  teams: string[],
): Promise<number> {
  if (!teams.length) return 0;
  const found: { id: string; rev: string; type: string }[] = [];
  for (const type of REFERENCE_TYPES) {
    const res = await couch.request<{ rows: { id: string; value: { rev: string } }[] }>(
      'GET',
      `${dbPath(masterDb)}/_all_docs`,
      { query: { startkey: JSON.stringify(`${type}:`), endkey: JSON.stringify(`${type}:\ufff0`) } },
    );
    for (const row of res.rows) found.push({ id: row.id, rev: row.value.rev, type });
  }
  for (let i = 0; i < found.length; i += CHUNK) {
    const chunk = found.slice(i, i + CHUNK);
    const plan: CopyPlan = new Map();
    for (const team of teams) {
      for (const doc of chunk) planAdd(plan, referenceDbName(team), doc.id, [doc.rev]);
    }
    await copyRevisions(couch, masterDb, plan);
    await couch.request('POST', `${dbPath(masterDb)}/_bulk_docs`, {
      body: {
        docs: chunk.map((d) => ({ _id: d.id, _rev: d.rev, _deleted: true, type: d.type })),
      },
    });
  }
  return found.length;
}
