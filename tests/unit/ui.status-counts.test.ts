import { describe, expect, it } from 'vitest';
import type { StopStatus } from '$lib/domain/types';
import { statusCounts } from '$lib/ui/format';

const none: Record<StopStatus, number> = {
  planned: 0,
  en_route: 0,
  arrived: 0,
  done: 0,
  skipped: 0,
  cancelled: 0,
};

describe("a rep's stops counted by status", () => {
  it('words each status that has stops, in the order of the day', () => {
    expect(statusCounts({ ...none, done: 2, planned: 16, arrived: 3, cancelled: 1 })).toEqual([
      '16 planned',
      '3 checked in',
      '2 done',
      '1 cancelled',
    ]);
  });

  it('says nothing for a day without stops', () => {
    expect(statusCounts(none)).toEqual([]);
  });
});
