/** Valid documents built by hand for tests, plus small db helpers. */
import { formatHlc } from '$lib/clock/hlc';
import type { LocalDb } from '$lib/db/pouch';
import type { AccountDoc, EventDoc, NoteDoc, StopDoc, TaskDoc } from '$lib/domain/types';

/** An HLC stamp from a fixed "planning" device, earlier than anything the tests' clocks issue. */
export const SEED_HLC = formatHlc({
  wall: Date.parse('2026-11-20T00:00:00.000Z'),
  counter: 0,
  deviceId: 'seed',
});

function base(id: string, owner: string, fields: string[]) {
  return {
    _id: id,
    schema: 1,
    owner,
    updatedAt: SEED_HLC,
    updatedBy: 'sam',
    deviceId: 'seed',
    fieldClock: Object.fromEntries(fields.map((f) => [f, SEED_HLC])),
  };
}

export function accountDoc(key: string, over: Partial<AccountDoc> = {}): AccountDoc {
  const data = {
    name: `Account ${key}`,
    address: { street: '1 Main St', city: 'Fairview', postalCode: '40110', country: 'US' },
    phone: '+1 502 555 0100',
    contacts: [{ name: 'Maria Brennan', role: 'Owner' }],
  };
  return {
    ...base(`account:${key}`, 'ana', Object.keys(data)),
    type: 'account',
    ...data,
    ...over,
  } as AccountDoc;
}

export function stopDoc(key: string, over: Partial<StopDoc> = {}): StopDoc {
  const data = {
    date: '2026-11-22',
    seq: 1,
    accountId: 'account:a1',
    assignee: 'ana',
    window: { start: '08:00', end: '09:00' },
    status: 'planned' as const,
    purpose: 'Restock visit',
  };
  const owner = over.assignee ?? data.assignee;
  return {
    ...base(`stop:${key}`, owner, Object.keys(data)),
    type: 'stop',
    ...data,
    ...over,
  } as StopDoc;
}

export function taskDoc(key: string, over: Partial<TaskDoc> = {}): TaskDoc {
  const data = { stopId: 'stop:s1', title: 'Count shelf stock', done: false };
  return {
    ...base(`task:${key}`, 'ana', Object.keys(data)),
    type: 'task',
    ...data,
    ...over,
  } as TaskDoc;
}

export function noteDoc(key: string, over: Partial<NoteDoc> = {}): NoteDoc {
  const data = {
    text: 'Manager asked for a call back.',
    accountId: 'account:a1',
    stopId: 'stop:s1',
    createdAt: '2026-11-20T00:00:00.000Z',
  };
  return {
    ...base(`note:${key}`, 'ana', Object.keys(data)),
    type: 'note',
    ...data,
    ...over,
  } as NoteDoc;
}

export function eventDoc(key: string, over: Partial<EventDoc> = {}): EventDoc {
  const data = {
    kind: 'check_in' as const,
    stopId: 'stop:s1',
    accountId: 'account:a1',
    occurredAt: '2026-11-22T08:05:00.000Z',
    deviceTime: '2026-11-22T08:04:58.000Z',
  };
  return {
    ...base(`event:${key}`, 'ana', Object.keys(data)),
    type: 'event',
    ...data,
    ...over,
  } as EventDoc;
}

/** Writes raw documents (bypassing the repo), failing loudly on any error. */
export async function putAll(db: LocalDb, docs: object[]): Promise<void> {
  const res = await db.bulkDocs(docs as Record<string, unknown>[]);
  const bad = res.filter((r) => !('ok' in r && r.ok));
  if (bad.length > 0) throw new Error(`putAll failed: ${JSON.stringify(bad)}`);
}

/** All live documents whose id starts with `<type>:`. */
export async function docsOfType(db: LocalDb, type: string): Promise<Record<string, unknown>[]> {
  const res = await db.allDocs({
    startkey: `${type}:`,
    endkey: `${type}:\ufff0`,
    include_docs: true,
  });
  return res.rows.map((r) => r.doc as Record<string, unknown>);
}

/** The current stored revision of a document. */
export async function revOf(db: LocalDb, id: string): Promise<string> {
  return (await db.get(id))._rev;
}
