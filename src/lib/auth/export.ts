/** "Export my data": every document on the device as one JSON file, readable without the app. */

/** Collects all documents of a local database (with conflicts listed) into an export object. */
export async function exportLocalData(
  db: PouchDB.Database,
  meta: { user: string; deviceId: string; now?: () => Date },
): Promise<{ exportedAt: string; user: string; deviceId: string; count: number; docs: unknown[] }> {
  const res = await db.allDocs({ include_docs: true, conflicts: true });
  const docs = res.rows
    .map((r) => ('doc' in r ? r.doc : undefined))
    .filter((d): d is NonNullable<typeof d> => !!d && !d._id.startsWith('_design/'));
  return {
    exportedAt: (meta.now?.() ?? new Date()).toISOString(),
    user: meta.user,
    deviceId: meta.deviceId,
    count: docs.length,
    docs,
  };
}
