/**
 * What must hold after every chaos scenario, checked over snapshots of every replica (pure: the
 * simulation collects the snapshots, this file judges them), and the ledger of writes the repo
 * acknowledged on the devices.
 *
 * 1. Nothing acknowledged is lost: every revision the repo wrote reached master (it is in the
 *    revision tree there), and every field it wrote is, on master, either that value at that
 *    field clock, superseded by a later field clock, or - when a conflict rule kept another value
 *    at the same clock (status moves forward, done wins) - stored in an audit doc's losers.
 * 2. Replicas converge: for every person, the docs on master their pull selector matches are
 *    identical (winning `_rev` and body) in their per-user db and on each of their devices; a
 *    device and its per-user db hold the same docs at the same revisions, and a doc only on a
 *    device is at least on master, identical (nothing stuck on the device).
 * 3. No `_conflicts` remain anywhere.
 * 4. No duplicated events: at most one event per (device, stop, kind) on master, every event on
 *    master was written by an acknowledged action, events are never edited (generation 1), a
 *    replayed or double-tapped check-in wrote no second event, and a stop with a check-in (check-
 *    out) is at least arrived (final).
 * 5. Every live doc on every replica passes validateDoc.
 * 6. Each device's writes carry strictly increasing HLC stamps (a later write never loses to an
 *    earlier one of the same device).
 * 7. No heals: the consistency check (src/lib/sync/consistency.ts), which runs on every device
 *    after its first sync and once more when the scenario looks quiet, never had to write a
 *    revision the sync lanes missed (each heal is a sync bug, even though the replicas then agree).
 */
import { canonicalJson } from '$lib/domain/stamp';
import { statusRank } from '$lib/domain/status';
import type { StopStatus } from '$lib/domain/types';
import { validateDoc } from '$lib/domain/validate';
import type { HealReport } from '$lib/sync/consistency';

export type Doc = Record<string, unknown> & { _id: string; _rev?: string };

/** One write the repo acknowledged (its `put` resolved with this revision). */
export interface LedgerWrite {
  /** Order of acknowledgement across the scenario. */
  seq: number;
  /** The driver step (action) that made it. */
  step: number;
  action: string;
  deviceId: string;
  user: string;
  docId: string;
  rev: string;
  /** The body as written. */
  doc: Doc;
}

/** One driver action and its outcome. */
export interface ActionRecord {
  step: number;
  deviceId: string;
  user: string;
  action: string;
  target: string;
  ok: boolean;
  /** Error code and message when the repo refused or failed. */
  error?: string;
  code?: string;
  /** check-in/out: whether the call said it created the event (per call for a double tap). */
  created?: boolean[];
  ms: number;
}

/** The acknowledged writes and actions of a scenario. */
export class Ledger {
  readonly writes: LedgerWrite[] = [];
  readonly actions: ActionRecord[] = [];

  record(w: Omit<LedgerWrite, 'seq'>): void {
    this.writes.push({ ...w, seq: this.writes.length });
  }

  writesOf(step: number): LedgerWrite[] {
    return this.writes.filter((w) => w.step === step);
  }
}

/** A snapshot of one database: non-design docs with `_conflicts` (winning revisions). */
export interface Replica {
  /** e.g. `master`, `userdb(ana)`, `device(c1x-0 ana)`. */
  name: string;
  person: string;
  docs: Map<string, Doc>;
}

export interface InvariantInput {
  master: Map<string, Doc>;
  userdbs: Replica[];
  /** Devices with the per-user db they sync with, and what their consistency check healed. */
  devices: (Replica & { deviceId: string; heals?: HealReport[] })[];
  /** Per person: ids of the master docs their pull selector matches. */
  selected: Map<string, Set<string>>;
  /** `id rev` of acknowledged writes master does not know at all (from `_revs_diff`). */
  missingOnMaster: Set<string>;
  ledger: Ledger;
}

