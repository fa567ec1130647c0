/**
 * Load-time fixes to express-pouchdb's own modules, applied before express-pouchdb is loaded
 * (server.ts imports this first; ESM evaluates imports in order). Each one replaces one exact
 * piece of source and fails loudly if that piece is not found (e.g. after an upgrade):
 *  - pouchdb-validation overwrote the incoming doc's `_revisions` with the stored doc's before
 *    running validate_doc_update, so under replication (`_bulk_docs` with `new_edits: false`)
 *    every update of an existing doc was a silent no-op: success answered, nothing stored.
 *    The validation functions now get a copy of the doc.
 *  - pouchdb-validation also passed the doc's current winner as `oldDoc` for a replicated
 *    revision. CouchDB passes the revision's nearest ancestor whose body it still has
 *    (couch_db make_first_doc_on_disk), or null. So a rep's replicated check-in (a child of the
 *    stop revision she had) reaching her db after the supervisor's reassignment was checked
 *    against the reassigned winner, refused ("You may not take over a document owned by ...")
 *    and never reached master, where CouchDB accepts it (found by the chaos harness:
 *    `npm run chaos -- --seed 2 --profile moving-vehicle`). A replicated revision is now
 *    validated against its nearest stored ancestor on its own `_revisions` path, and one the db
 *    already has is accepted unvalidated, a no-op (CouchDB prep_and_validate_replicated_updates:
 *    "already exists in the tree ... consider it a success"), so a device may resend its own
 *    revisions without asking `_revs_diff` first.
 *  - leveldb-core's changes feed threw on a doc whose conflict was resolved during the read
 *    (LEVELDB_CHANGES_FIX below; the tests' memory adapter gets the same fix).
 *  - the longpoll `_changes` route never handled a failing first read, nor a feed that ended
 *    without results (e.g. the db deleted while a client polls): an unhandled rejection, which
 *    ends a Node process by default. It now answers with the error like its other routes.
 *  - a live `_changes` request (longpoll or continuous) whose client went away kept its
 *    heartbeat timer and its feed on the db forever: continuous feeds were never cancelled, and
 *    a longpoll client gone during the first read left the live wait behind (one leaked timer
 *    and listener per dropped connection; found when the chaos CLI never exited). Both now end
 *    when the response closes, as CouchDB ends a feed whose socket closed.
 *  - a longpoll `_changes` without a heartbeat never ended (CouchDB answers after `timeout`,
 *    60 s at most, with no results).
 *  - `_changes?filter=_selector` never read the selector from the POST body, so PouchDB looked
 *    for a design doc `_selector` (an unhandled rejection); the route now passes the body's
 *    selector on, as it did `doc_ids` (compat.ts checks the request first); and a selector that
 *    threw on some doc (an unhandled rejection) now just does not match it, as in CouchDB.
 *  - a request to a db that found it listed just before a `DELETE /db` destroyed it opened the
 *    db again after the destroy (express-pouchdb checks the list, then opens in its create/delete
 *    lock): LevelDB made the db anew and pouchdb-all-dbs listed it again, so the next
 *    `PUT /db` answered 412 `file_exists` (a sync request still on its way while an admin
 *    deleted and re-created a db; busy cores widen the window). A db is now opened inside that
 *    lock only if it is still listed, else the request gets CouchDB's 404; and one failed
 *    create/delete no longer blocks every later one (the lock's promise chain stayed rejected).
 *  - `PUT /db` made a PouchDB object of its own to create the db and never let it go: requests
 *    use the db cache's object, so every db ever created kept a second one (about 30 KB, its
 *    closures and listeners) for the life of the process, 150 MB at 5,000 people. It is now
 *    released once the db exists (`unref`, as PouchDB does on close, but without closing the
 *    LevelDB store the cache's object shares).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LEVELDB_CHANGES_FIX } from './leveldb-changes-fix';
import { patchModule } from './patch-module';

const require = createRequire(import.meta.url);
const expressPouchDir = dirname(require.resolve('express-pouchdb'));
const OWNER = 'src/lib/server/embedded/patches.ts';

/**
 * CouchDB's `oldDoc` for a replicated revision: its nearest ancestor still stored, or null; or
 * ALREADY_STORED when the db has the revision itself (CouchDB then skips validation: a no-op).
 */
