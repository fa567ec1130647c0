/**
 * leveldb-core's changes feed caches each doc's metadata for the rest of a read. When a write
 * resolves a conflict of that doc while the read runs, the cached metadata names the old winner,
 * whose body auto-compaction (or `_compact`) has just removed; the read then passed `undefined`
 * on and threw inside a stream callback, an uncaught exception that ends the process (or, on a
 * device, silently kills that feed; found by the chaos long run, seeds 104 and 133). The entry is
 * skipped instead: the doc's new revision has a later sequence, which the next read returns.
 */
export const LEVELDB_CHANGES_FIX: [string, string] = [
  'var change = opts.processChange(winningDoc, metadata, opts);',
  'if (!winningDoc) { return next(); } var change = opts.processChange(winningDoc, metadata, opts);',
];
