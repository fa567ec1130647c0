/**
 * The conflict inbox as the screens show it (pure): what each item is about in words, when it
 * happened in local time, and which fields of each other version differ from the kept one.
 * The data comes from audit docs (src/lib/conflicts/inbox.ts); nothing here reads a db.
 */
import { isHlc, parseHlc } from '$lib/clock/hlc';
import { fieldWord, listWords, nounOf, timeOfIso } from '$lib/conflicts/explain';
import type { InboxItem, InboxSection } from '$lib/conflicts/inbox';
import { isDataField } from '$lib/conflicts/rules';
import { canonicalJson } from '$lib/domain/stamp';
import { STOP_STATUSES, type Address, type ConflictDoc, type StopStatus } from '$lib/domain/types';
import { addressLine, shortDate, statusLabel, whenLabel } from './format';
import { displayNameOf } from './session.svelte';

type Body = Record<string, unknown>;

/** Looks up an account's name by id (null when it is not on this device). */
export type AccountNames = (accountId: string) => string | null;

/** One field that differs between the kept version and another one, in words. */
export interface FieldChange {
  field: string;
  /** "Text", "Time window". */
  label: string;
  /** The kept value in words ("Not set" when the version lacks the field). */
  kept: string;
  /** The other version's value in words. */
  other: string;
}

/** Who wrote a version last and when (local time), as far as the body says. */
export interface VersionMeta {
  by: string | null;
  at: string | null;
}

/** One other (losing) version of an item, compared with the kept one. */
export interface OtherVersion {
  rev: string;
  /** True when this version deleted the document. */
  deleted: boolean;
  meta: VersionMeta;
  /** Only the fields that differ from the kept version. */
  changes: FieldChange[];
}

/** An inbox item ready to show. */
export interface InboxEntry {
  id: string;
  section: InboxSection;
  docId: string;
  /** "Note", "Stop", "Task", "Account". */
  kind: string;
  /** "note", "stop": for sentences. */
  noun: string;
  /** A human title: a note's first words, a stop's account, a task's title. */
  title: string;
  /** A second line: the note's account, the stop's date (null when there is none). */
  detail: string | null;
  /** The name of the person the document belongs to, when it is not the viewer. */
  ownerName: string | null;
  /** The one-sentence explanation stored with the item. */
  explain: string;
  /** When the versions met, local time ("14:32" today, else "22 Nov, 14:32"). */
  when: string | null;
  /** Null when nothing stayed current (the document is deleted). */
  kept: VersionMeta | null;
  others: OtherVersion[];
}

/** Fields shown first, in this order; the others follow alphabetically. */
const FIELD_ORDER = [
  'text',
  'title',
  'name',
  'status',
  'done',
  'doneAt',
  'date',
  'window',
  'seq',
  'assignee',
  'purpose',
  'address',
  'phone',
  'contacts',
  'info',
];

const PEOPLE_FIELDS = new Set(['assignee', 'owner', 'updatedBy', 'formerAssignees']);
const TIME_FIELDS = new Set(['doneAt', 'createdAt', 'occurredAt', 'deviceTime']);

const has = (body: Body | null | undefined, field: string): boolean =>
  !!body && Object.prototype.hasOwnProperty.call(body, field) && body[field] !== undefined;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** "Time window" from "window": the explanation's words, capitalised. */
export function fieldLabel(field: string): string {
  const word = fieldWord(field);
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** "Note" from "note"; unknown types by their own name; "Document" when there is none. */
export function kindLabel(type: unknown): string {
  const noun = nounOf(type);
  const word = noun === 'document' && typeof type === 'string' && type ? type : noun;
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** The first few words of a text, with "…" when it goes on. */
export function firstWords(text: string, maxWords = 6, maxChars = 40): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  let out = '';
  for (let i = 0; i < words.length; i++) {
    const next = out ? `${out} ${words[i]}` : words[i];
    if (i >= maxWords || next.length > maxChars) {
      return out ? `${out}…` : `${words[i].slice(0, maxChars)}…`;
    }
    out = next;
  }
  return out;
}

/** An HLC as local time for people ("14:32" today, else "22 Nov, 14:32"); null if not one. */
export function hlcWhen(hlc: unknown, now: Date = new Date()): string | null {
  if (!isHlc(hlc)) return null;
  return whenLabel(new Date(parseHlc(hlc).wall).toISOString(), now);
}

const isStatus = (v: unknown): v is StopStatus =>
  typeof v === 'string' && (STOP_STATUSES as readonly string[]).includes(v);

const isIsoDate = (v: unknown): v is string =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);

