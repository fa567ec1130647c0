/**
 * Load-time fixes to express-pouchdb's own modules, applied before express-pouchdb is loaded
 * (server.ts imports this first; ESM evaluates imports in order). Each one replaces one exact
 * piece of source and fails loudly if that piece is not found (e.g. after an upgrade):
 *  - pouchdb-validation overwrote the incoming doc's `_revisions` with the stored doc's before
 *    running validate_doc_update, so under replication (`_bulk_docs` with `new_edits: false`)
 *    every update of an existing doc was a silent no-op: success answered, nothing stored.
 *    The validation functions now get a copy of the doc.
 *  - the longpoll `_changes` route never handled a failing first read (e.g. the db deleted
 *    while a client polls): an unhandled rejection, which ends a Node process by default.
 *    It now answers with the error like its other routes.
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

type LoadableModule = Module & {
  _compile(source: string, filename: string): void;
  loaded: boolean;
};
type ModuleStatics = typeof Module & { _nodeModulePaths(dir: string): string[] };

const require = createRequire(import.meta.url);
const expressPouchDir = dirname(require.resolve('express-pouchdb'));

/** Compiles `file` with `from` replaced by `to` into the require cache (once). */
function patchModule(file: string, from: string, to: string): void {
  if (require.cache[file]) return;
  const source = readFileSync(file, 'utf8');
  if (!source.includes(from)) {
    throw new Error(`${file} changed; re-check the fix in src/lib/server/embedded/patches.ts`);
  }
  const mod = new Module(file) as LoadableModule;
  mod.filename = file;
  mod.paths = (Module as ModuleStatics)._nodeModulePaths(dirname(file));
  mod._compile(source.replace(from, to), file);
  mod.loaded = true;
  require.cache[file] = mod;
}

patchModule(
  require.resolve('pouchdb-validation', { paths: [expressPouchDir] }),
  'newDoc._revisions = (oldDoc || {})._revisions;',
  'newDoc = Object.assign({}, newDoc); if (!newDoc._revisions) newDoc._revisions = (oldDoc || {})._revisions;',
);

patchModule(
  join(expressPouchDir, 'routes', 'changes.js'),
  'req.db.changes(req.query).then(function (complete) {',
  'req.db.changes(req.query).catch(function (err) { utils.sendError(res, err); cleanup(); return null; }).then(function (complete) { if (!complete) return;',
);
