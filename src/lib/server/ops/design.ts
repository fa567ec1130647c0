/**
 * `_design/outpost-ops` on master: device status docs by last seen, for Fauxton (Views ->
 * devices_by_seen, newest first with `descending=true`) and for `/metrics`. A design doc of its
 * own, so changing it never rebuilds the views of `_design/outpost`.
 */

/** Name of the operations design doc on master (without `_design/`). */
export const OPS_DESIGN = 'outpost-ops';

/** The design doc (ES5: it runs in CouchDB's QuickJS and in the embedded server). */
export function opsDesignDoc() {
  return {
    _id: `_design/${OPS_DESIGN}`,
    language: 'javascript',
    views: {
      devices_by_seen: {
        map:
          "function (doc) { if (doc.type !== 'device' || typeof doc.seenAt !== 'string') return; " +
          'var s = doc.storage || {}; ' +
          'emit(doc.seenAt, { owner: doc.owner, label: doc.label, appVersion: doc.appVersion, ' +
          'lastSyncAt: doc.lastSyncAt, pending: doc.pending, conflicts: doc.conflicts, ' +
          'problem: doc.problem ? doc.problem.code : null, usage: s.usage, quota: s.quota, ' +
          'persisted: s.persisted, clockOffsetMs: doc.clockOffsetMs }); }',
        reduce: '_count',
      },
    },
  };
}
