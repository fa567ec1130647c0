/**
 * The CI slice of the chaos harness: short seeded scenarios across every network profile, each
 * a full multi-device simulation checked against the invariants (simulate.ts, invariants.ts).
 * A failure names its seed and the one-line command that replays it. The long run is
 * `npm run chaos -- --scenarios 1000` (docs/RELIABILITY.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario, SCENARIO_PROFILES, type ScenarioResult, type ScenarioSpec } from './simulate';

/** Scenarios in the slice; sized so the file takes about two minutes on two cores. */
export const SLICE: ScenarioSpec[] = Array.from({ length: 15 }, (_, i) => ({
  seed: 5001 + i,
  profile: SCENARIO_PROFILES[i % SCENARIO_PROFILES.length],
  devices: 2 + (i % 3),
  actions: 24,
  timeScale: 0.05,
  start: i % 5 === 4 ? 'cold' : 'warm',
}));

const results: ScenarioResult[] = [];

describe('chaos slice: seeded faults, devices converge, nothing acknowledged is lost', () => {
  afterAll(() => {
    const total = results.reduce((n, r) => n + r.durationMs, 0);
    const writes = results.reduce((n, r) => n + r.stats.acknowledgedWrites, 0);
    const faults = results.reduce(
      (n, r) => n + Object.values(r.stats.faults).reduce((a, b) => a + (b ?? 0), 0),
      0,
    );
    console.log(
      `chaos slice: ${results.length} scenarios, ${results.filter((r) => r.ok).length} passed, ` +
        `${(total / 1000).toFixed(1)} s, ${writes} acknowledged writes, ${faults} faults injected`,
    );
  });

  it.each(SLICE)('seed $seed: $profile, $devices rep devices, $start start', async (spec) => {
    const result = await runScenario(spec);
    results.push(result);
    if (!result.ok) {
      console.log(
        [
          `chaos seed ${spec.seed} failed; replay: ${result.replay}`,
          ...result.violations.map((v) => `  - ${v}`),
          ...result.trace.slice(-60).map((t) => `  | ${t}`),
        ].join('\n'),
      );
    }
    expect(result.violations, `replay: ${result.replay}`).toEqual([]);
    expect(result.stats.acknowledgedWrites).toBeGreaterThan(0);
  });
});
