/**
 * Embedded-server fix, loaded before express-pouchdb (see server.ts). pouchdb-validation 4.2
 * (used by express-pouchdb for validate_doc_update) overwrites the incoming doc's `_revisions`
 * with the stored doc's before validating. Under replication (`_bulk_docs` with
 * `new_edits: false`) that turns every update of an existing doc into a silent no-op: the
 * server answers success and stores nothing. CouchDB does not do this. Here the validation
 * functions get a copy of the doc instead, so the doc that is stored keeps its own history.
 * The patch fails loudly if the line it replaces is not found (e.g. after an upgrade).
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';

const BUGGY_LINE = 'newDoc._revisions = (oldDoc || {})._revisions;';
const FIXED_LINE =
  'newDoc = Object.assign({}, newDoc); if (!newDoc._revisions) newDoc._revisions = (oldDoc || {})._revisions;';

type LoadableModule = Module & {
  _compile(source: string, filename: string): void;
  loaded: boolean;
};
type ModuleStatics = typeof Module & { _nodeModulePaths(dir: string): string[] };

const require = createRequire(import.meta.url);
const file = require.resolve('pouchdb-validation', {
  paths: [dirname(require.resolve('express-pouchdb'))],
});
if (!require.cache[file]) {
  const source = readFileSync(file, 'utf8');
  if (!source.includes(BUGGY_LINE)) {
    throw new Error(
      `pouchdb-validation changed (${file}); re-check the _revisions fix in validation-fix.ts`,
    );
  }
  const mod = new Module(file) as LoadableModule;
  mod.filename = file;
  mod.paths = (Module as ModuleStatics)._nodeModulePaths(dirname(file));
  mod._compile(source.replace(BUGGY_LINE, FIXED_LINE), file);
  mod.loaded = true;
  require.cache[file] = mod;
}
