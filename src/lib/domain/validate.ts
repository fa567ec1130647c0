/** Validation with field-level messages; an empty result means the document is valid. */
import { isHlc } from '../clock/hlc';
import { createError } from '../errors';
import { EVENT_KINDS, STOP_STATUSES, isDocType, type DocType } from './types';
import { validatePhoto } from './photo';
import { validateInspectionDoc, validateTemplateDoc } from './inspection';
import { validateOrder, validateProduct } from './order';
import { validateDevice } from './device';

/** Field path -> human message. */
export type FieldErrors = Record<string, string>;

export const LIMITS = {
  name: 200,
  street: 300,
  city: 120,
  short: 40,
  purpose: 200,
  taskTitle: 200,
  noteText: 10_000,
  contacts: 50,
  maxSeq: 999,
  /** Deepest nesting of one field's value (an audit doc's bodies get 4 levels more). */
  depth: 100,
} as const;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True for a real calendar date written "YYYY-MM-DD". */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** True for a full ISO 8601 timestamp with a time zone, e.g. 2026-11-22T08:15:00.000Z. */
export function isIsoTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (
    !/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(
      value,
    )
  ) {
    return false;
  }
  // Date.parse rolls 2026-02-30 over to March 2nd, so the calendar date is checked on its own.
  return isIsoDate(value.slice(0, 10)) && !Number.isNaN(Date.parse(value));
}

/** True for a local time of day "HH:MM" (00:00-23:59). */
export function isTimeOfDay(value: unknown): value is string {
  return typeof value === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(value);
}

function text(
  errors: FieldErrors,
  doc: Obj,
  field: string,
  label: string,
  max: number,
  required = true,
): void {
  const v = doc[field];
  if (v === undefined || v === null || v === '') {
    if (required) errors[field] = `${label} is required.`;
    return;
  }
  if (typeof v !== 'string') errors[field] = `${label} must be text.`;
  else if (required && v.trim() === '') errors[field] = `${label} is required.`;
  else if (v.length > max)
    errors[field] = `${label} is too long (at most ${max.toLocaleString('en')} characters).`;
}

function ref(
  errors: FieldErrors,
  doc: Obj,
  field: string,
  type: DocType,
  label: string,
  required = true,
) {
  const v = doc[field];
  if (v === undefined && !required) return;
  if (typeof v !== 'string' || !v.startsWith(`${type}:`) || v.length <= type.length + 1) {
    errors[field] = `${label} must reference ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}.`;
  }
}

function timestamp(errors: FieldErrors, doc: Obj, field: string, label: string, required = true) {
  const v = doc[field];
  if (v === undefined && !required) return;
  if (!isIsoTimestamp(v)) errors[field] = `${label} must be a valid date and time.`;
}

function validateBase(doc: Obj, errors: FieldErrors): void {
  const type = doc.type as string;
  if (
    typeof doc._id !== 'string' ||
    !doc._id.startsWith(`${type}:`) ||
    doc._id.length <= type.length + 1
  ) {
    errors._id = `Id must look like "${type}:<key>".`;
  }
  if (!Number.isInteger(doc.schema) || (doc.schema as number) < 1) {
    errors.schema = 'Schema version must be a whole number of at least 1.';
  }
  text(errors, doc, 'owner', 'Owner', LIMITS.name);
  text(errors, doc, 'updatedBy', 'Last writer', LIMITS.name);
  text(errors, doc, 'deviceId', 'Device id', LIMITS.name);
  if (!isHlc(doc.updatedAt)) errors.updatedAt = 'Update time must be an HLC timestamp.';
  if (doc.fieldClock !== undefined) {
    const fc = doc.fieldClock;
    if (!isObj(fc) || !Object.values(fc).every(isHlc)) {
      errors.fieldClock = 'Field clock must map field names to HLC timestamps.';
    }
  }
}

