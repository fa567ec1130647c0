// validate_doc_update for Outpost's master and per-user databases (DESIGN.md sections 4 and 8).
// Installed by the provisioner as _design/outpost. ES5 only: it runs in CouchDB's QuickJS and in
// the embedded server. The provisioner replaces the two placeholder lines below for each db.
function (newDoc, oldDoc, userCtx) {
  var DB_OWNER = null; // outpost:db-owner
  var TEAM = []; // outpost:team
  var ONLY_TYPES = null; // outpost:only-types
  var TYPES = ['account', 'stop', 'event', 'note', 'task', 'conflict', 'device', 'photo', 'template', 'inspection', 'product', 'order'];
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
  // Dates by the device's rule and in its words (src/lib/domain/validate.ts isIsoDate and
  // isIsoTimestamp): a real calendar date, so 2026-13-45 and Feb 30 are refused.
  function isIsoDate(v) {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
    var d = new Date(v + 'T00:00:00Z');
    return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }
  function isIsoTimestamp(v) {
    if (typeof v !== 'string') return false;
    if (!/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return false;
    return isIsoDate(v.slice(0, 10)) && !isNaN(Date.parse(v));
  }
  // A date-time field: `required` ones must be there; others are checked when present.
  function timestamp(field, label, required) {
    if (newDoc[field] === undefined && !required) return;
    if (!isIsoTimestamp(newDoc[field])) forbid(label + ' must be a valid date and time.');
  }

  if (newDoc._id.indexOf('_design/') === 0) forbid('Design documents can only be changed by an admin.');
  // A team's reference db (products, templates): read by the team, written by its supervisors.
  if (ONLY_TYPES !== null) {
    if (roles.indexOf('supervisor') === -1) forbid('Only supervisors and admins may change the reference data.');
    var kind = newDoc.type || (oldDoc && oldDoc.type);
    if (ONLY_TYPES.indexOf(kind) === -1) forbid('Only ' + ONLY_TYPES.join(' and ') + ' documents belong in the reference db.');
  } else if (DB_OWNER !== null && (newDoc.type === 'product' || newDoc.type === 'template')) {
    forbid('Products and templates are written in the team\'s reference db.');
  }
  var owner = newDoc.owner || (oldDoc && oldDoc.owner);
  if (typeof owner !== 'string' || owner === '') forbid('Every document needs an owner.');
  if (!mayWriteFor(owner)) throw { unauthorized: 'You may only write your own documents.' };
  if (oldDoc && !oldDoc._deleted && oldDoc.owner && oldDoc.owner !== owner && !mayWriteFor(oldDoc.owner)) {
    throw { unauthorized: 'You may not take over a document owned by ' + oldDoc.owner + '.' };
  }
  // A device status has one writer: its person (or that person's device credential), never a
  // supervisor on their behalf, and its id names its owner: device:<owner>~<device id>.
  if (newDoc.type === 'device' || (oldDoc && oldDoc.type === 'device')) {
    if (!writesAs(owner)) forbid('Only ' + owner + '\'s own devices may write their device status.');
    if (newDoc._id.indexOf('device:' + owner + '~') !== 0) forbid('A device status id must be device:' + owner + '~<device id>.');
  }
  // A submitted inspection is final: only the conflict resolver's tombstone may follow it.
  if (oldDoc && !oldDoc._deleted && oldDoc.type === 'inspection' && oldDoc.status === 'submitted') {
    if (!(newDoc._deleted && typeof newDoc.resolvedBy === 'string')) forbid('A submitted inspection can no longer be changed.');
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
    if (!isIsoDate(newDoc.date)) forbid('Date must be a real date written YYYY-MM-DD.');
    text('accountId', 'A stop account');
    text('assignee', 'A stop assignee');
    if (STATUSES.indexOf(newDoc.status) === -1) forbid('Unknown stop status: ' + newDoc.status + '.');
  }
  if (newDoc.type === 'event') {
    text('stopId', 'An event stop');
    text('kind', 'An event kind');
    timestamp('occurredAt', 'Event time', true);
    timestamp('deviceTime', 'Device time', false);
    if (oldDoc && !oldDoc._deleted) forbid('Events are immutable once recorded.');
  }
  if (newDoc.type === 'note') {
    text('text', 'Note text');
    timestamp('createdAt', 'Created time', false);
  }
  if (newDoc.type === 'task') {
    text('stopId', 'A task stop');
    text('title', 'A task title');
    if (typeof newDoc.done !== 'boolean') forbid('A task must be done or not done.');
    timestamp('doneAt', 'Done time', false);
  }
  if (newDoc.type === 'photo') {
    if (!newDoc.stopId && !newDoc.inspectionId) forbid('A photo must belong to a stop or an inspection.');
    timestamp('capturedAt', 'Capture time', true);
    var images = newDoc._attachments || {};
    if (!images.thumb || !images.full) forbid('A photo needs its thumbnail and full image.');
    if (newDoc.evictedAt !== undefined) forbid('A device-side eviction is never sent to the server.');
    if (oldDoc && !oldDoc._deleted) forbid('Photos are immutable once captured.');
  }
  if (newDoc.type === 'device') {
    text('label', 'A device label');
    text('appVersion', 'An app version');
    text('seenAt', 'A last seen time');
    if (!/^\d{4}-\d{2}-\d{2}T/.test(newDoc.seenAt)) forbid('A last seen time must be an ISO date and time.');
    if (newDoc.lastSyncAt !== null && !/^\d{4}-\d{2}-\d{2}T/.test(newDoc.lastSyncAt || '')) forbid('A last sync time must be an ISO date and time or null.');
    if (typeof newDoc.pending !== 'number' || newDoc.pending < 0 || newDoc.pending % 1 !== 0) forbid('Waiting writes must be a whole number, 0 or more.');
    if (typeof newDoc.conflicts !== 'number' || newDoc.conflicts < 0 || newDoc.conflicts % 1 !== 0) forbid('Open conflicts must be a whole number, 0 or more.');
    if (typeof newDoc.clockOffsetMs !== 'number' || newDoc.clockOffsetMs % 1 !== 0) forbid('A clock offset must be a whole number of milliseconds.');
  }
  if (newDoc.type === 'template') {
    var supervises = DB_OWNER === null ? roles.indexOf('supervisor') !== -1 : TEAM.length > 0;
    if (!supervises) forbid('Only supervisors may write inspection templates.');
    text('title', 'A template title');
    if (!newDoc.sections || !newDoc.sections.length) forbid('A template needs at least one section.');
  }
  if (newDoc.type === 'inspection') {
    text('stopId', 'An inspection stop');
    text('templateId', 'An inspection template');
    timestamp('startedAt', 'Start time', true);
    if (newDoc.status !== 'draft' && newDoc.status !== 'submitted') forbid('An inspection is a draft or submitted.');
    if (!newDoc.template || !newDoc.template.sections) forbid('An inspection needs its form.');
    if (typeof newDoc.answers !== 'object' || newDoc.answers === null) forbid('An inspection needs its answers.');
    if (newDoc.status === 'submitted' && !isIsoTimestamp(newDoc.submittedAt)) {
      forbid('A submitted inspection needs its submit time.');
    }
    for (var q in newDoc.answers) {
      var answer = newDoc.answers[q];
      if (answer && typeof answer === 'object' && 'signedAt' in answer && !isIsoTimestamp(answer.signedAt)) {
        forbid('Sign again: the signature is not readable.');
      }
    }
  }
  if (newDoc.type === 'product') {
    if (roles.indexOf('supervisor') === -1) forbid('Only supervisors and admins may change the product catalogue.');
    text('sku', 'A product SKU');
    text('name', 'A product name');
    if (typeof newDoc.price !== 'number' || newDoc.price < 0 || newDoc.price % 1 !== 0) forbid('A product price must be a whole number of cents.');
    if (typeof newDoc.taxRate !== 'number' || newDoc.taxRate < 0 || newDoc.taxRate > 10000 || newDoc.taxRate % 1 !== 0) {
      forbid('A product tax rate must be whole basis points from 0 to 10000.');
    }
    if (typeof newDoc.active !== 'boolean') forbid('A product must be active or not.');
  }
  if (newDoc.type === 'order') {
    text('stopId', 'An order stop');
    text('accountId', 'An order account');
    if (newDoc.status !== 'draft' && newDoc.status !== 'submitted') forbid('Unknown order status: ' + newDoc.status + '.');
    if (typeof newDoc.lines !== 'object' || newDoc.lines === null) forbid('An order needs its lines.');
    if (typeof newDoc.totals !== 'object' || newDoc.totals === null) forbid('An order needs its totals.');
    if (newDoc.status === 'submitted' && !isIsoTimestamp(newDoc.submittedAt)) {
      forbid('A submitted order needs its submission time.');
    }
    timestamp('submittedAt', 'Submission time', false);
    if (oldDoc && !oldDoc._deleted && oldDoc.status === 'submitted') {
      var same = newDoc.status === 'submitted' && newDoc.submittedAt === oldDoc.submittedAt &&
        newDoc.totals.gross === (oldDoc.totals || {}).gross;
      var oldLines = oldDoc.lines || {};
      var lineIds = Object.keys(newDoc.lines).concat(Object.keys(oldLines));
      for (var i = 0; same && i < lineIds.length; i++) {
        var a = newDoc.lines[lineIds[i]];
        var b = oldLines[lineIds[i]];
        same = !!a && !!b && a.qty === b.qty && a.unitPrice === b.unitPrice && a.productId === b.productId && !a.removed === !b.removed;
      }
      if (!same) forbid('Submitted orders cannot be changed.');
    }
  }
}
