/**
 * One chaos scenario: a seed, a network profile, K rep devices and one supervisor device.
 *
 * The server is the embedded CouchDB-protocol server in this process (startTestCouch) with a
 * provisioned team (two reps, one supervisor: provisionTestTeam), the demo day in master and the
 * server resolver worker following master. Each device is a memory PouchDB running the REAL
 * client: createRepo for the writes, startSync (pull + push lanes, back-off) for sync, and
 * createPullResolver after each pulled batch; it reaches the server only through its own fault
 * proxy (fault-proxy.ts). The driver performs N random actions (check-ins, check-outs, notes,
 * task toggles, account edits, and the supervisor's reassign/reschedule/edits) while the proxies
 * follow their profile. Then the network heals, the scenario waits (bounded) for quiescence and
 * checks the invariants (invariants.ts) against every replica and the ledger of acknowledged
 * writes.
 *
 * Time: every profile duration and the sync back-off are multiplied by `timeScale`, so "a drop
 * every 30 s" and "1 s doubling to 30 s" happen 20x faster at 0.05.
 */
import { createHlc, type Hlc } from '$lib/clock/hlc';
import { createPullResolver, writerFor } from '$lib/conflicts/device';
import type { LocalDb } from '$lib/db/pouch';
import { demoDayDocs } from '$lib/demo/load';
import { isFinalStatus } from '$lib/domain/status';
import type { StopDoc } from '$lib/domain/types';
import { toOutpostError } from '$lib/errors';
import { createRepo, type Repo } from '$lib/repo';
import type { HealReport } from '$lib/sync/consistency';
import { openRemoteDb } from '$lib/sync/remote';
import { IDLE_RESTART_MS, startSync, type SyncController } from '$lib/sync/sync';
import { userDbName } from '../../src/lib/server/provision/names';
import { createDeviceUser } from '../../src/lib/server/provision/users';
import { startResolverWorker, type ResolverWorker } from '../../src/lib/server/resolver/worker';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { startTestCouch, type TestCouch } from '../integration/couch-harness';
import { provisionTestTeam, type TestTeam } from '../integration/provision-harness';
import { expectedHoldings } from '../helpers/routing';
import { pause } from '../integration/sync-setup';
import {
  FAULT_KINDS,
  PROFILE_NAMES,
  PROFILES,
  startFaultProxy,
  type FaultKind,
  type FaultProxy,
  type ProfileName,
} from './fault-proxy';
import {
  checkInvariants,
  Ledger,
  type ActionRecord,
  type Doc,
  type InvariantReport,
  type Replica,
} from './invariants';
import { createRng, type Rng } from './prng';
import { createTraceLog, formatPullTrace, type TraceLog } from './trace';

/** The scenario's plan day and the day a reschedule may move a stop to. */
export const DATE = '2026-11-22';
const NEXT_DATE = '2026-11-23';

export type ScenarioProfile = ProfileName | 'mixed';
export const SCENARIO_PROFILES: readonly ScenarioProfile[] = [...PROFILE_NAMES, 'mixed'];

/** Everything that defines a scenario; all of it goes into the replay command. */
export interface ScenarioSpec {
  seed: number;
  /** Network profile of every device ('mixed': each device draws one). */
  profile: ScenarioProfile;
  /** Rep devices (2-4), spread over the two reps; plus one supervisor device. */
  devices: number;
  /** Driver actions. */
  actions: number;
  /** Multiplies profile durations, action gaps and the sync back-off. */
  timeScale: number;
  /**
   * `warm`: each device starts with its per-user db's docs on it (synced before leaving, as a
   * rep does), then syncs through its proxy; `cold`: the first sync runs through the faults.
   */
  start: 'warm' | 'cold';
}

export interface ScenarioOptions extends Partial<ScenarioSpec> {
  seed: number;
  /**
   * Deliberately broken sync (proves the harness can fail): a device whose sync reports an
   * error is stopped and never started again.
   */
  brokenSync?: boolean;
  /** Cuts every device off for this long (real ms) when the actions start (default 0). */
  outageMs?: number;
  /** Bound on the wait for quiescence after healing, real ms (default 45 000). */
  quiescenceTimeoutMs?: number;
  /** Progress lines (the action log when verbose). */
  log?: (line: string) => void;
  verbose?: boolean;
}

export interface ScenarioResult {
  spec: ScenarioSpec;
  ok: boolean;
  violations: string[];
  notes: string[];
  /** `npm run chaos -- --seed ...`: reruns this scenario. */
  replay: string;
  durationMs: number;
  phases: { setupMs: number; actionsMs: number; settleMs: number; checkMs: number };
  stats: {
    actionsOk: number;
    actionsRefused: number;
    acknowledgedWrites: number;
    requests: number;
    faults: Partial<Record<FaultKind, number>>;
    offlineWindows: number;
    auditDocs: number;
    masterDocs: number;
    deniedPushes: number;
    syncRestarts: number;
    /** Revisions the consistency check healed, over every device. */
    heals: number;
  };
  /** Last actions and fault events, for failure reports. */
  trace: string[];
}