export interface InvariantReport {
  violations: string[];
  /** Facts worth reporting that are not violations. */
  notes: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body used to compare replicas: everything but `_conflicts` and `_revisions`. */
export function comparable(doc: Doc): string {
  const { _conflicts: _c, _revisions: _r, ...rest } = doc;
  return canonicalJson(rest);
}

const short = (v: unknown) => {
  const s = canonicalJson(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** Fields a write changed: those whose field clock is the write's own stamp. */
export function changedFields(doc: Doc): string[] {
  const fc = isObj(doc.fieldClock) ? doc.fieldClock : {};
  return Object.keys(fc).filter((f) => fc[f] === doc.updatedAt);
}

function auditsByDoc(master: Map<string, Doc>): Map<string, Doc[]> {
  const out = new Map<string, Doc[]>();
  for (const d of master.values()) {
    if (d.type !== 'conflict' || d._deleted || typeof d.docId !== 'string') continue;
    const list = out.get(d.docId) ?? [];
    list.push(d);
    out.set(d.docId, list);
  }
  return out;
}

/** True when an audit doc of `docId` keeps a losing body holding `field` = `value` at `clock`. */
function auditKeeps(
  audits: Doc[] | undefined,
  field: string,
  clock: string,
  value: unknown,
): boolean {
  for (const a of audits ?? []) {
    for (const loser of Array.isArray(a.losers) ? a.losers : []) {
      const body = isObj(loser) && isObj(loser.body) ? loser.body : null;
      if (!body || !isObj(body.fieldClock) || body.fieldClock[field] !== clock) continue;
      if (canonicalJson(body[field]) === canonicalJson(value)) return true;
    }
  }
  return false;
}

function checkLedger(input: InvariantInput, out: InvariantReport) {
  const { master, ledger, missingOnMaster } = input;
  const audits = auditsByDoc(master);
  const lastStamp = new Map<string, string>();
  for (const w of ledger.writes) {
    const who = `${w.action}#${w.step} on ${w.deviceId}`;
    const stamp = String(w.doc.updatedAt);
    const prev = lastStamp.get(w.deviceId);
    if (prev !== undefined && !(stamp > prev)) {
      out.violations.push(`${who}: HLC stamp ${stamp} is not after the device's previous ${prev}`);
    }
    lastStamp.set(w.deviceId, stamp);
    if (missingOnMaster.has(`${w.docId} ${w.rev}`)) {
      out.violations.push(`${who}: acknowledged write ${w.docId} ${w.rev} never reached master`);
      continue;
    }
    const final = master.get(w.docId);
    if (!final || final._deleted) {
      out.violations.push(`${who}: ${w.docId} is missing or deleted on master`);
      continue;
    }
    const fc = isObj(final.fieldClock) ? final.fieldClock : {};
    for (const f of changedFields(w.doc)) {
      const clock = fc[f];
      if (typeof clock !== 'string' || clock < stamp) {
        out.violations.push(
          `${who}: lost update of ${w.docId}.${f} = ${short(w.doc[f])} (clock ${stamp}); master has ${short(final[f])} at ${String(clock)}`,
        );
      } else if (
        clock === stamp &&
        canonicalJson(final[f]) !== canonicalJson(w.doc[f]) &&
        !auditKeeps(audits.get(w.docId), f, stamp, w.doc[f])
      ) {
        out.violations.push(
          `${who}: ${w.docId}.${f} = ${short(w.doc[f])} lost to ${short(final[f])} at the same clock with no audit doc keeping it`,
        );
      }
    }
  }
}

function checkEvents(input: InvariantInput, out: InvariantReport) {
  const { master, ledger } = input;
  const written = new Map<string, LedgerWrite>();
  for (const w of ledger.writes) if (w.doc.type === 'event') written.set(w.docId, w);
  const perDevice = new Map<string, string[]>();
  const perPerson = new Map<string, Set<string>>();
  for (const e of master.values()) {
    if (e.type !== 'event' || e._deleted) continue;
    if (!written.has(e._id)) out.violations.push(`event ${e._id} on master was never acknowledged`);
    if (!String(e._rev).startsWith('1-')) {
      out.violations.push(`event ${e._id} was edited on master (rev ${e._rev})`);
    }
    const key = `${String(e.deviceId)} ${String(e.stopId)} ${String(e.kind)}`;
    perDevice.set(key, [...(perDevice.get(key) ?? []), e._id]);
    const personKey = `${String(e.updatedBy)} ${String(e.stopId)} ${String(e.kind)}`;
    perPerson.set(personKey, new Set([...(perPerson.get(personKey) ?? []), String(e.deviceId)]));
    const stop = master.get(String(e.stopId));
    if (stop && !stop._deleted) {
      const rank = statusRank(stop.status as StopStatus);
      const need = e.kind === 'check_out' ? 3 : 2;
      if (!(rank >= need)) {
        out.violations.push(
          `${String(e.stopId)} is ${String(stop.status)} on master but has a ${String(e.kind)} event ${e._id}`,
        );
      }
    }
  }
  for (const [key, ids] of perDevice) {
    if (ids.length > 1) out.violations.push(`duplicated event (${key}): ${ids.join(', ')}`);
  }
  const multi = [...perPerson.values()].filter((devices) => devices.size > 1).length;
  if (multi > 0) {
    out.notes.push(`${multi} stop event(s) recorded by two devices of the same person`);
  }
  for (const a of ledger.actions) {
    if (!a.created) continue;
    const events = ledger.writesOf(a.step).filter((w) => w.doc.type === 'event');
    const createdCount = a.created.filter(Boolean).length;
    if (events.length !== createdCount) {
      out.violations.push(
        `${a.action}#${a.step} on ${a.deviceId}: said it created ${createdCount} event(s) but wrote ${events.length}`,
      );
    }
    if (a.action === 'double-tap-check-in' && createdCount > 1) {
      out.violations.push(
        `${a.action}#${a.step} on ${a.deviceId}: a double tap created ${createdCount} events`,
      );
    }
  }
}

function checkReplica(replica: Replica, out: InvariantReport) {
  for (const d of replica.docs.values()) {
    const conflicts = d._conflicts;
    if (Array.isArray(conflicts) && conflicts.length > 0) {
      out.violations.push(`${replica.name}: ${d._id} still has _conflicts ${conflicts.join(',')}`);
    }
    if (d._deleted) continue;
    const errors = validateDoc(d);
    const keys = Object.keys(errors);
    if (keys.length > 0) {
      out.violations.push(`${replica.name}: ${d._id} is invalid: ${keys[0]}: ${errors[keys[0]]}`);
    }
  }
}

/** The docs `ids` of `reference` must be in `replica` at the same winning revision and body. */
function compareTo(
  replica: Replica,
  reference: Pick<Replica, 'name' | 'docs'>,
  ids: Iterable<string>,
  out: InvariantReport,
) {
  for (const id of ids) {
    const want = reference.docs.get(id);
    const got = replica.docs.get(id);
    if (!want) continue;
    if (!got) {
      out.violations.push(`${replica.name}: missing ${id} (${reference.name} has ${want._rev})`);
    } else if (got._rev !== want._rev) {
      out.violations.push(
        `${replica.name}: ${id} at ${got._rev}, ${reference.name} at ${want._rev}`,
      );
    } else if (comparable(got) !== comparable(want)) {
      out.violations.push(`${replica.name}: ${id} body differs from ${reference.name}`);
    }
  }
}

/** Checks every invariant; an empty `violations` list means the scenario passed. */
export function checkInvariants(input: InvariantInput): InvariantReport {
  const out: InvariantReport = { violations: [], notes: [] };
  const masterReplica: Replica = { name: 'master', person: '', docs: input.master };
  checkReplica(masterReplica, out);
  for (const r of [...input.userdbs, ...input.devices]) {
    checkReplica(r, out);
    compareTo(r, masterReplica, input.selected.get(r.person) ?? [], out);
  }
  for (const d of input.devices) {
    const userdb = input.userdbs.find((u) => u.person === d.person);
    if (!userdb) continue;
    // Device and per-user db sync everything both ways: the same docs at the same revisions.
    const selected = input.selected.get(d.person) ?? new Set<string>();
    compareTo(
      d,
      userdb,
      [...userdb.docs.keys()].filter((id) => !selected.has(id)),
      out,
    );
    // A doc only on the device must at least be on master, identical: the device's resolver may
    // write revisions it may not push (a merge or audit owned by another rep) that the server
    // resolver wrote on master too. Anything else never left the device.
    const onlyHere = [...d.docs.values()].filter((doc) => !userdb.docs.has(doc._id));
    const stuck = onlyHere.filter((doc) => {
      const m = input.master.get(doc._id);
      return !m || m._rev !== doc._rev || comparable(m) !== comparable(doc);
    });
    if (stuck.length > 0) {
      out.violations.push(
        `${d.name}: ${stuck.length} doc(s) never reached the server: ${stuck
          .slice(0, 5)
          .map((doc) => `${doc._id} ${doc._rev}`)
          .join(', ')}`,
      );
    }
    if (onlyHere.length > stuck.length) {
      out.notes.push(
        `${d.name}: ${onlyHere.length - stuck.length} resolver doc(s) outside ${userdb.name}, identical on master`,
      );
    }
  }
  for (const d of input.devices) {
    for (const heal of d.heals ?? []) {
      const revs = (list: string[]) =>
        list.map((r) => r.replace(/@([^@]+)$/, ' ($1)')).join(', ') || 'nothing';
      out.violations.push(
        `${d.name}: the consistency check healed what sync missed: pulled ${revs(heal.pulled)}; pushed ${revs(heal.pushed)}`,
      );
    }
  }
  checkLedger(input, out);
  checkEvents(input, out);
  return out;
}
