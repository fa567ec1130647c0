import { describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { demoDayDocs } from '$lib/demo/load';
import { checkInvariants, Ledger, type Doc } from './invariants';

const clock = createHlc({ deviceId: 'planning', wallClock: () => Date.parse('2026-01-01T06:00Z') });
const demo = demoDayDocs('2026-11-22', clock).find((d) => d.type === 'account');
const account = { ...demo, _rev: '2-bb' } as unknown as Doc;

/** Master, ana's db and ana's device holding the same account; `heals` on the device. */
function input(heals: { at: string; pulled: string[]; pushed: string[] }[]) {
  const docs = () => new Map([[account._id, { ...account }]]);
  return {
    master: docs(),
    userdbs: [{ name: 'userdb(ana)', person: 'ana', docs: docs() }],
    devices: [{ name: 'device(d1 ana)', person: 'ana', deviceId: 'd1', docs: docs(), heals }],
    selected: new Map([['ana', new Set([account._id])]]),
    missingOnMaster: new Set<string>(),
    ledger: new Ledger(),
  };
}

describe('invariant 7: no heals', () => {
  it('replicas that agree pass', () => {
    expect(checkInvariants(input([])).violations).toEqual([]);
  });

  it('a revision the consistency check had to write fails the scenario, naming the doc', () => {
    const heal = { at: '2026-12-03T08:00:00.000Z', pulled: [`${account._id}@2-bb`], pushed: [] };
    expect(checkInvariants(input([heal])).violations).toEqual([
      `device(d1 ana): the consistency check healed what sync missed: pulled ${account._id} (2-bb); pushed nothing`,
    ]);
  });
});