const ANCESTOR_DOC = `
var ALREADY_STORED = {};
function ancestorDoc(db, doc) {
  var path = doc._revisions;
  function at(i) {
    if (i >= path.ids.length) return Promise.resolve(null);
    return db.get(doc._id, { rev: path.start - i + '-' + path.ids[i], revs: true }).catch(function () {
      return at(i + 1);
    });
  }
  return db.get(doc._id, { rev: path.start + '-' + path.ids[0] }).then(
    function () { return ALREADY_STORED; },
    function () { return at(1); }
  );
}
`;

patchModule(
  require.resolve('pouchdb-validation', { paths: [expressPouchDir] }),
  [
    [
      'newDoc._revisions = (oldDoc || {})._revisions;',
      'newDoc = Object.assign({}, newDoc); if (!newDoc._revisions) newDoc._revisions = (oldDoc || {})._revisions;',
    ],
    [
      'var oldDocPromise = oldDoc(db, newDoc._id);',
      'var oldDocPromise = options.new_edits === false && newDoc._revisions && Array.isArray(newDoc._revisions.ids) ? ancestorDoc(db, newDoc) : oldDoc(db, newDoc._id);',
    ],
    [
      'return validate(validationFuncs, newDoc, oldDoc, completeOptions);',
      'if (oldDoc === ALREADY_STORED) return; return validate(validationFuncs, newDoc, oldDoc, completeOptions);',
    ],
  ],
  { append: ANCESTOR_DOC, owner: OWNER },
);

/**
 * A `_selector` filter that cannot be evaluated on a doc (`$all` on a field that is not an
 * array, ...) means no match, as in CouchDB's mango; PouchDB threw inside the running feed.
 */
const SELECTOR_NEVER_THROWS: [string, string] = [
  '      return matchesSelector(doc, opts.selector);',
  '      try { return matchesSelector(doc, opts.selector); } catch (err) { return false; }',
];

// The server's PouchDB bundles its own copy of leveldb-core (and of the changes filters).
patchModule(require.resolve('pouchdb'), [LEVELDB_CHANGES_FIX, SELECTOR_NEVER_THROWS], {
  owner: OWNER,
});

// Before changes.js below: compiling it loads utils.js and create-or-delete-dbs.js.
/** Whether a db is still listed, asked inside express-pouchdb's create/delete lock. */
const STILL_LISTED = `
function stillListed(PouchDB, name) {
  if (typeof PouchDB.allDbs !== 'function') return Promise.resolve(true);
  return PouchDB.allDbs().then(function (dbs) { return dbs.indexOf(name) !== -1; });
}
`;

patchModule(
  join(expressPouchDir, 'create-or-delete-dbs.js'),
  [
    [
      '  promiseChain = promiseChain.then(fun);\n  return promiseChain;',
      '  var result = promiseChain.then(fun);\n  promiseChain = result.catch(function () {});\n  return result;',
    ],
    [
      `    db = new PouchDB(dbName);
    map.set(dbName, db);
    return db;`,
      `    return stillListed(PouchDB, dbName).then(function (listed) {
      if (!listed) return null;
      db = new PouchDB(dbName);
      map.set(dbName, db);
      if (typeof map.afterOpen !== 'function') return db;
      return map.afterOpen(dbName).then(function () { return db; });
    });`,
    ],
  ],
  { append: STILL_LISTED, owner: OWNER },
);

patchModule(
  join(expressPouchDir, 'utils.js'),
  [
    [
      'getOrCreateDB(req.PouchDB, dbName).then(function (db) {',
      "getOrCreateDB(req.PouchDB, dbName).then(function (db) {\n      if (!db) return exports.sendJSON(res, 404, { error: 'not_found', reason: 'Database does not exist.' });",
    ],
  ],
  { owner: OWNER },
);

/** Lets go of the object `PUT /db` created the db with (see above). */
const RELEASE_CREATOR = `
function releaseCreator(db) {
  db.constructor.emit('unref', db);
}
`;

