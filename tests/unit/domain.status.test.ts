import { describe, expect, it } from 'vitest';
import {
  SUPERVISOR_STATUSES,
  forwardStatus,
  isFinalStatus,
  statusChangeError,
  statusRank,
} from '$lib/domain/status';
import { STOP_STATUSES, type StopStatus } from '$lib/domain/types';

const PATH: StopStatus[] = ['planned', 'en_route', 'arrived', 'done'];
const FINAL: StopStatus[] = ['done', 'skipped', 'cancelled'];

describe('status ranks', () => {
  it('ranks the forward path in order', () => {
    const ranks = PATH.map(statusRank);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(new Set(ranks).size).toBe(PATH.length);
  });

  it('treats done, skipped and cancelled as final and nothing else', () => {
    for (const s of STOP_STATUSES) expect(isFinalStatus(s)).toBe(FINAL.includes(s));
  });

  it('reserves skipped and cancelled for supervisors', () => {
    expect([...SUPERVISOR_STATUSES].sort()).toEqual(['cancelled', 'skipped']);
  });
});

describe('forwardStatus', () => {
  it('moves forward along the path', () => {
    expect(forwardStatus('planned', 'en_route')).toBe('en_route');
    expect(forwardStatus('planned', 'arrived')).toBe('arrived');
    expect(forwardStatus('en_route', 'arrived')).toBe('arrived');
    expect(forwardStatus('arrived', 'done')).toBe('done');
  });

  it('never moves backwards (replayed or out-of-order actions)', () => {
    expect(forwardStatus('arrived', 'planned')).toBe('arrived');
    expect(forwardStatus('arrived', 'en_route')).toBe('arrived');
    expect(forwardStatus('en_route', 'planned')).toBe('en_route');
  });

  it('never changes a final status', () => {
    for (const from of FINAL) {
      for (const to of STOP_STATUSES) expect(forwardStatus(from, to)).toBe(from);
    }
  });

  it('lets a non-final stop become skipped or cancelled', () => {
    expect(forwardStatus('planned', 'cancelled')).toBe('cancelled');
    expect(forwardStatus('arrived', 'skipped')).toBe('skipped');
  });

  it('keeps the same status when proposed again', () => {
    for (const s of STOP_STATUSES) expect(forwardStatus(s, s)).toBe(s);
  });
});

describe('statusChangeError', () => {
  it('allows reps to move forward', () => {
    expect(statusChangeError('planned', 'en_route', 'rep')).toBeNull();
    expect(statusChangeError('en_route', 'arrived', 'rep')).toBeNull();
    expect(statusChangeError('arrived', 'done', 'rep')).toBeNull();
  });

  it('refuses skipped and cancelled for reps', () => {
    expect(statusChangeError('planned', 'skipped', 'rep')).toMatch(/Only a supervisor/);
    expect(statusChangeError('planned', 'cancelled', 'rep')).toMatch(/Only a supervisor/);
  });

  it('allows skipped and cancelled for supervisors on open stops', () => {
    expect(statusChangeError('planned', 'skipped', 'supervisor')).toBeNull();
    expect(statusChangeError('arrived', 'cancelled', 'supervisor')).toBeNull();
  });

  it('refuses going back, for every role', () => {
    for (const role of ['rep', 'supervisor'] as const) {
      expect(statusChangeError('arrived', 'planned', role)).toBe(
        'A stop cannot go back from arrived to planned.',
      );
      expect(statusChangeError('arrived', 'en_route', role)).toMatch(/cannot go back.*en route/);
    }
  });

  it('refuses any change of a final status, even by a supervisor', () => {
    expect(statusChangeError('done', 'cancelled', 'supervisor')).toBe('This stop is already done.');
    expect(statusChangeError('cancelled', 'planned', 'supervisor')).toMatch(/already cancelled/);
    expect(statusChangeError('skipped', 'done', 'supervisor')).toMatch(/already skipped/);
  });

  it('accepts setting the same status again', () => {
    expect(statusChangeError('arrived', 'arrived', 'rep')).toBeNull();
    expect(statusChangeError('done', 'done', 'rep')).toBeNull();
  });
});