/** Default sizes of a scenario drawn from its seed alone. */
export function scenarioSpec(seed: number, overrides: Partial<ScenarioSpec> = {}): ScenarioSpec {
  const rng = createRng(seed).fork('spec');
  const drawn: ScenarioSpec = {
    seed,
    profile: rng.pick(SCENARIO_PROFILES),
    devices: rng.int(2, 4),
    actions: rng.int(20, 60),
    timeScale: 0.05,
    start: rng.chance(0.25) ? 'cold' : 'warm',
  };
  const given = Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  ) as Partial<ScenarioSpec>;
  return { ...drawn, ...given, seed };
}

/** The one-line command that reruns a scenario. */
export function replayCommand(spec: ScenarioSpec, extra = ''): string {
  return (
    `npm run chaos -- --seed ${spec.seed} --profile ${spec.profile} --devices ${spec.devices}` +
    ` --actions ${spec.actions} --scale ${spec.timeScale} --start ${spec.start}${extra}`
  );
}

interface SimDevice {
  index: number;
  id: string;
  user: string;
  role: 'rep' | 'supervisor';
  local: LocalDb;
  repo: Repo;
  clock: Hlc;
  rng: Rng;
  proxy: FaultProxy;
  credentials: { username: string; password: string };
  sync: SyncController | null;
  /** Pull-resolver runs in flight. */
  resolving: number;
  /** Revisions the pull lane delivered, per doc id (for failure reports). */
  pulled: Map<string, string[]>;
  /** Status changes with their time (for failure reports). */
  timeline: string[];
  /** The pull lane's trace (for failure reports). */
  pullTrace: TraceLog;
  /** What the consistency check healed on this device (each one a violation). */
  heals: HealReport[];
  broken: boolean;
  restarts: number;
  /** The action currently running (for the ledger). */
  current: { step: number; action: string } | null;
}

const withTimeout = <T>(p: Promise<T>, ms: number, fallback: T): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms))),
  ]);
};

/** A view of `db` for the repo whose successful `put`s of Outpost docs go to `onWrite`. */
function recordingDb(db: LocalDb, onWrite: (doc: Doc, rev: string) => void): LocalDb {
  const put = async (doc: Doc, ...rest: unknown[]) => {
    const res = await (db.put as (...a: unknown[]) => Promise<PouchDB.Core.Response>)(doc, ...rest);
    if (/^[a-z]+:/.test(doc._id)) onWrite(doc, res.rev);
    return res;
  };
  return new Proxy(db, {
    get: (target, prop) => (prop === 'put' ? put : Reflect.get(target, prop, target)),
  });
}