/** `PUT /db`'s 201 answer at one of its two places (indented by `pad`), releasing first. */
const releaseBeforeCreated = (pad: string): [string, string] => {
  const created = `${pad}utils.setLocation(res, name);\n${pad}utils.sendJSON(res, 201, {ok: true});`;
  return [created, `${pad}releaseCreator(db);\n${created}`];
};

patchModule(
  join(expressPouchDir, 'routes', 'db.js'),
  [releaseBeforeCreated(' '.repeat(16)), releaseBeforeCreated(' '.repeat(8))],
  { append: RELEASE_CREATOR, owner: OWNER },
);

/**
 * CouchDB ends a longpoll that asked for no heartbeat after `timeout` ms (at most its
 * changes_timeout, 60 s) with no results and the sequence it waited from.
 */
const LONGPOLL_TIMEOUT = `
            if (typeof req.query.heartbeat !== 'number') {
              var waitMs = typeof req.query.timeout === 'number' && req.query.timeout >= 0 ? Math.min(req.query.timeout, 60000) : 60000;
              var timeoutTimer = setTimeout(function () {
                if (res.writableEnded) return;
                res.write('],\\n"last_seq":' + JSON.stringify(complete.last_seq) + ',"pending":0}\\n');
                res.end();
                if (changes) changes.cancel();
                cleanup();
              }, waitMs);
              res.on('close', function () { clearTimeout(timeoutTimer); });
            }`;

/**
 * `filter=_selector` runs the selector of the POST body (compat.ts checked it first, in
 * CouchDB's words; a body that still has none is refused the same way, never run unfiltered).
 */
const SELECTOR_FROM_BODY = `
    if (req.query.filter === '_selector') {
      var selector = req.body && req.body.selector;
      if (typeof selector !== 'object' || selector === null || Array.isArray(selector)) {
        return utils.sendJSON(res, 400, { error: 'bad_request', reason: 'Selector error: expected a JSON object' });
      }
      req.query.selector = selector;
    }`;

/** Ends a live `_changes` request's heartbeat and feeds when its client goes away. */
const FEEDS_END_WITH_CLIENT = `
      var clientGone = false;
      var feeds = [];
      var track = function (feed) {
        feeds.push(feed);
        if (clientGone) feed.cancel();
        return feed;
      };
      var onClose = function () {
        clientGone = true;
        cleanup();
        if (!res.writableFinished) feeds.forEach(function (feed) { feed.cancel(); });
      };
      // A client can be gone before this handler runs ('close' already emitted).
      if (res.destroyed || req.socket.destroyed) onClose();
      else res.on('close', onClose);`;

patchModule(
  join(expressPouchDir, 'routes', 'changes.js'),
  [
    [
      `            res.write('{"results":[\\n');
            req.query.live = req.query.continuous = true;`,
      `            res.write('{"results":[\\n');
            req.query.live = req.query.continuous = true;${LONGPOLL_TIMEOUT}`,
    ],
    [
      '    if (req.body && req.body.doc_ids) {',
      `${SELECTOR_FROM_BODY}
    if (req.body && req.body.doc_ids) {`,
    ],
    [
      `      var cleanup = function () {
        if (heartbeatInterval) {
          clearInterval(heartbeatInterval);
        }
      };`,
      `      var cleanup = function () {
        if (heartbeatInterval) {
          clearInterval(heartbeatInterval);
        }
      };${FEEDS_END_WITH_CLIENT}`,
    ],
    [
      "req.db.changes(req.query).on('change', function (change) {\n          written = true;",
      "track(req.db.changes(req.query)).on('change', function (change) {\n          written = true;",
    ],
    ['var changes = req.db.changes(req.query)', 'var changes = track(req.db.changes(req.query))'],
    [
      'req.db.changes(req.query).then(function (complete) {',
      'track(req.db.changes(req.query)).catch(function (err) { utils.sendError(res, err); cleanup(); return null; }).then(function (complete) { if (!complete) return; if (!complete.results) { utils.sendError(res, new Error("The changes feed ended."), 500); cleanup(); return; }',
    ],
  ],
  { owner: OWNER },
);