/** A field's value in words, as the comparison shows it. */
export function formatValue(field: string, value: unknown, now: Date = new Date()): string {
  if (value === undefined || value === null || value === '') return 'Not set';
  if (field === 'done' && typeof value === 'boolean') return value ? 'Done' : 'Not done';
  if (field === 'status' && isStatus(value)) return statusLabel(value);
  if (field === 'date' && isIsoDate(value)) return shortDate(value);
  if (PEOPLE_FIELDS.has(field) && typeof value === 'string') return displayNameOf(value);
  if (TIME_FIELDS.has(field) && typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
    return whenLabel(value, now);
  }
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (field === 'window' && typeof value === 'object') {
    const w = value as Body;
    if (typeof w.start === 'string' && typeof w.end === 'string') return `${w.start}–${w.end}`;
  }
  if (
    field === 'address' &&
    typeof value === 'object' &&
    typeof (value as Body).street === 'string'
  )
    return addressLine(value as Address);
  if (field === 'geo' && typeof value === 'object') {
    const g = value as Body;
    if (typeof g.lat === 'number' && typeof g.lng === 'number') return `${g.lat}, ${g.lng}`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 'None';
    return value
      .map((v) => {
        if (typeof v === 'string') return PEOPLE_FIELDS.has(field) ? displayNameOf(v) : v;
        if (v && typeof v === 'object' && typeof (v as Body).name === 'string') {
          return str((v as Body).name);
        }
        return canonicalJson(v);
      })
      .join(', ');
  }
  return canonicalJson(value);
}

const fieldRank = (f: string) => {
  const i = FIELD_ORDER.indexOf(f);
  return i < 0 ? FIELD_ORDER.length : i;
};

/**
 * The data fields whose values differ between the kept body and another version (bookkeeping
 * like `updatedAt` and `fieldClock` left out), most telling first, each in words.
 */
export function changedFields(
  kept: Body | null,
  other: Body | null,
  now: Date = new Date(),
): FieldChange[] {
  const names = new Set<string>();
  for (const body of [kept, other]) {
    for (const k of Object.keys(body ?? {})) if (isDataField(k) && has(body, k)) names.add(k);
  }
  const differ = [...names].filter((f) => {
    const a = has(kept, f) ? canonicalJson(kept![f]) : null;
    const b = has(other, f) ? canonicalJson(other![f]) : null;
    return a !== b;
  });
  differ.sort((a, b) => fieldRank(a) - fieldRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return differ.map((field) => ({
    field,
    label: fieldLabel(field),
    kept: formatValue(field, kept?.[field], now),
    other: formatValue(field, other?.[field], now),
  }));
}

/** Who wrote a version and when, from its bookkeeping fields ("you" when it was `viewer`). */
export function versionMeta(
  body: Body | null,
  now: Date = new Date(),
  viewer: string | null = null,
): VersionMeta {
  const user = str(body?.updatedBy);
  const by = !user || user === 'resolver' ? null : user === viewer ? 'you' : displayNameOf(user);
  return { by, at: hlcWhen(body?.updatedAt, now) };
}

/** The kept side's rows: every field some other version changed, each once, first seen first. */
export function keptRows(others: OtherVersion[]): FieldChange[] {
  const seen = new Set<string>();
  const rows: FieldChange[] = [];
  for (const other of others) {
    for (const change of other.changes) {
      if (seen.has(change.field)) continue;
      seen.add(change.field);
      rows.push(change);
    }
  }
  return rows;
}

/**
 * The stored explanation in the reader's words: the time it names (stored as UTC, and in
 * `explainAt`) in this device's local time, the person (`explainBy`) by their name, or "you".
 */
export function explainWords(
  audit: Pick<ConflictDoc, 'explain' | 'explainAt' | 'explainBy'>,
  now: Date = new Date(),
  viewer: string | null = null,
): string {
  let text = audit.explain;
  const at = audit.explainAt;
  if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) {
    text = text.replace(timeOfIso(at), whenLabel(at, now));
  }
  const by = audit.explainBy;
  if (typeof by === 'string' && by) {
    text = text.replace(`by ${by}`, `by ${by === viewer ? 'you' : displayNameOf(by)}`);
  }
  return text;
}

