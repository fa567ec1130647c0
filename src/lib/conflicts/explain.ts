/**
 * Every sentence the conflict inbox shows is built here, from what a rule decided. The text is
 * stored in the audit doc, which every replica must write byte for byte the same: so nothing
 * here may depend on the device (no locale formatting, no local time zone). Times are HH:MM UTC
 * and people are user names; the audit doc also stores the time and the person a sentence names
 * (`explainAt`, `explainBy`), so the inbox words them for its reader (ui/inbox.ts).
 */
import { isHlc, parseHlc } from '../clock/hlc';

/** Words for field names; a field not listed is shown by its name. */
const FIELD_WORDS: Record<string, string> = {
  name: 'name',
  address: 'address',
  geo: 'location',
  phone: 'phone number',
  contacts: 'contacts',
  info: 'instructions',
  date: 'date',
  seq: 'route position',
  assignee: 'assignee',
  owner: 'owner',
  formerAssignees: 'earlier assignees',
  accountId: 'account',
  stopId: 'stop',
  window: 'time window',
  status: 'status',
  purpose: 'purpose',
  text: 'text',
  title: 'title',
  done: 'done mark',
  doneAt: 'done time',
  reviewed: 'review mark',
};

/** What a document is called in a sentence. */
const NOUNS: Record<string, string> = {
  account: 'account',
  stop: 'stop',
  event: 'check-in record',
  note: 'note',
  task: 'task',
  photo: 'photo',
  inspection: 'inspection',
  template: 'inspection form',
  order: 'order',
  product: 'product',
  conflict: 'inbox item',
  device: 'device status',
};

export function fieldWord(field: string): string {
  return FIELD_WORDS[field] ?? field;
}

export function nounOf(type: unknown): string {
  return typeof type === 'string' && NOUNS[type] ? NOUNS[type] : 'document';
}

/** "a", "a and b", "a, b and c". */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function fieldList(fields: readonly string[]): string {
  return listWords([...new Set(fields.map(fieldWord))]);
}

/** "09:42 UTC" from an ISO time (how explanations name a time). */
export function timeOfIso(iso: string): string {
  return `${new Date(iso).toISOString().slice(11, 16)} UTC`;
}

/** The ISO time of an HLC string, or null when it is not one. */
export function isoOfHlc(hlc: unknown): string | null {
  return isHlc(hlc) ? new Date(parseHlc(hlc).wall).toISOString() : null;
}

/** "09:42 UTC" from an HLC string, or null when it is not one. */
export function timeOfHlc(hlc: unknown): string | null {
  const iso = isoOfHlc(hlc);
  return iso ? timeOfIso(iso) : null;
}

function statusWord(status: unknown): string {
  return String(status).replace(/_/g, ' ');
}

/** The closing part: where the other versions can be seen. */
function inboxTail(leafCount: number): string {
  return leafCount > 2
    ? `all ${leafCount} versions are in the inbox`
    : 'both versions are in the inbox';
}

function sentence(clauses: string[], tail: string | null): string {
  const body = clauses.join('; ');
  const text = tail ? `${body} - ${tail}` : body;
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** What a field-by-field merge decided, for the sentence. */
export interface MergeFacts {
  type: string;
  /** Number of live leaves merged. */
  leafCount: number;
  /** Fields whose values differed between the leaves (after any special rule). */
  differing: string[];
  /** True when the merged body differs from some leaf (something went to the inbox). */
  anyLoser: boolean;
  /** Stop: planning fields that differed (kept from the newest write, a supervisor's). */
  planning?: string[];
  /** Stop: the status kept when the leaves disagreed on it. */
  status?: { kept: string; finalClash: string[] | null };
  /** Task: true when one leaf was done and another not, so done was kept. */
  doneWins?: boolean;
  /** Note: the text clash, with when and by whom the kept text was written. */
  text?: { time: string | null; by: string | null; others: number };
  /** Conflict audit: true when one leaf was reviewed, so reviewed was kept. */
  reviewedWins?: boolean;
}

/** The sentence for a field-by-field merge (account, stop, task, note, conflict). */
export function explainMerge(f: MergeFacts): string {
  const clauses: string[] = [];
  if (f.planning && f.planning.length > 0) {
    clauses.push(`kept the supervisor's new ${fieldList(f.planning)}`);
  }
  if (f.status) {
    clauses.push(
      f.status.finalClash
        ? `the stop was marked ${listWords(f.status.finalClash.map(statusWord))}: kept ${statusWord(f.status.kept)}, please check`
        : `kept the furthest status (${statusWord(f.status.kept)})`,
    );
  }
  if (f.doneWins) clauses.push('kept the task as done');
  if (f.reviewedWins) clauses.push('kept this item as reviewed');
  if (f.text) {
    const when = [f.text.time, f.text.by ? `by ${f.text.by}` : null].filter(Boolean).join(' ');
    const other = f.text.others > 1 ? 'the other texts are' : 'the other text is';
    clauses.push(`kept the text written last${when ? ` (${when})` : ''}`);
    const rest = f.differing.filter((d) => d !== 'text');
    if (rest.length > 0) clauses.push(`kept the newest ${fieldList(rest)}`);
    clauses.push(`${other} in the inbox`);
    return sentence(clauses, null);
  }
  const special = new Set([...(f.planning ?? []), 'status', 'done', 'doneAt', 'reviewed']);
  const rest = f.differing.filter((d) => !special.has(d) || (d === 'status' && !f.status));
  if (rest.length > 0) clauses.push(`kept the newest ${fieldList(rest)}`);
  if (clauses.length === 0) {
    return f.anyLoser
      ? sentence([`combined the versions of this ${nounOf(f.type)}`], inboxTail(f.leafCount))
      : sentence([`both versions of this ${nounOf(f.type)} held the same content; kept one`], null);
  }
  return sentence(clauses, f.anyLoser ? inboxTail(f.leafCount) : null);
}

/** Immutable types (event, photo): one copy kept. */
export function explainImmutable(type: string, leafCount: number, differ: boolean): string {
  const noun = nounOf(type);
  return differ
    ? sentence(
        [
          `this ${noun} was recorded in ${leafCount} different versions; kept one, chosen the same way on every device`,
        ],
        inboxTail(leafCount),
      )
    : sentence([`the copies of this ${noun} were the same; kept one`], null);
}

/** Whole-document last-writer-wins for a type this build does not know. */
export function explainUnknown(type: unknown, leafCount: number, time: string | null): string {
  const what = typeof type === 'string' && type ? `"${type}" documents` : 'this document';
  return sentence(
    [
      `this app version does not know ${what}; kept the version saved last${time ? ` (${time})` : ''}, please check`,
    ],
    inboxTail(leafCount),
  );
}

/** Whole-document last-writer-wins for a type with one writer (device status). */
export function explainSingleWriter(type: string, time: string | null): string {
  return sentence(
    [`kept the ${nounOf(type)} saved last${time ? ` (${time})` : ''}`],
    'the older one is in the inbox',
  );
}

/** Delete vs edit: the edit stays current. */
export function explainEditBeatsDelete(type: unknown, by: string | null): string {
  return sentence(
    [
      `this ${nounOf(type)} was deleted${by ? ` by ${by}` : ''} on one device while it was changed on another; kept the changed version`,
    ],
    'restore the deletion from the inbox if it should go',
  );
}