/** Runs one scenario end to end; never throws for a failed invariant (see `ok`). */
export async function runScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  const spec = scenarioSpec(opts.seed, opts);
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const scale = spec.timeScale;
  const rng = createRng(spec.seed);
  const ledger = new Ledger();
  const trace: string[] = [];
  const violations: string[] = [];
  const notes: string[] = [];
  const devices: SimDevice[] = [];
  const note = (line: string) => {
    trace.push(line);
    if (trace.length > 400) trace.shift();
    if (opts.verbose) log(line);
  };
  const onUnhandled = (reason: unknown) => {
    violations.push(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  };
  process.on('unhandledRejection', onUnhandled);
  const onUncaught = (err: Error) => {
    violations.push(`uncaught exception: ${err?.stack ?? String(err)}`);
  };
  process.on('uncaughtException', onUncaught);

  let couch: TestCouch | null = null;
  let team: TestTeam | null = null;
  let worker: ResolverWorker | null = null;
  const phases = { setupMs: 0, actionsMs: 0, settleMs: 0, checkMs: 0 };
  let report: InvariantReport = { violations: [], notes: [] };
  let masterDocs = 0;
  let auditDocs = 0;

  try {
    // ---- setup: server, team, demo day in master, resolver, devices behind proxies
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
    const reps = [team.rep1, team.rep2];
    await seedMaster(couch, team);
    worker = startResolverWorker({
      url: `${couch.url}/${team.masterDb}`,
      admin: couch.admin,
      log: (m) => note(`server ${m}`),
    });
    const people: { user: string; role: 'rep' | 'supervisor' }[] = [
      ...Array.from({ length: spec.devices }, (_, i) => ({
        user: reps[i % 2],
        role: 'rep' as const,
      })),
      { user: team.supervisor, role: 'supervisor' },
    ];
    if (spec.start === 'warm') await waitForUserDbs(couch, team);
    for (const [index, p] of people.entries()) {
      devices.push(await addDevice(couch, team, p.user, p.role, index));
    }
    // A rep starts the day with the day's plan on the device (synced before leaving, under the
    // same faults); bounded, and the scenario goes on anyway when it takes longer.
    const ready = await waitUntil(Date.now() + 30_000, async () => {
      for (const d of devices) {
        const stops =
          d.role === 'rep'
            ? (await d.repo.dayRoute(DATE)).stops.length
            : (await localDocs(d, 'stop')).length;
        if (stops === 0) return false;
      }
      return true;
    });
    if (!ready) note('initial sync not finished after 30 s; acting anyway');
    phases.setupMs = Date.now() - started;

    // ---- actions while the proxies follow their profiles
    const actionsStart = Date.now();
    if (opts.outageMs) for (const d of devices) d.proxy.goOffline(opts.outageMs);
    const driver = rng.fork('driver');
    for (let step = 0; step < spec.actions; step++) {
      const dev = driver.pick(devices);
      await act(dev, step, driver);
      await pause(driver.between(0, 3000) * scale);
    }
    phases.actionsMs = Date.now() - actionsStart;

    // ---- heal and wait for quiescence, then judge
    const settleStart = Date.now();
    for (const d of devices) d.proxy.heal();
    const deadline = Date.now() + (opts.quiescenceTimeoutMs ?? 45_000);
    let quiet = { ok: false, why: 'not checked' };
    // Quiet but not converged yet: a device may still be waiting out a dead request or a back-off.
    // Waiting (to the bound) tells a late delivery, kept as a note, from a lost one, a violation.
    let lateSince = 0;
    let checked = false;
    for (;;) {
      if (Date.now() < deadline) quiet = await settle(deadline);
      if (quiet.ok && !checked) {
        // The safety net once more on every device, now that nothing moves: a heal is a bug.
        checked = true;
        await Promise.all(
          devices.map((d) => withTimeout(d.sync?.check() ?? Promise.resolve(null), 70_000, null)),
        );
        continue;
      }
      const checkStart = Date.now();
      report = await judge(couch, team);
      phases.checkMs += Date.now() - checkStart;
      if ((quiet.ok && report.violations.length === 0) || Date.now() >= deadline) break;
      if (quiet.ok && devices.some((d) => d.heals.length > 0)) break; // a heal never goes away
      if (quiet.ok && !lateSince) {
        lateSince = Date.now();
        note(`quiet but not converged: ${report.violations.slice(0, 3).join('; ')}`);
      }
      await pause(500);
    }
    if (lateSince && quiet.ok && report.violations.length === 0) {
      notes.push(`converged ${Date.now() - lateSince} ms after the system first looked quiet`);
    }
    phases.settleMs = Date.now() - settleStart - phases.checkMs;
    if (!quiet.ok) violations.push(`no quiescence within the bound: ${quiet.why}`);
    if (report.violations.length > 0 || !quiet.ok) await diagnose(couch, team, report.violations);
  } catch (err) {
    violations.push(`scenario crashed: ${(err as Error)?.stack ?? String(err)}`);
  } finally {
    await Promise.all(
      devices.map(async (d) => {
        await withTimeout(d.sync?.stop() ?? Promise.resolve(), 10_000, undefined);
        await d.proxy.close();
      }),
    );
    await withTimeout(worker?.stop() ?? Promise.resolve(), 10_000, undefined);
    // A cancelled PouchDB feed may still have one read in flight; destroying a memory db under it
    // throws inside PouchDB (an uncaught TypeError that ends the process), so let it land first.
    await pause(250);
    await destroyMemoryDbs();
    await withTimeout(team?.cleanup() ?? Promise.resolve(), 10_000, undefined);
    await withTimeout(couch?.close() ?? Promise.resolve(), 10_000, undefined);
    // Rejections from the torn-down clients still count for this scenario.
    await pause(50);
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  }

  violations.push(...report.violations);
  notes.push(...report.notes);
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const k of FAULT_KINDS) {
    const n = devices.reduce((sum, d) => sum + d.proxy.stats.faults[k], 0);
    if (n > 0) faults[k] = n;
  }
  const denied = devices.reduce((n, d) => n + deniedOf(d), 0);
  if (denied > 0) notes.push(`${denied} pushed change(s) refused by the server`);
  for (const d of devices) {
    trace.push(`${d.proxy.name} faults: ${d.proxy.recent().slice(-15).join(' | ')}`);
  }
  const result: ScenarioResult = {
    spec,
    ok: violations.length === 0,
    violations: dedupe(violations),
    notes,
    replay: replayCommand(spec, opts.brokenSync ? ' --broken-sync' : ''),
    durationMs: Date.now() - started,
    phases,
    stats: {
      actionsOk: ledger.actions.filter((a) => a.ok).length,
      actionsRefused: ledger.actions.filter((a) => !a.ok).length,
      acknowledgedWrites: ledger.writes.length,
      requests: devices.reduce((n, d) => n + d.proxy.stats.requests, 0),
      faults,
      offlineWindows: devices.reduce((n, d) => n + d.proxy.stats.offlineWindows, 0),
      auditDocs,
      masterDocs,
      deniedPushes: denied,
      syncRestarts: devices.reduce((n, d) => n + d.restarts, 0),
      heals: devices.reduce(
        (n, d) => n + d.heals.reduce((m, h) => m + h.pulled.length + h.pushed.length, 0),
        0,
      ),
    },
    trace,
  };
  return result;

  // ------------------------------------------------------------------ helpers (closures)

  /** Waits (bounded) until every per-user db holds what the router routes to it from master. */
  async function waitForUserDbs(c: TestCouch, t: TestTeam) {
    const want = new Map<string, number>();
    const routed = expectedHoldings(await allDocsHttp(c, t.masterDb), t.provisioner.people.all());
    for (const p of [t.rep1, t.rep2, t.supervisor]) {
      want.set(userDbName(p), routed.get(p)?.size ?? 0);
    }
    const ok = await waitUntil(Date.now() + 30_000, async () => {
      for (const [db, n] of want) {
        const info = await c.admin$('GET', `/${db}`);
        if ((info.body?.doc_count ?? 0) < n) return false;
      }
      return true;
    });
    if (!ok) note('per-user dbs not filled after 30 s; starting anyway');
  }

  function deniedOf(d: SimDevice): number {
    const m = /refused (\d+) change/.exec(d.sync?.status.lastError?.message ?? '');
    return m ? Number(m[1]) : 0;
  }

  async function addDevice(
    c: TestCouch,
    t: TestTeam,
    user: string,
    role: 'rep' | 'supervisor',
    index: number,
  ): Promise<SimDevice> {
    const devRng = rng.fork(`device-${index}`);
    const id = `c${spec.seed.toString(36)}-${index}`;
    const profileName =
      spec.profile === 'mixed' ? devRng.pick(PROFILE_NAMES) : (spec.profile as ProfileName);
    const proxy = await startFaultProxy({
      target: c.url,
      profile: PROFILES[profileName],
      rng: devRng.fork('proxy'),
      timeScale: scale,
      name: `${id}(${profileName})`,
    });
    // Device clocks lie (DESIGN.md section 5): up to 3 minutes either way.
    const skew = Math.round(devRng.between(-180_000, 180_000));
    const clock = createHlc({ deviceId: id, wallClock: () => Date.now() + skew });
    const local = memoryDb(`chaos-${id}`);
    const credentials = await createDeviceUser(t.couchAdmin, user, id, 'chaos');
    const dev: SimDevice = {
      index,
      id,
      user,
      role,
      local,
      clock,
      rng: devRng,
      proxy,
      credentials,
      sync: null,
      resolving: 0,
      pulled: new Map(),
      timeline: [],
      pullTrace: createTraceLog(),
      heals: [],
      broken: false,
      restarts: 0,
      current: null,
      repo: null as unknown as Repo,
    };
    const recorded = recordingDb(local, (doc, rev) => {
      ledger.record({
        step: dev.current?.step ?? -1,
        action: dev.current?.action ?? 'outside-action',
        deviceId: id,
        user,
        docId: doc._id,
        rev,
        doc: { ...doc, _rev: rev },
      });
    });
    dev.repo = createRepo(recorded, { user, role, clock });
    if (spec.start === 'warm') {
      // Yesterday's sync, straight from the server (no proxy, no faults).
      const direct = openRemoteDb(`${c.url}/${userDbName(user)}`, credentials);
      await local.replicate.from(direct, { batch_size: 1000 });
      await direct.close();
    }
    startDeviceSync(dev);
    return dev;
  }

  function startDeviceSync(dev: SimDevice) {
    const remote = openRemoteDb(`${dev.proxy.url}/${userDbName(dev.user)}`, {
      ...dev.credentials,
      clock: dev.clock,
    });
    const resolve = createPullResolver(
      dev.local,
      (m) => note(`${dev.id} ${m}`),
      writerFor({ name: dev.user, role: dev.role }),
    );
    const sync = startSync(dev.local, remote, {
      deviceId: dev.id,
      idleRestartMs: IDLE_RESTART_MS * scale,
      pullTrace: (event) =>
        dev.pullTrace.add(`+${Date.now() - started}ms g${dev.restarts} ${formatPullTrace(event)}`),
      backoff: {
        baseMs: 1000 * scale,
        maxMs: 30_000 * scale,
        random: dev.rng.fork('backoff').next,
      },
      onPulled: async (docs) => {
        for (const d of docs) {
          const id = String(d._id);
          dev.pulled.set(id, [
            ...(dev.pulled.get(id) ?? []),
            `${String(d._rev)}@+${Date.now() - started}ms`,
          ]);
        }
        dev.resolving += 1;
        try {
          await resolve(docs);
        } finally {
          dev.resolving -= 1;
        }
      },
    });
    dev.sync = sync;
    let last = '';
    let healed = 0;
    sync.subscribe((st) => {
      if ((st.heals ?? 0) > healed && st.lastHeal) {
        healed = st.heals ?? 0;
        dev.heals.push(st.lastHeal);
        note(`${dev.id} healed: ${JSON.stringify(st.lastHeal)}`);
      }
      const line = `${st.state}${st.pending ? ` pending=${st.pending}` : ''}${st.lastError ? ` (${st.lastError.message})` : ''}`;
      if (line === last) return;
      last = line;
      dev.timeline.push(`+${Date.now() - started}ms ${line}`);
      if (dev.timeline.length > 300) dev.timeline.shift();
    });
    if (opts.brokenSync) {
      // Retry disabled: the first error stops this device's sync for good.
      sync.subscribe((s) => {
        if ((s.state === 'offline' || s.state === 'error') && !dev.broken) {
          dev.broken = true;
          note(`${dev.id} broken sync: stopped after "${s.lastError?.message ?? s.state}"`);
          void sync.stop();
        }
      });
    }
  }

  async function restartSync(dev: SimDevice) {
    if (dev.broken) return 'sync stays stopped';
    await withTimeout(dev.sync?.stop() ?? Promise.resolve(), 10_000, undefined);
    dev.restarts += 1;
    startDeviceSync(dev);
    return 'app reopened';
  }

  /** Performs one random action on `dev` and records it. */
  async function act(dev: SimDevice, step: number, driver: Rng) {
    const t0 = Date.now();
    const record: ActionRecord = {
      step,
      deviceId: dev.id,
      user: dev.user,
      action: 'idle',
      target: '',
      ok: true,
      ms: 0,
    };
    const choice = driver.fork(`step-${step}`);
    try {
      const plan =
        dev.role === 'rep'
          ? await planRepAction(dev, choice)
          : await planSupervisorAction(dev, choice);
      record.action = plan.action;
      record.target = plan.target;
      dev.current = { step, action: plan.action };
      const outcome = await plan.run();
      if (Array.isArray(outcome)) record.created = outcome;
      else if (typeof outcome === 'string') record.target += ` (${outcome})`;
    } catch (err) {
      const e = toOutpostError(err);
      record.ok = false;
      record.code = e.code;
      record.error =
        e.code === 'internal'
          ? `${e.message} (${(err as Error)?.stack ?? String(err)})`
          : e.message;
      // The repo refusing an action it should refuse is fine (bad input, or a doc that moved to
      // another owner since the action was planned, which the server would refuse too);
      // anything else is a bug.
      const refusedRightly =
        e.code === 'invalid' ||
        (e.code === 'forbidden' && (await ownedByOther(dev, record.target)));
      if (!refusedRightly) {
        violations.push(
          `${record.action}#${step} on ${dev.id} failed with ${e.code}: ${record.error}`,
        );
      }
    } finally {
      dev.current = null;
    }
    record.ms = Date.now() - t0;
    ledger.actions.push(record);
    note(
      `#${step} ${dev.id} ${dev.user} ${record.action} ${record.target}` +
        (record.ok
          ? record.created
            ? ` created=${record.created.join(',')}`
            : ''
          : ` -> ${record.code}: ${record.error}`),
    );
  }

  interface Plan {
    action: string;
    target: string;
    run(): Promise<unknown>;
  }

  /** True when the doc an action targeted (`<id>` or `<id> -> ...`) is owned by someone else now. */
  async function ownedByOther(dev: SimDevice, target: string): Promise<boolean> {
    const id = target.split(' ')[0];
    const doc = (await dev.local.get(id).catch(() => null)) as Doc | null;
    return doc !== null && typeof doc.owner === 'string' && doc.owner !== dev.user;
  }

  async function localDocs(dev: SimDevice, type: string): Promise<Doc[]> {
    const res = await dev.local.allDocs({
      include_docs: true,
      startkey: `${type}:`,
      endkey: `${type}:\uffff`,
    });
    return res.rows.map((r) => r.doc as unknown as Doc).filter((d) => d && d.type === type);
  }

  async function planRepAction(dev: SimDevice, r: Rng): Promise<Plan> {
    const route = await dev.repo.dayRoute(DATE);
    const open = route.stops.filter((s) => !isFinalStatus(s.stop.status)).map((s) => s.stop);
    const arrived = open.filter((s) => s.status === 'arrived');
    const mine = <T extends Doc>(docs: T[]) => docs.filter((d) => d.owner === dev.user);
    const routeIds = new Set(route.stops.map((s) => s.stop._id));
    const notes = mine(await localDocs(dev, 'note')).filter((n) => routeIds.has(String(n.stopId)));
    const tasks = mine(await localDocs(dev, 'task')).filter((t) => routeIds.has(String(t.stopId)));
    const accounts = route.stops
      .map((s) => s.account)
      .filter((a): a is NonNullable<typeof a> => a !== null && a.owner === dev.user);
    const events = (await localDocs(dev, 'event')).filter(
      (e) => e.deviceId === dev.id && e.kind === 'check_in',
    );
    const kind = r.weighted<string>([
      ['check-in', open.length ? 3 : 0],
      ['check-out', arrived.length ? 2 : 0],
      ['en-route', open.some((s) => s.status === 'planned') ? 1 : 0],
      ['add-note', route.stops.length ? 2 : 0],
      ['edit-note', notes.length ? 2 : 0],
      ['toggle-task', tasks.length ? 3 : 0],
      ['edit-account', accounts.length ? 2 : 0],
      ['replay-check-in', events.length ? 1 : 0],
      ['double-tap-check-in', open.length ? 1 : 0],
      ['restart-sync', 0.4],
    ]);
    switch (kind) {
      case 'check-in': {
        const s = r.pick(open);
        return {
          action: kind,
          target: s._id,
          run: async () => [(await dev.repo.checkIn(s._id)).created],
        };
      }
      case 'check-out': {
        const s = r.pick(arrived);
        return {
          action: kind,
          target: s._id,
          run: async () => [(await dev.repo.checkOut(s._id)).created],
        };
      }
      case 'en-route': {
        const s = r.pick(open.filter((x) => x.status === 'planned'));
        return {
          action: kind,
          target: s._id,
          run: () => dev.repo.setStopStatus(s._id, 'en_route'),
        };
      }
      case 'add-note': {
        const s = r.pick(route.stops).stop;
        const body = text(r, 'Note');
        return {
          action: kind,
          target: s._id,
          run: () => dev.repo.addNote({ accountId: s.accountId, stopId: s._id, text: body }),
        };
      }
      case 'edit-note': {
        const n = r.pick(notes);
        const body = text(r, 'Edited');
        return { action: kind, target: n._id, run: () => dev.repo.editNote(n._id, body) };
      }
      case 'toggle-task': {
        const t = r.pick(tasks);
        return { action: kind, target: t._id, run: () => dev.repo.setTaskDone(t._id, !t.done) };
      }
      case 'edit-account': {
        const a = r.pick(accounts);
        const patch = r.chance(0.5)
          ? { phone: `+1 502 555 ${r.int(1000, 9999)}` }
          : { info: text(r, 'Info') };
        return { action: kind, target: a._id, run: () => dev.repo.updateAccount(a._id, patch) };
      }
      case 'replay-check-in': {
        const e = r.pick(events);
        return {
          action: kind,
          target: String(e.stopId),
          run: async () => [(await dev.repo.checkIn(String(e.stopId), { eventId: e._id })).created],
        };
      }
      case 'double-tap-check-in': {
        const s = r.pick(open);
        return {
          action: kind,
          target: s._id,
          run: async () =>
            (await Promise.all([dev.repo.checkIn(s._id), dev.repo.checkIn(s._id)])).map(
              (x) => x.created,
            ),
        };
      }
      default:
        return { action: 'restart-sync', target: '', run: () => restartSync(dev) };
    }
  }

  async function planSupervisorAction(dev: SimDevice, r: Rng): Promise<Plan> {
    const stops = (await localDocs(dev, 'stop')) as unknown as StopDoc[];
    const open = stops.filter((s) => !isFinalStatus(s.status));
    const notes = await localDocs(dev, 'note');
    const tasks = await localDocs(dev, 'task');
    const reps = team ? [team.rep1, team.rep2] : [];
    const kind = r.weighted<string>([
      ['reassign', open.length ? 2 : 0],
      ['reschedule', open.length ? 1.5 : 0],
      ['add-note', stops.length ? 1 : 0],
      ['edit-note', notes.length ? 2 : 0],
      ['toggle-task', tasks.length ? 2 : 0],
      ['edit-account', stops.length ? 2 : 0],
      ['skip-or-cancel', open.length ? 0.4 : 0],
      ['restart-sync', 0.3],
    ]);
    switch (kind) {
      case 'reassign': {
        const s = r.pick(open);
        const to = reps.find((n) => n !== s.assignee) ?? reps[0];
        return {
          action: kind,
          target: `${s._id} -> ${to}`,
          run: () => dev.repo.reassignStop(s._id, to),
        };
      }
      case 'reschedule': {
        const s = r.pick(open);
        const date = r.chance(0.3) ? NEXT_DATE : DATE;
        const seq = r.int(1, 40);
        return {
          action: kind,
          target: `${s._id} -> ${date}#${seq}`,
          run: () => dev.repo.rescheduleStop(s._id, date, seq),
        };
      }
      case 'add-note': {
        const s = r.pick(stops);
        const body = text(r, 'Supervisor note');
        return {
          action: kind,
          target: s._id,
          run: () => dev.repo.addNote({ accountId: s.accountId, stopId: s._id, text: body }),
        };
      }
      case 'edit-note': {
        const n = r.pick(notes);
        const body = text(r, 'Supervisor edit');
        return { action: kind, target: n._id, run: () => dev.repo.editNote(n._id, body) };
      }
      case 'toggle-task': {
        const t = r.pick(tasks);
        return { action: kind, target: t._id, run: () => dev.repo.setTaskDone(t._id, !t.done) };
      }
      case 'edit-account': {
        const accountId = r.pick(stops).accountId;
        const patch = r.chance(0.5)
          ? { info: text(r, 'Supervisor info') }
          : { phone: `+1 502 555 ${r.int(1000, 9999)}` };
        return {
          action: kind,
          target: accountId,
          run: () => dev.repo.updateAccount(accountId, patch),
        };
      }
      case 'skip-or-cancel': {
        const s = r.pick(open);
        const status = r.chance(0.5) ? 'skipped' : 'cancelled';
        return {
          action: kind,
          target: `${s._id} -> ${status}`,
          run: () => dev.repo.setStopStatus(s._id, status),
        };
      }
      default:
        return { action: 'restart-sync', target: '', run: () => restartSync(dev) };
    }
  }

  /** Why the system is not quiet yet, or null. */
  function busy(): string | null {
    for (const d of devices) {
      const s = d.sync?.status;
      if (!s) return `${d.id} has no sync`;
      if (s.state !== 'idle')
        return `${d.id} is ${s.state}${s.lastError ? ` (${s.lastError.message})` : ''}`;
      if (s.pending > 0) return `${d.id} has ${s.pending} pending`;
      if (d.resolving > 0) return `${d.id} is resolving`;
    }
    return null;
  }

  async function fingerprint(): Promise<string> {
    if (!couch || !team) return '';
    const t = team;
    const c = couch;
    const seqs = await Promise.all(
      [t.masterDb, ...[t.rep1, t.rep2, t.supervisor].map(userDbName)].map(async (db) => {
        const r = await c.admin$('GET', `/${db}`);
        return `${r.body?.update_seq ?? '?'}:${r.body?.doc_count ?? '?'}`;
      }),
    );
    const local = await Promise.all(
      devices.map(async (d) => String((await d.local.info()).update_seq)),
    );
    return [...seqs, ...local].join('|');
  }

  /** Waits until nothing moves: devices idle with nothing pending and every db's seq stable. */
  async function settle(deadline: number): Promise<{ ok: boolean; why: string }> {
    let last = '';
    let stableSince = Date.now();
    let why = 'never polled';
    while (Date.now() < deadline) {
      if (worker) await withTimeout(worker.idle(), 2_000, undefined);
      const fp = await fingerprint().catch((err: unknown) => `error ${String(err)}`);
      why = busy() ?? (fp === last ? '' : 'databases still changing');
      if (why) stableSince = Date.now();
      else if (Date.now() - stableSince >= 600) return { ok: true, why: '' };
      last = fp;
      await pause(150);
    }
    return { ok: false, why: why || 'databases still changing' };
  }

  async function allDocsHttp(c: TestCouch, db: string): Promise<Map<string, Doc>> {
    const r = await c.admin$('GET', `/${db}/_all_docs?include_docs=true&conflicts=true`);
    if (r.status !== 200) throw new Error(`GET /${db}/_all_docs: ${r.status}`);
    const out = new Map<string, Doc>();
    for (const row of r.body.rows as { id: string; doc: Doc }[]) {
      if (!row.id.startsWith('_design/')) out.set(row.id, row.doc);
    }
    return out;
  }

  async function allDocsLocal(db: LocalDb): Promise<Map<string, Doc>> {
    const res = await db.allDocs({ include_docs: true, conflicts: true });
    const out = new Map<string, Doc>();
    for (const row of res.rows)
      if (!row.id.startsWith('_design/')) out.set(row.id, row.doc as unknown as Doc);
    return out;
  }

  /** Adds the leaves of the docs named in `found` on every replica, and the replicator state, to the trace. */
  async function diagnose(c: TestCouch, t: TestTeam, found: string[]) {
    // Audit docs (`conflict:...`) too: a device missing one is a pull problem worth tracing.
    const ids = [...new Set(found.flatMap((v) => v.match(/\b[a-z]+:[^\s,()]+/g) ?? []))].slice(
      0,
      5,
    );
    const leaves = (rows: unknown) =>
      (Array.isArray(rows) ? rows : [])
        .map((r: { ok?: Doc }) => r.ok)
        .filter((d): d is Doc => Boolean(d))
        .map(
          (d) =>
            `${d._rev}${d._deleted ? ' deleted' : ''} owner=${String(d.owner)} by=${String(d.deviceId)}${d.resolvedBy ? ' (resolver)' : ''} <- ${((d._revisions as { ids?: string[] })?.ids ?? []).slice(1, 3).join(',')}`,
        )
        .join(' | ');
    for (const id of ids) {
      for (const db of [t.masterDb, ...[t.rep1, t.rep2, t.supervisor].map(userDbName)]) {
        const r = await c.admin$('GET', `/${db}/${encodeURIComponent(id)}?open_revs=all&revs=true`);
        trace.push(`leaves ${id} @${db}: ${leaves(r.body)}`);
      }
      for (const d of devices) {
        const rows = await d.local.get(id, { open_revs: 'all', revs: true }).catch(() => []);
        trace.push(`leaves ${id} @${d.id}: ${leaves(rows)}`);
        trace.push(`pulled ${id} @${d.id}: ${(d.pulled.get(id) ?? []).join(' ')}`);
      }
      for (const p of [t.rep1, t.rep2, t.supervisor]) {
        const ch = await c.admin$(
          'POST',
          `/${userDbName(p)}/_changes?filter=_doc_ids&style=all_docs`,
          { doc_ids: [id] },
        );
        trace.push(
          `seq ${id} @${userDbName(p)}: ${JSON.stringify(ch.body?.results?.map((r: { seq: unknown }) => r.seq))} last ${JSON.stringify(ch.body?.last_seq)}`,
        );
      }
    }
    for (const d of devices) {
      trace.push(`timeline ${d.id}: ${d.timeline.slice(-40).join(' | ')}`);
    }
    const named = devices.filter((d) => found.some((v) => v.includes(d.id)));
    for (const d of named.length > 0 ? named : devices) {
      for (const line of d.pullTrace.about(ids, 400)) trace.push(`pull ${d.id} ${line}`);
    }
    trace.push(`router: ${JSON.stringify(t.router.stats())}`);
    for (const d of devices) {
      const st = d.sync?.status;
      trace.push(
        `status ${d.id}: ${st?.state} pending=${st?.pending} ${st?.lastError?.message ?? ''}`,
      );
    }
  }

  /** Snapshots every replica and checks the invariants. */
  async function judge(c: TestCouch, t: TestTeam): Promise<InvariantReport> {
    const persons = [t.rep1, t.rep2, t.supervisor];
    const master = await allDocsHttp(c, t.masterDb);
    masterDocs = master.size;
    auditDocs = [...master.values()].filter((d) => d.type === 'conflict').length;
    const userdbs: Replica[] = await Promise.all(
      persons.map(async (p) => ({
        name: `userdb(${p})`,
        person: p,
        docs: await allDocsHttp(c, userDbName(p)),
      })),
    );
    const deviceReplicas = await Promise.all(
      devices.map(async (d) => ({
        name: `device(${d.id} ${d.user})`,
        person: d.user,
        deviceId: d.id,
        docs: await allDocsLocal(d.local),
        heals: d.heals,
      })),
    );
    const selected = expectedHoldings(master, t.provisioner.people.all());
    // Every revision master knows of a doc: the paths of all its leaves. (`_revs_diff` is no
    // use here: PouchDB calls an ancestor whose body it no longer has "missing", CouchDB not.)
    const byDoc = new Map<string, string[]>();
    for (const w of ledger.writes) byDoc.set(w.docId, [...(byDoc.get(w.docId) ?? []), w.rev]);
    const missingOnMaster = new Set<string>();
    for (const [id, revs] of byDoc) {
      const r = await c.admin$(
        'GET',
        `/${t.masterDb}/${encodeURIComponent(id)}?open_revs=all&revs=true`,
      );
      const known = new Set<string>();
      for (const row of Array.isArray(r.body) ? (r.body as { ok?: Doc }[]) : []) {
        const path = row.ok?._revisions as { start: number; ids: string[] } | undefined;
        path?.ids.forEach((hash, i) => known.add(`${path.start - i}-${hash}`));
      }
      for (const rev of revs) if (!known.has(rev)) missingOnMaster.add(`${id} ${rev}`);
    }
    return checkInvariants({
      master,
      userdbs,
      devices: deviceReplicas,
      selected,
      missingOnMaster,
      ledger,
    });
  }
}

