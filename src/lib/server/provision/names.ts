/** Names of Outpost's databases, users and roles (DESIGN.md section 8). */

export { referenceDbName, userDbName } from '../../domain/db-names';

/** Default name of the team's master database. */
export const DEFAULT_MASTER_DB = 'outpost';

/** Separates the owner from the device id in a device user's name: `ana~dev-1a2b`. */
export const DEVICE_SEPARATOR = '~';

/** The role that lets a device write as its owner: `owner:<name>`. */
export function ownerRole(name: string): string {
  return `owner:${name}`;
}

/** True when a `_users` name is a device credential rather than a person. */
export function isDeviceUser(name: string): boolean {
  return name.includes(DEVICE_SEPARATOR);
}

/** The `_users` name of one device of a user. */
export function deviceUserName(owner: string, deviceId: string): string {
  return `${owner}${DEVICE_SEPARATOR}${deviceId}`;
}
