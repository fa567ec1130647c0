/**
 * `npm run chaos -- [options]`: runs chaos scenarios outside vitest and prints a summary.
 *
 *   --seed S            one scenario (a replay); its sizes and profile come from the seed unless given
 *   --profile P         warehouse-wifi | moving-vehicle | rural | flaky-server | mixed
 *   --devices K         rep devices (2-4), plus one supervisor device
 *   --actions N         driver actions
 *   --scale X           time scale of profile durations and back-off (default 0.05)
 *   --start warm|cold   devices start with yesterday's data (warm) or sync it through the faults
 *   --broken-sync       stop each device's sync at its first error (the harness must then fail)
 *   --scenarios N       run N scenarios, seeds base..base+N-1 (base: --seed, default 1)
 *   --minutes M         stop starting new scenarios after M minutes
 *   --jobs J            run J worker processes in parallel (default 1)
 *   --json FILE         write every result as JSON at the end; each failure (with its trace)
 *                       is also appended to FILE.failures.jsonl as it happens
 *   --verbose           print the action log and fault events
 *
 * Exits 1 when any scenario failed, printing its seed and the one-line replay command.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROFILE_NAMES } from './fault-proxy';
import {
  runScenario,
  scenarioSpec,
  type ScenarioProfile,
  type ScenarioResult,
  type ScenarioSpec,
} from './simulate';

interface Args {
  seed?: number;
  profile?: ScenarioProfile;
  devices?: number;
  actions?: number;
  scale?: number;
  start?: 'warm' | 'cold';
  brokenSync: boolean;
  scenarios?: number;
  minutes?: number;
  jobs: number;
  json?: string;
  verbose: boolean;
  /** Internal: a worker process running the seeds in CHAOS_SEEDS, printing results as JSON lines. */
  worker?: boolean;
  deadline?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { brokenSync: false, jobs: 1, verbose: false };
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`--${name} needs a number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--seed':
        args.seed = num('seed', next());
        break;
      case '--profile': {
        const p = next() as ScenarioProfile;
        if (![...PROFILE_NAMES, 'mixed'].includes(p)) {
          throw new Error(`--profile must be one of ${[...PROFILE_NAMES, 'mixed'].join(', ')}`);
        }
        args.profile = p;
        break;
      }
      case '--devices':
        args.devices = num('devices', next());
        break;
      case '--actions':
        args.actions = num('actions', next());
        break;
      case '--scale':
        args.scale = num('scale', next());
        break;
      case '--start': {
        const v = next();
        if (v !== 'warm' && v !== 'cold') throw new Error('--start must be warm or cold');
        args.start = v;
        break;
      }
      case '--broken-sync':
        args.brokenSync = true;
        break;
      case '--scenarios':
        args.scenarios = num('scenarios', next());
        break;
      case '--minutes':
        args.minutes = num('minutes', next());
        break;
      case '--jobs':
        args.jobs = Math.max(1, Math.floor(num('jobs', next())));
        break;
      case '--json':
        args.json = next();
        break;
      case '--verbose':
        args.verbose = true;
        break;
      case '--worker':
        args.worker = true;
        break;
      case '--deadline':
        args.deadline = num('deadline', next());
        break;
      default:
        throw new Error(`unknown option ${a} (see tests/chaos/run.ts)`);
    }
  }
  if (args.devices !== undefined && (args.devices < 2 || args.devices > 4)) {
    throw new Error('--devices must be 2, 3 or 4');
  }
  return args;
}

function overrides(args: Args): Partial<ScenarioSpec> {
  return {
    profile: args.profile,
    devices: args.devices,
    actions: args.actions,
    timeScale: args.scale,
    start: args.start,
  };
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function line(r: ScenarioResult): string {
  const s = r.spec;
  const f = Object.entries(r.stats.faults)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
  return (
    `${r.ok ? 'PASS' : 'FAIL'} seed=${s.seed} ${s.profile} devices=${s.devices} actions=${s.actions}` +
    ` ${fmtS(r.durationMs)} (setup ${fmtS(r.phases.setupMs)}, actions ${fmtS(r.phases.actionsMs)}, settle ${fmtS(r.phases.settleMs)}, check ${fmtS(r.phases.checkMs)}) writes=${r.stats.acknowledgedWrites} audits=${r.stats.auditDocs}` +
    ` requests=${r.stats.requests} offline=${r.stats.offlineWindows}` +
    `${r.stats.heals ? ` heals=${r.stats.heals}` : ''} ${f}` +
    r.notes
      .filter((n) => n.startsWith('converged '))
      .map((n) => ` (${n})`)
      .join('')
  );
}

function printFailure(r: ScenarioResult, verbose: boolean) {
  console.log(`  seed ${r.spec.seed} failed (${r.violations.length} violation(s)):`);
  for (const v of r.violations.slice(0, 20)) console.log(`    - ${v}`);
  if (r.violations.length > 20) console.log(`    ... and ${r.violations.length - 20} more`);
  if (verbose) for (const t of r.trace) console.log(`    | ${t}`);
  console.log(`  replay: ${r.replay}`);
}

/** Runs the given seeds one after another in this process. */
async function runSeeds(
  seeds: number[],
  args: Args,
  deadline: number,
  onResult: (r: ScenarioResult) => void,
) {
  for (const seed of seeds) {
    if (Date.now() >= deadline) break;
    const result = await runScenario({
      seed,
      ...overrides(args),
      brokenSync: args.brokenSync,
      verbose: args.verbose,
      log: (l) => console.log(`  ${l}`),
    });
    onResult(result);
  }
}

/** Starts `jobs` worker processes over the seeds and collects their JSON lines. */
async function runParallel(
  seeds: number[],
  args: Args,
  deadline: number,
  onResult: (r: ScenarioResult) => void,
) {
  const self = fileURLToPath(import.meta.url);
  const passOn = [
    ...(args.profile ? ['--profile', args.profile] : []),
    ...(args.devices ? ['--devices', String(args.devices)] : []),
    ...(args.actions ? ['--actions', String(args.actions)] : []),
    ...(args.scale ? ['--scale', String(args.scale)] : []),
    ...(args.start ? ['--start', args.start] : []),
    ...(args.brokenSync ? ['--broken-sync'] : []),
    ...(args.verbose ? ['--verbose'] : []),
  ];
  await Promise.all(
    Array.from({ length: args.jobs }, (_, shard) => {
      const mine = seeds.filter((_, i) => i % args.jobs === shard);
      return new Promise<void>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            self,
            ...passOn,
            '--worker',
            ...(Number.isFinite(deadline) ? ['--deadline', String(deadline)] : []),
          ],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
            env: { ...process.env, CHAOS_SEEDS: mine.join(',') },
          },
        );
        let buf = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buf += chunk.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const l = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (l.startsWith('RESULT ')) onResult(JSON.parse(l.slice(7)) as ScenarioResult);
            else if (l.trim()) console.log(`[${shard}] ${l}`);
          }
        });
        child.once('exit', () => resolve());
      });
    }),
  );
}

async function main() {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const started = Date.now();

  if (args.worker) {
    const seeds = (process.env.CHAOS_SEEDS ?? '').split(',').filter(Boolean).map(Number);
    await runSeeds(seeds, { ...args, verbose: false }, args.deadline ?? Infinity, (r) =>
      console.log(`RESULT ${JSON.stringify(r)}`),
    );
    // A scenario that gave up on a close (bounded by withTimeout) can leave a socket or timer
    // behind; the worker's results are all written (stdout to a pipe is synchronous on Linux),
    // so it ends here instead of keeping the parent waiting for its exit.
    process.exit(0);
  }

  const count = args.scenarios ?? 1;
  const base = args.seed ?? (args.scenarios ? 1 : Math.floor(Math.random() * 1e9));
  const seeds = Array.from({ length: count }, (_, i) => base + i);
  const deadline = args.minutes ? started + args.minutes * 60_000 : Infinity;
  const results: ScenarioResult[] = [];
  const onResult = (r: ScenarioResult) => {
    results.push(r);
    console.log(`[${results.length}/${count}] ${line(r)}`);
    if (!r.ok) printFailure(r, args.verbose);
    if (!r.ok && args.json) appendFileSync(`${args.json}.failures.jsonl`, JSON.stringify(r) + '\n');
  };
  if (count === 1) {
    const spec = scenarioSpec(base, overrides(args));
    console.log(
      `chaos: seed ${spec.seed}, ${spec.profile}, ${spec.devices} rep devices + 1 supervisor,` +
        ` ${spec.actions} actions, scale ${spec.timeScale}, ${spec.start} start`,
    );
  } else {
    console.log(
      `chaos: ${count} scenarios, seeds ${base}..${base + count - 1}, jobs ${args.jobs}` +
        (args.minutes ? `, at most ${args.minutes} min` : ''),
    );
  }
  if (args.jobs > 1 && count > 1) await runParallel(seeds, args, deadline, onResult);
  else await runSeeds(seeds, args, deadline, onResult);

  const failed = results.filter((r) => !r.ok);
  const duration = Date.now() - started;
  const byProfile = new Map<string, { run: number; failed: number }>();
  for (const r of results) {
    const p = byProfile.get(r.spec.profile) ?? { run: 0, failed: 0 };
    p.run += 1;
    if (!r.ok) p.failed += 1;
    byProfile.set(r.spec.profile, p);
  }
  console.log('');
  console.log(
    `chaos: ${results.length} scenario(s) run, ${results.length - failed.length} passed, ${failed.length} failed, ${fmtS(duration)}`,
  );
  for (const [p, n] of byProfile) console.log(`  ${p}: ${n.run} run, ${n.failed} failed`);
  const heals = results.reduce((n, r) => n + (r.stats.heals ?? 0), 0);
  console.log(`  heals (revisions the consistency check wrote that sync had missed): ${heals}`);
  const late = results.filter((r) => r.ok && r.notes.some((n) => n.startsWith('converged ')));
  if (late.length > 0) {
    console.log(
      `  ${late.length} passed only after waiting past the first quiet moment (late delivery)`,
    );
  }
  if (results.length < count)
    console.log(`  stopped after ${results.length} of ${count}: time budget reached`);
  for (const r of failed) console.log(`  FAILED seed ${r.spec.seed}: ${r.replay}`);
  if (args.json) {
    writeFileSync(
      args.json,
      JSON.stringify(
        { command: `npm run chaos -- ${argv.join(' ')}`, durationMs: duration, results },
        null,
        2,
      ),
    );
  }
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
