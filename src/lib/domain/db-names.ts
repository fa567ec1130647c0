/** Names of the server databases a person syncs with (shared by the server and the device). */

/** Lowercase hex of the UTF-8 bytes of a text (CouchDB's per-user db convention). */
function hexOf(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

/** The per-user database of a user: `userdb-<hex of the UTF-8 name>`. */
export function userDbName(name: string): string {
  return `userdb-${hexOf(name)}`;
}

/** The reference db of a team (products, templates): `outpost-ref-<hex of the team name>`. */
export function referenceDbName(team: string): string {
  return `outpost-ref-${hexOf(team)}`;
}
