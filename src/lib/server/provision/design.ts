/** The `_design/outpost` document installed in master and every per-user db, built from couchdb/design. */
import { readFileSync } from 'node:fs';

const DESIGN_DIR = new URL('../../../../couchdb/design/', import.meta.url);

const VALIDATE_SOURCE = readFileSync(new URL('validate_doc_update.js', DESIGN_DIR), 'utf8')
  .split('\n')
  .filter((line) => !line.startsWith('//'))
  .join('\n')
  .trim();
const VIEWS = JSON.parse(readFileSync(new URL('views.json', DESIGN_DIR), 'utf8')) as Record<
  string,
  unknown
>;

/** Mango indexes every Outpost db gets (Fauxton users want them too). */
export const MANGO_INDEXES = JSON.parse(
  readFileSync(new URL('indexes.json', DESIGN_DIR), 'utf8'),
) as {
  index: { fields: string[] };
  ddoc: string;
  name: string;
}[];

/**
 * The design doc for a database. `dbOwner` is the user whose db it is (null for master) and
 * `team` the users whose documents that owner may also write (a supervisor's reps);
 * `onlyTypes` limits a team's reference db to its types.
 */
export function outpostDesignDoc(
  dbOwner: string | null,
  team: string[] = [],
  onlyTypes: readonly string[] | null = null,
) {
  const validate = VALIDATE_SOURCE.replace(
    /var DB_OWNER = null; \/\/ outpost:db-owner/,
    `var DB_OWNER = ${JSON.stringify(dbOwner)};`,
  )
    .replace(
      /var TEAM = \[\]; \/\/ outpost:team/,
      `var TEAM = ${JSON.stringify([...team].sort())};`,
    )
    .replace(
      /var ONLY_TYPES = null; \/\/ outpost:only-types/,
      `var ONLY_TYPES = ${JSON.stringify(onlyTypes)};`,
    );
  return {
    _id: '_design/outpost',
    language: 'javascript',
    validate_doc_update: validate,
    views: VIEWS,
  };
}