/** Writes the demo day (renamed to the team's people) into master, as the planning admin. */
async function seedMaster(couch: TestCouch, team: TestTeam): Promise<void> {
  const clock = createHlc({
    deviceId: 'planning',
    wallClock: () => Date.parse('2026-01-01T06:00:00Z'),
  });
  const names: Record<string, string> = { ana: team.rep1, ben: team.rep2, sam: team.supervisor };
  const rename = (v: unknown) => (typeof v === 'string' && v in names ? names[v] : v);
  const docs = demoDayDocs(DATE, clock).map((d) => ({
    ...d,
    owner: rename(d.owner),
    updatedBy: rename(d.updatedBy),
    ...('assignee' in d ? { assignee: rename(d.assignee) } : {}),
  }));
  const res = await couch.admin$('POST', `/${team.masterDb}/_bulk_docs`, { docs });
  if (res.status !== 201)
    throw new Error(`seeding master: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Polls `check` every 100 ms until it is true or `deadline` passes. */
async function waitUntil(deadline: number, check: () => Promise<boolean>): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await pause(100);
  }
  return false;
}

/** A short random text for notes and account info. */
function text(r: Rng, what: string): string {
  const topic = r.pick([
    'Gate code',
    'Manager away',
    'Stock low',
    'Back door',
    'Call ahead',
    'Dog on site',
  ]);
  return `${what} ${topic} ${r.int(1, 9999)}`;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}
