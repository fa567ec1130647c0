/**
 * The harness can fail: with sync retry disabled (each device's sync stops at its first error
 * and is never started again), the same kind of scenario the slice runs must report violations.
 * Without this test, a checker that passes everything would look exactly like a healthy system.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from './simulate';

describe('chaos harness with a deliberately broken sync', () => {
  it('reports acknowledged writes that never reached master, and names the replay', async () => {
    const result = await runScenario({
      seed: 4242,
      profile: 'warehouse-wifi',
      devices: 2,
      actions: 20,
      timeScale: 0.05,
      start: 'warm',
      brokenSync: true,
      // Every device loses the network when the actions start: each sync meets an error.
      outageMs: 400,
      quiescenceTimeoutMs: 6_000,
    });
    expect(result.ok).toBe(false);
    expect(result.violations.some((v) => /never reached master/.test(v))).toBe(true);
    expect(result.violations.some((v) => /no quiescence/.test(v))).toBe(true);
    expect(result.replay).toMatch(/^npm run chaos -- --seed 4242 .*--broken-sync$/);
  });
});
