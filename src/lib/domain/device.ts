/**
 * Device status documents (DESIGN.md section 4): one `device:<owner>~<device id>` doc per enrolled
 * device (the key is the device's CouchDB user name, so a browser shared by two people keeps one
 * status per person), written by that device only (one writer, whole-document LWW), owned by its
 * person. The router takes it to master and the team's supervisors like any doc of the person;
 * the team board, the `/metrics` endpoint and a Fauxton view read it.
 */
import type { BaseDoc } from './types';
import { isIsoTimestamp } from './validate';

/** The last sync problem a device had, in the words its Sync screen showed. */
export interface DeviceProblem {
  /** The short error code (src/lib/errors.ts). */
  code: string;
  message: string;
}

/** The browser's storage figures (navigator.storage.estimate() and persisted()). */
export interface DeviceStorage {
  /** Bytes used by the app. */
  usage: number;
  /** Bytes the browser allows the app. */
  quota: number;
  /** True: kept under pressure; false: may be cleared; null: the browser does not say. */
  persisted: boolean | null;
}

/** The status of one device of one person. */
export interface DeviceDoc extends BaseDoc {
  type: 'device';
  /** The device in words ("Chrome on Android"). */
  label: string;
  /** The app's version ("0.1.0"). */
  appVersion: string;
  /** The app's build (SvelteKit's version name: build time in ms), to tell older builds apart. */
  build?: string;
  /** Corrected time (ISO) of the last successful sync, null before the first. */
  lastSyncAt: string | null;
  /** Writes made on the device and not yet on the server. */
  pending: number;
  /** The last sync problem, null when sync works. */
  problem: DeviceProblem | null;
  storage: DeviceStorage | null;
  /** Inbox items of this person that need review on the device. */
  conflicts: number;
  /** Server time minus device time (ms), as the device learned it. */
  clockOffsetMs: number;
  /** Corrected time (ISO) the device wrote this status: when it was last seen. */
  seenAt: string;
}

/** Text limits of a status doc. */
export const DEVICE_LIMITS = { label: 120, version: 40, message: 500, code: 40 } as const;

/** The id of a device's status doc: `device:<owner>~<device id>`. */
export function deviceDocId(owner: string, deviceId: string): string {
  return `device:${owner}~${deviceId}`;
}

/** The owner named by a status doc id, or null when the id is not one. */
export function ownerOfDeviceId(id: string): string | null {
  const match = /^device:([^~]+)~.+$/.exec(id);
  return match ? match[1] : null;
}

type Obj = Record<string, unknown>;
type Errors = Record<string, string>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const bytes = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function shortText(errors: Errors, doc: Obj, field: string, label: string, max: number) {
  const v = doc[field];
  if (typeof v !== 'string' || v.trim() === '') errors[field] = `${label} is required.`;
  else if (v.length > max) errors[field] = `${label} is too long (at most ${max} characters).`;
}

/** Checks a status body's own fields into `errors` (the common fields are checked by validateDoc). */
export function validateDevice(doc: Obj, errors: Errors): void {
  if (typeof doc._id === 'string' && typeof doc.owner === 'string') {
    if (ownerOfDeviceId(doc._id) !== doc.owner) {
      errors._id = 'A device status id must be "device:<owner>~<device id>" of its owner.';
    }
  }
  shortText(errors, doc, 'label', 'Device label', DEVICE_LIMITS.label);
  shortText(errors, doc, 'appVersion', 'App version', DEVICE_LIMITS.version);
  if (doc.build !== undefined) shortText(errors, doc, 'build', 'Build', DEVICE_LIMITS.version);
  if (doc.lastSyncAt !== null && !isIsoTimestamp(doc.lastSyncAt)) {
    errors.lastSyncAt = 'Last sync must be a valid date and time, or null.';
  }
  if (!isIsoTimestamp(doc.seenAt)) errors.seenAt = 'Last seen must be a valid date and time.';
  if (!count(doc.pending)) errors.pending = 'Waiting writes must be a whole number, 0 or more.';
  if (!count(doc.conflicts)) errors.conflicts = 'Open conflicts must be a whole number, 0 or more.';
  if (!Number.isInteger(doc.clockOffsetMs)) {
    errors.clockOffsetMs = 'Clock offset must be a whole number of milliseconds.';
  }
  const p = doc.problem;
  if (p !== null) {
    if (!isObj(p)) errors.problem = 'A sync problem needs its code and words, or null.';
    else {
      const sub: Errors = {};
      shortText(sub, p, 'code', 'Problem code', DEVICE_LIMITS.code);
      shortText(sub, p, 'message', 'Problem words', DEVICE_LIMITS.message);
      for (const [k, m] of Object.entries(sub)) errors[`problem.${k}`] = m;
    }
  }
  const s = doc.storage;
  if (s !== null) {
    const ok =
      isObj(s) &&
      bytes(s.usage) &&
      bytes(s.quota) &&
      (s.persisted === true || s.persisted === false || s.persisted === null);
    if (!ok) errors.storage = 'Storage needs usage and quota in bytes and whether it is kept.';
  }
}