function validateAccount(doc: Obj, errors: FieldErrors): void {
  text(errors, doc, 'name', 'Name', LIMITS.name);
  const address = doc.address;
  if (!isObj(address)) errors.address = 'Address is required.';
  else {
    const sub: FieldErrors = {};
    text(sub, address, 'street', 'Street', LIMITS.street);
    text(sub, address, 'city', 'City', LIMITS.city);
    text(sub, address, 'postalCode', 'Postal code', LIMITS.short, false);
    text(sub, address, 'region', 'Region', LIMITS.city, false);
    text(sub, address, 'country', 'Country', LIMITS.city, false);
    for (const [k, m] of Object.entries(sub)) errors[`address.${k}`] = m;
  }
  text(errors, doc, 'phone', 'Phone', LIMITS.short, false);
  text(errors, doc, 'info', 'Instructions', LIMITS.noteText, false);
  if (doc.geo !== undefined) {
    const g = doc.geo;
    const ok =
      isObj(g) &&
      typeof g.lat === 'number' &&
      typeof g.lng === 'number' &&
      Math.abs(g.lat) <= 90 &&
      Math.abs(g.lng) <= 180;
    if (!ok) errors.geo = 'Location must have latitude (-90 to 90) and longitude (-180 to 180).';
  }
  if (!Array.isArray(doc.contacts)) errors.contacts = 'Contacts must be a list.';
  else if (doc.contacts.length > LIMITS.contacts)
    errors.contacts = `At most ${LIMITS.contacts} contacts.`;
  else
    doc.contacts.forEach((c, i) => {
      if (!isObj(c)) {
        errors[`contacts.${i}`] = 'Contact must be an object.';
        return;
      }
      const sub: FieldErrors = {};
      text(sub, c, 'name', 'Contact name', LIMITS.name);
      text(sub, c, 'role', 'Role', LIMITS.name, false);
      text(sub, c, 'phone', 'Phone', LIMITS.short, false);
      text(sub, c, 'email', 'Email', LIMITS.name, false);
      for (const [k, m] of Object.entries(sub)) errors[`contacts.${i}.${k}`] = m;
    });
}

function validateStop(doc: Obj, errors: FieldErrors): void {
  if (!isIsoDate(doc.date)) errors.date = 'Date must be a real date written YYYY-MM-DD.';
  if (
    !Number.isInteger(doc.seq) ||
    (doc.seq as number) < 1 ||
    (doc.seq as number) > LIMITS.maxSeq
  ) {
    errors.seq = `Route position must be a whole number from 1 to ${LIMITS.maxSeq}.`;
  }
  ref(errors, doc, 'accountId', 'account', 'Account');
  text(errors, doc, 'assignee', 'Assignee', LIMITS.name);
  const w = doc.window;
  if (!isObj(w) || !isTimeOfDay(w.start) || !isTimeOfDay(w.end)) {
    errors.window = 'Time window needs a start and end written HH:MM.';
  } else if (w.start > w.end) errors.window = 'Time window must start before it ends.';
  if (!(STOP_STATUSES as readonly unknown[]).includes(doc.status)) {
    errors.status = `Status must be one of: ${STOP_STATUSES.join(', ')}.`;
  }
  text(errors, doc, 'purpose', 'Purpose', LIMITS.purpose, false);
  const former = doc.formerAssignees;
  if (
    former !== undefined &&
    (!Array.isArray(former) ||
      former.length > 50 ||
      !former.every((n) => typeof n === 'string' && n !== ''))
  ) {
    errors.formerAssignees = 'Former assignees must be a list of user names.';
  }
}

function validateEvent(doc: Obj, errors: FieldErrors): void {
  if (!(EVENT_KINDS as readonly unknown[]).includes(doc.kind)) {
    errors.kind = `Event kind must be one of: ${EVENT_KINDS.join(', ')}.`;
  }
  ref(errors, doc, 'stopId', 'stop', 'Stop');
  ref(errors, doc, 'accountId', 'account', 'Account');
  timestamp(errors, doc, 'occurredAt', 'Event time');
  timestamp(errors, doc, 'deviceTime', 'Device time');
}

