import { describe, expect, it } from 'vitest';
import { createCheckSchedule } from '$lib/sync/check-schedule';

const HOUR = 60 * 60 * 1000;
const MIN = 60 * 1000;

function setup() {
  let t = 0;
  const schedule = createCheckSchedule({ now: () => t, intervalMs: 4 * HOUR, retryMs: 10 * MIN });
  return {
    schedule,
    at: (ms: number) => (t = ms),
    idle: () => schedule.observe({ online: true, idle: true }),
    busy: () => schedule.observe({ online: true, idle: false }),
    offline: () => schedule.observe({ online: false, idle: false }),
    run(ok = true) {
      schedule.started();
      schedule.finished(ok);
    },
  };
}

describe('consistency check schedule', () => {
  it('is due once after the first sync of a session, only when idle and online', () => {
    const s = setup();
    expect(s.busy()).toBeNull();
    expect(s.offline()).toBeNull();
    expect(s.idle()).toBe('session');
    s.run();
    expect(s.idle()).toBeNull();
  });

  it('is due again after the interval, not before, and says when', () => {
    const s = setup();
    s.run();
    s.at(4 * HOUR - 1);
    expect(s.idle()).toBeNull();
    expect(s.schedule.nextIn()).toBe(1);
    s.at(4 * HOUR);
    expect(s.idle()).toBe('periodic');
  });

  it('is due after an offline period longer than an hour, not after a short one', () => {
    const s = setup();
    s.run();
    s.at(10 * MIN);
    expect(s.offline()).toBeNull();
    s.at(50 * MIN);
    expect(s.idle()).toBeNull(); // 40 min offline
    expect(s.offline()).toBeNull();
    s.at(50 * MIN + HOUR + 1);
    expect(s.busy()).toBeNull(); // back online but still syncing
    expect(s.idle()).toBe('offline');
  });

  it('a failed check is tried again after the retry delay, for the same reason', () => {
    const s = setup();
    expect(s.idle()).toBe('session');
    s.run(false);
    expect(s.idle()).toBeNull();
    expect(s.schedule.nextIn()).toBe(10 * MIN);
    s.at(10 * MIN);
    expect(s.idle()).toBe('session');
  });

  it('is never due while a check runs', () => {
    const s = setup();
    s.schedule.started();
    s.at(5 * HOUR);
    expect(s.idle()).toBeNull();
    expect(s.schedule.nextIn()).toBeNull();
    s.schedule.finished(true);
    expect(s.idle()).toBeNull();
  });
});
