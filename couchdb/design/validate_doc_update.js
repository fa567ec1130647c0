// validate_doc_update for Outpost's master and per-user databases (DESIGN.md sections 4 and 8).
// Installed by the provisioner as _design/outpost. ES5 only: it runs in CouchDB's QuickJS and in
// the embedded server. The provisioner replaces the two placeholder lines below for each db.
function (newDoc, oldDoc, userCtx) {
  var DB_OWNER = null; // outpost:db-owner
  var TEAM = []; // outpost:team
  var TYPES = ['account', 'stop', 'event', 'note', 'task', 'conflict', 'device'];
  var STATUSES = ['planned', 'en_route', 'arrived', 'done', 'skipped', 'cancelled'];
  var roles = userCtx.roles || [];
  if (roles.indexOf('_admin') !== -1) return;

  function forbid(reason) {
    throw { forbidden: reason };
  }
  function writesAs(name) {
    return typeof name === 'string' && (userCtx.name === name || roles.indexOf('owner:' + name) !== -1);
  }
  function mayWriteFor(owner) {
    if (writesAs(owner)) return true;
    if (roles.indexOf('supervisor') !== -1 && DB_OWNER === null) return true; // master: supervisors
    return DB_OWNER !== null && writesAs(DB_OWNER) && TEAM.indexOf(owner) !== -1;
  }
  function text(field, label) {
    if (typeof newDoc[field] !== 'string' || newDoc[field] === '') forbid(label + ' is required.');
  }

  if (newDoc._id.indexOf('_design/') === 0) forbid('Design documents can only be changed by an admin.');
  var owner = newDoc.owner || (oldDoc && oldDoc.owner);
  if (typeof owner !== 'string' || owner === '') forbid('Every document needs an owner.');
  if (!mayWriteFor(owner)) throw { unauthorized: 'You may only write your own documents.' };
  if (oldDoc && !oldDoc._deleted && oldDoc.owner && oldDoc.owner !== owner && !mayWriteFor(oldDoc.owner)) {
    throw { unauthorized: 'You may not take over a document owned by ' + oldDoc.owner + '.' };
  }
  if (newDoc._deleted) return;

  if (TYPES.indexOf(newDoc.type) === -1) forbid('Unknown document type: ' + newDoc.type + '.');
  if (newDoc._id.indexOf(newDoc.type + ':') !== 0) forbid('The id must start with "' + newDoc.type + ':".');
  if (typeof newDoc.schema !== 'number' || newDoc.schema < 1 || newDoc.schema % 1 !== 0) {
    forbid('schema must be a whole number of at least 1.');
  }
  text('updatedAt', 'updatedAt');
  text('updatedBy', 'updatedBy');
  text('deviceId', 'deviceId');

  if (newDoc.type === 'account') text('name', 'An account name');
  if (newDoc.type === 'stop') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(newDoc.date || '')) forbid('A stop needs a date written YYYY-MM-DD.');
    text('accountId', 'A stop account');
    text('assignee', 'A stop assignee');
    if (STATUSES.indexOf(newDoc.status) === -1) forbid('Unknown stop status: ' + newDoc.status + '.');
  }
  if (newDoc.type === 'event') {
    text('stopId', 'An event stop');
    text('kind', 'An event kind');
    text('occurredAt', 'An event time');
    if (oldDoc && !oldDoc._deleted) forbid('Events are immutable once recorded.');
  }
  if (newDoc.type === 'note') text('text', 'Note text');
  if (newDoc.type === 'task') {
    text('stopId', 'A task stop');
    text('title', 'A task title');
    if (typeof newDoc.done !== 'boolean') forbid('A task must be done or not done.');
  }
}
