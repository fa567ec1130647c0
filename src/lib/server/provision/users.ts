/** People and device credentials in CouchDB's `_users` db (DESIGN.md section 8). */
import { randomBytes } from 'node:crypto';
import type { ServerScope } from 'nano';
import { createError } from '../../errors';
import { deviceUserName, isDeviceUser, ownerRole } from './names';
import type { PersonRole } from './provision';

const NAME_RE = /^[a-z][a-z0-9._-]{0,63}$/;
const DEVICE_ID_RE = /^[A-Za-z0-9_-]{4,64}$/;

interface CouchError {
  statusCode?: number;
}
const status = (err: unknown) => (err as CouchError)?.statusCode;

/** Why a person's name is not acceptable, or null. */
export function userNameError(name: string): string | null {
  if (!NAME_RE.test(name)) {
    return 'A user name is 1-64 characters: lowercase letters, digits, dot, dash or underscore, starting with a letter.';
  }
  return null;
}

/** Creates a person (or updates their role/team/password) in `_users`. */
export async function addPerson(
  couch: ServerScope,
  input: { name: string; password: string; role: PersonRole; team?: string; displayName?: string },
): Promise<{ created: boolean }> {
  const problem = userNameError(input.name);
  if (problem) throw createError('invalid', { message: problem, fields: { name: problem } });
  if (input.password.length < 8) {
    const message = 'A password needs at least 8 characters.';
    throw createError('invalid', { message, fields: { password: message } });
  }
  const users = couch.use<Record<string, unknown>>('_users');
  const id = `org.couchdb.user:${input.name}`;
  let rev: string | undefined;
  try {
    rev = (await users.get(id))._rev;
  } catch (err) {
    if (status(err) !== 404) throw err;
  }
  await users.insert({
    _id: id,
    ...(rev ? { _rev: rev } : {}),
    name: input.name,
    type: 'user',
    roles: [input.role],
    password: input.password,
    outpost: { team: input.team ?? 'default', displayName: input.displayName ?? input.name },
  });
  return { created: !rev };
}

export interface DeviceCredential {
  username: string;
  password: string;
}

/**
 * Creates (or re-keys) the CouchDB user of one device: a random secret, and a role naming the
 * owner so it may read and write the owner's db. Re-enrolling the same device replaces the
 * secret, so a copied old secret stops working.
 */
export async function createDeviceUser(
  couch: ServerScope,
  owner: string,
  deviceId: string,
  label: string,
): Promise<DeviceCredential> {
  if (isDeviceUser(owner)) {
    throw createError('forbidden', { message: 'A device credential cannot enrol another device.' });
  }
  if (!DEVICE_ID_RE.test(deviceId)) {
    const message = 'The device id must be 4-64 letters, digits, dashes or underscores.';
    throw createError('invalid', { message, fields: { deviceId: message } });
  }
  const username = deviceUserName(owner, deviceId);
  const password = randomBytes(24).toString('base64url');
  const users = couch.use<Record<string, unknown>>('_users');
  const id = `org.couchdb.user:${username}`;
  let rev: string | undefined;
  try {
    rev = (await users.get(id))._rev;
  } catch (err) {
    if (status(err) !== 404) throw err;
  }
  await users.insert({
    _id: id,
    ...(rev ? { _rev: rev } : {}),
    name: username,
    type: 'user',
    roles: [ownerRole(owner), 'device'],
    password,
    outpost: { owner, deviceId, label: label.slice(0, 120), enrolledAt: new Date().toISOString() },
  });
  return { username, password };
}