/** What an item is about: its kind, a human title and a second line. */
export function describeDoc(
  docType: string,
  docId: string,
  body: Body | null,
  accountName: AccountNames,
): { kind: string; title: string; detail: string | null } {
  const kind = kindLabel(docType);
  const b = body ?? {};
  const account = typeof b.accountId === 'string' ? accountName(b.accountId) : null;
  switch (docType) {
    case 'note': {
      const text = str(b.text).trim();
      return {
        kind,
        title: text ? `“${firstWords(text)}”` : 'Note',
        detail: account,
      };
    }
    case 'stop': {
      const date = isIsoDate(b.date) ? shortDate(b.date) : null;
      const seq = typeof b.seq === 'number' ? `stop #${b.seq}` : null;
      return {
        kind,
        title: account ?? 'Stop',
        detail: [date, seq].filter(Boolean).join(', ') || null,
      };
    }
    case 'task':
      return { kind, title: str(b.title).trim() || 'Task', detail: null };
    case 'account':
      return { kind, title: str(b.name).trim() || 'Account', detail: null };
    case 'inspection': {
      const form = (b.template ?? {}) as Body;
      return { kind, title: str(form.title).trim() || 'Inspection', detail: account };
    }
    case 'order':
      return { kind, title: account ? `Order for ${account}` : 'Order', detail: null };
    default: {
      const title = str(b.name).trim() || str(b.title).trim() || docId;
      return { kind, title, detail: null };
    }
  }
}

/** Account ids an item needs names for (its note's or stop's account). */
export function accountIdsOf(items: InboxItem[]): string[] {
  const ids = new Set<string>();
  for (const { audit } of items) {
    for (const body of [audit.kept, ...(audit.losers ?? []).map((l) => l.body)]) {
      if (body && typeof body.accountId === 'string') ids.add(body.accountId);
    }
  }
  return [...ids];
}

/** An inbox item ready to show, for the viewer `user`. */
export function inboxEntry(
  item: InboxItem,
  accountName: AccountNames,
  user: string,
  now: Date = new Date(),
): InboxEntry {
  const { audit } = item;
  const kept = audit.kept ?? null;
  const losers = audit.losers ?? [];
  const about = kept ?? losers.find((l) => !l.deleted)?.body ?? losers[0]?.body ?? null;
  const { kind, title, detail } = describeDoc(audit.docType, audit.docId, about, accountName);
  return {
    id: audit._id,
    section: item.section,
    docId: audit.docId,
    kind,
    noun: nounOf(audit.docType),
    title,
    detail,
    ownerName: audit.owner && audit.owner !== user ? displayNameOf(audit.owner) : null,
    explain: explainWords(audit, now, user),
    when: hlcWhen(audit.updatedAt, now),
    kept: kept ? versionMeta(kept, now, user) : null,
    others: losers.map((l) => ({
      rev: l.rev,
      deleted: l.deleted === true,
      meta: versionMeta(l.body, now, user),
      changes: l.deleted ? [] : changedFields(kept, l.body, now),
    })),
  };
}

/** The question asked before restoring another version. */
export function restoreQuestion(entry: InboxEntry, other: OtherVersion): string {
  if (other.deleted) {
    return `Restore the deletion? The ${entry.noun} is deleted on every device.`;
  }
  const fields = [...new Set(other.changes.map((c) => fieldWord(c.field)))];
  if (fields.length === 0) return `Restore the other version? It becomes current on every device.`;
  const one = fields.length === 1;
  return `Restore the other version? Its ${listWords(fields)} replace${one ? 's the current one' : ' the current ones'} on every device.`;
}

/** "Inbox, 2 to review" (the badge's accessible name). */
export function badgeLabel(count: number): string {
  return `Inbox, ${count} to review`;
}
