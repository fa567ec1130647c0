/** Document types of Outpost (DESIGN.md section 4) and their shapes. */
import type { PhotoDoc } from './photo';
import type { InspectionDoc, TemplateDoc } from './inspection';
import type { OrderDoc, ProductDoc } from './order';
import type { DeviceDoc } from './device';

export const DOC_TYPES = [
  'account',
  'stop',
  'event',
  'note',
  'task',
  'conflict',
  'photo',
  'template',
  'inspection',
  'product',
  'order',
  'device',
] as const;
export type DocType = (typeof DOC_TYPES)[number];

/** Fields every Outpost document carries. Unknown fields written by newer schemas are kept. */
export interface BaseDoc {
  _id: string;
  _rev?: string;
  _deleted?: boolean;
  _conflicts?: string[];
  type: DocType;
  /** Schema version of the body (integer, additive changes only). */
  schema: number;
  /** User name that owns the document (the rep it belongs to). */
  owner: string;
  /** HLC of the last write. */
  updatedAt: string;
  /** User name of the last writer. */
  updatedBy: string;
  /** Device id of the last writer. */
  deviceId: string;
  /** HLC of the last write of each field, for per-field last-writer-wins merges. */
  fieldClock?: Record<string, string>;
  [unknownField: string]: unknown;
}

export interface Address {
  street: string;
  city: string;
  postalCode?: string;
  region?: string;
  country?: string;
}

export interface Contact {
  name: string;
  role?: string;
  phone?: string;
  email?: string;
}

export interface AccountDoc extends BaseDoc {
  type: 'account';
  name: string;
  address: Address;
  /** Optional coordinates for the maps link. */
  geo?: { lat: number; lng: number };
  phone?: string;
  contacts: Contact[];
  /** Short standing instructions ("deliveries at the back door"). */
  info?: string;
}

/** Stop lifecycle; only moves forward. skipped/cancelled are set by supervisors. */
export const STOP_STATUSES = [
  'planned',
  'en_route',
  'arrived',
  'done',
  'skipped',
  'cancelled',
] as const;
export type StopStatus = (typeof STOP_STATUSES)[number];

export interface TimeWindow {
  /** Local time "HH:MM". */
  start: string;
  /** Local time "HH:MM". */
  end: string;
}

export interface StopDoc extends BaseDoc {
  type: 'stop';
  /** Local calendar date "YYYY-MM-DD". */
  date: string;
  /** Position in the day's route, 1-based. */
  seq: number;
  accountId: string;
  /** User name of the rep who makes the visit. */
  assignee: string;
  window: TimeWindow;
  status: StopStatus;
  /** What the visit is for ("Quarterly restock"). */
  purpose?: string;
  /** Reps this stop was assigned to before, so a reassignment also reaches the previous rep. */
  formerAssignees?: string[];
}

export const EVENT_KINDS = ['check_in', 'check_out'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Immutable, append-only record of something that happened at a stop. */
export interface EventDoc extends BaseDoc {
  type: 'event';
  kind: EventKind;
  stopId: string;
  accountId: string;
  /** When it happened: device time corrected by the server offset (ISO 8601). */
  occurredAt: string;
  /** The raw device clock at that moment (ISO 8601). */
  deviceTime: string;
}

export interface NoteDoc extends BaseDoc {
  type: 'note';
  text: string;
  accountId: string;
  /** Set when the note was written at a stop. */
  stopId?: string;
  createdAt: string;
}

export interface TaskDoc extends BaseDoc {
  type: 'task';
  stopId: string;
  title: string;
  done: boolean;
  /** Corrected time (ISO) when it was last marked done. */
  doneAt?: string;
}

/** One losing version kept by a conflict audit doc. */
export interface ConflictLoser {
  /** The revision of the losing leaf. */
  rev: string;
  /** Its body without `_` fields. */
  body: Record<string, unknown>;
  /** True when the losing leaf was a deletion (rule `edit-beats-delete`). */
  deleted?: boolean;
}

/**
 * Audit of one resolved conflict (src/lib/conflicts): `conflict:<docId>:<hash of leaf revs>`,
 * written with a computed revision so every replica writes the same doc. Only `reviewed`
 * (and what goes with it) changes afterwards, by normal edits from the inbox.
 */
export interface ConflictDoc extends BaseDoc {
  type: 'conflict';
  /** The document the conflict was on. */
  docId: string;
  /** Its type (any string: unknown types are resolved too). */
  docType: string;
  /** Name of the rule applied (src/lib/conflicts/rules.ts). */
  rule: string;
  /** One plain sentence for the inbox (times in UTC, people by user name). */
  explain: string;
  /** The time (ISO) the sentence names, for the inbox to word in local time. */
  explainAt?: string;
  /** The person (user name) the sentence names, for the inbox to word by display name. */
  explainBy?: string;
  needsReview: boolean;
  reviewed: boolean;
  /** The revision written as the result (null when nothing was written). */
  keptRev: string | null;
  /** The leaf revisions the rule saw, sorted. */
  leafRevs: string[];
  losers: ConflictLoser[];
  /** The body that became current, without `_` fields. */
  kept: Record<string, unknown> | null;
  /** How the item was reviewed: 'dismissed' or 'restored'. */
  resolution?: string;
  /** The losing revision restored from the inbox. */
  restoredRev?: string;
}

export type OutpostDoc =
  | AccountDoc
  | StopDoc
  | EventDoc
  | NoteDoc
  | TaskDoc
  | ConflictDoc
  | PhotoDoc
  | TemplateDoc
  | InspectionDoc
  | ProductDoc
  | OrderDoc
  | DeviceDoc;

/** Maps a type name to its document interface. */
export interface DocByType {
  account: AccountDoc;
  stop: StopDoc;
  event: EventDoc;
  note: NoteDoc;
  task: TaskDoc;
  conflict: ConflictDoc;
  photo: PhotoDoc;
  template: TemplateDoc;
  inspection: InspectionDoc;
  product: ProductDoc;
  order: OrderDoc;
  device: DeviceDoc;
}

/** Fields the repo maintains; callers never set them directly. */
export const SYSTEM_FIELDS = [
  '_id',
  '_rev',
  'type',
  'schema',
  'owner',
  'updatedAt',
  'updatedBy',
  'deviceId',
  'fieldClock',
] as const;

/** True when the value names a known document type. */
export function isDocType(value: unknown): value is DocType {
  return typeof value === 'string' && (DOC_TYPES as readonly string[]).includes(value);
}