function validateNote(doc: Obj, errors: FieldErrors): void {
  text(errors, doc, 'text', 'Note', LIMITS.noteText);
  ref(errors, doc, 'accountId', 'account', 'Account');
  ref(errors, doc, 'stopId', 'stop', 'Stop', false);
  timestamp(errors, doc, 'createdAt', 'Created time');
}

function validateTask(doc: Obj, errors: FieldErrors): void {
  ref(errors, doc, 'stopId', 'stop', 'Stop');
  text(errors, doc, 'title', 'Task', LIMITS.taskTitle);
  if (typeof doc.done !== 'boolean') errors.done = 'Done must be true or false.';
  timestamp(errors, doc, 'doneAt', 'Done time', false);
}

function validateConflict(doc: Obj, errors: FieldErrors): void {
  text(errors, doc, 'docId', 'Document id', LIMITS.noteText);
  text(errors, doc, 'docType', 'Document type', LIMITS.name);
  text(errors, doc, 'rule', 'Rule', LIMITS.name);
  text(errors, doc, 'explain', 'Explanation', LIMITS.noteText);
  for (const field of ['needsReview', 'reviewed']) {
    if (typeof doc[field] !== 'boolean') errors[field] = `${field} must be true or false.`;
  }
  if (doc.keptRev !== null && typeof doc.keptRev !== 'string') {
    errors.keptRev = 'Kept revision must be a revision id or null.';
  }
  if (!Array.isArray(doc.leafRevs) || !doc.leafRevs.every((r) => typeof r === 'string')) {
    errors.leafRevs = 'Leaf revisions must be a list of revision ids.';
  }
  if (
    !Array.isArray(doc.losers) ||
    !doc.losers.every((l) => isObj(l) && typeof l.rev === 'string' && isObj(l.body))
  ) {
    errors.losers = 'Losers must be a list of { rev, body }.';
  }
  if (doc.kept !== null && !isObj(doc.kept)) errors.kept = 'Kept must be a body or null.';
}

const BY_TYPE: Record<DocType, (doc: Obj, errors: FieldErrors) => void> = {
  account: validateAccount,
  stop: validateStop,
  event: validateEvent,
  note: validateNote,
  task: validateTask,
  conflict: validateConflict,
  // Called lazily: photo.ts imports this module's date helpers.
  photo: (doc, errors) => validatePhoto(doc, errors),
  template: (doc, errors) => validateTemplateDoc(doc, errors),
  inspection: (doc, errors) => validateInspectionDoc(doc, errors),
  product: (doc, errors) => validateProduct(doc, errors),
  order: (doc, errors) => validateOrder(doc, errors),
  device: (doc, errors) => validateDevice(doc, errors),
};

/** True when `value` holds arrays/objects nested deeper than `max` levels (iterative: never overflows). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Fields (known or not) nested deeper than the limit: CouchDB and PouchDB walk bodies recursively. */
function validateDepth(doc: Obj, errors: FieldErrors): void {
  const max = LIMITS.depth + (doc.type === 'conflict' ? 4 : 0);
  for (const [field, value] of Object.entries(doc)) {
    if (nestedDeeperThan(value, max)) {
      errors[field] = `${field} is nested too deeply (more than ${max} levels).`;
    }
  }
}

/** Validates a whole document; returns field-level messages (empty when valid). */
export function validateDoc(doc: unknown): FieldErrors {
  if (!isObj(doc)) return { '': 'A document must be a JSON object.' };
  if (!isDocType(doc.type)) {
    return { type: `Unknown document type ${JSON.stringify(doc.type)}.` };
  }
  const errors: FieldErrors = {};
  validateDepth(doc, errors);
  validateBase(doc, errors);
  BY_TYPE[doc.type](doc, errors);
  return errors;
}

/** Throws an `invalid` OutpostError carrying the field messages when the document is not valid. */
export function assertValid(doc: unknown): void {
  const fields = validateDoc(doc);
  const keys = Object.keys(fields);
  if (keys.length > 0) {
    throw createError('invalid', { message: fields[keys[0]], fields });
  }
}
