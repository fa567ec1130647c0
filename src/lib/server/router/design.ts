/**
 * `_design/outpost-router` on master: the two views the change router looks people up by. A
 * design doc of its own, so changing it never rebuilds the views of `_design/outpost`.
 */

/** Name of the router's design doc on master (without `_design/`). */
export const ROUTER_DESIGN = 'outpost-router';

/** The design doc (ES5: it runs in CouchDB's QuickJS and in the embedded server). */
export function routerDesignDoc() {
  return {
    _id: `_design/${ROUTER_DESIGN}`,
    language: 'javascript',
    views: {
      // Every person a doc is about: owner, assignee, earlier assignees (backfills).
      related_people: {
        map:
          "function (doc) { if (doc.type === 'product' || doc.type === 'template') return; var seen = {}; " +
          "function e(n) { if (typeof n === 'string' && !seen[n]) { seen[n] = true; emit(n, null); } } " +
          'e(doc.owner); e(doc.assignee); ' +
          'if (doc.formerAssignees && doc.formerAssignees.length) { for (var i = 0; i < doc.formerAssignees.length; i++) e(doc.formerAssignees[i]); } }',
      },
      // The people with a stop at an account (earlier assignees too): an account edit reaches them.
      stop_people_by_account: {
        map:
          "function (doc) { if (doc.type === 'stop' && typeof doc.accountId === 'string') { var seen = {}; " +
          "function e(n) { if (typeof n === 'string' && !seen[n]) { seen[n] = true; emit(doc.accountId, n); } } " +
          'e(doc.assignee); e(doc.owner); ' +
          'if (doc.formerAssignees && doc.formerAssignees.length) { for (var i = 0; i < doc.formerAssignees.length; i++) e(doc.formerAssignees[i]); } } }',
      },
    },
  };
}
