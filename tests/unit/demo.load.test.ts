import { afterEach, describe, expect, it } from 'vitest';
import { createRepo } from '$lib/repo';
import { validateDoc } from '$lib/domain/validate';
import { loadDemoDay, demoDayDocs } from '$lib/demo/load';
import { DEMO_TEMPLATES } from '$lib/demo/templates';
import { demoProducts } from '$lib/demo/catalogue';
import {
  DEMO_ACCOUNT_COUNT,
  DEMO_REPS,
  DEMO_STOPS_PER_REP,
  DEMO_SUPERVISOR,
  demoAccounts,
  demoStops,
} from '$lib/demo/fixtures';
import { docsOfType, revOf } from '../helpers/docs';
import { destroyMemoryDbs, fakeHlc, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

const DAY = '2026-11-22';
const TASKS_PER_DAY = demoStops().reduce((n, s) => n + s.tasks.length, 0);
const TEMPLATES = Object.keys(DEMO_TEMPLATES).length;
const PRODUCTS = demoProducts().length;

function setup() {
  const db = memoryDb('demo');
  const { clock } = fakeHlc('dev-demo');
  return { db, clock };
}

describe('demo fixtures', () => {
  it('are the same on every call (fixed seed)', () => {
    expect(demoAccounts()).toEqual(demoAccounts());
    expect(demoStops()).toEqual(demoStops());
  });

  it('have 200 accounts and 20 stops per rep with 1-3 tasks each', () => {
    expect(demoAccounts()).toHaveLength(200);
    expect(DEMO_ACCOUNT_COUNT).toBe(200);
    const stops = demoStops();
    expect(stops).toHaveLength(40);
    for (const rep of DEMO_REPS) {
      const mine = stops.filter((s) => s.assignee === rep.name);
      expect(mine.map((s) => s.seq)).toEqual(
        Array.from({ length: DEMO_STOPS_PER_REP }, (_, i) => i + 1),
      );
    }
    for (const s of stops) {
      expect(s.tasks.length).toBeGreaterThanOrEqual(1);
      expect(s.tasks.length).toBeLessThanOrEqual(3);
    }
  });

  it("visit only accounts in the rep's own territory", () => {
    const owner = new Map(demoAccounts().map((a) => [a.key, a.owner]));
    for (const s of demoStops()) expect(owner.get(s.accountKey)).toBe(s.assignee);
  });
});

describe('loadDemoDay', () => {
  it('writes 200 accounts, 40 stops (20 per rep) and their tasks for the date', async () => {
    const { db, clock } = setup();
    const result = await loadDemoDay(db, DAY, clock);
    expect(result).toEqual({
      created: 200 + 40 + TASKS_PER_DAY + TEMPLATES + PRODUCTS,
      existing: 0,
    });

    expect(await docsOfType(db, 'account')).toHaveLength(200);
    const stops = await docsOfType(db, 'stop');
    expect(stops).toHaveLength(40);
    for (const rep of DEMO_REPS) {
      expect(stops.filter((s) => s.assignee === rep.name && s.owner === rep.name)).toHaveLength(20);
    }
    expect(stops.every((s) => s.date === DAY && s.status === 'planned')).toBe(true);
    const tasks = await docsOfType(db, 'task');
    expect(tasks).toHaveLength(TASKS_PER_DAY);
    const stopIds = new Set(stops.map((s) => s._id));
    expect(tasks.every((t) => stopIds.has(t.stopId as string) && t.done === false)).toBe(true);
    expect((await docsOfType(db, 'template')).map((t) => t._id).sort()).toEqual([
      'template:fridge-check',
      'template:safety-walk',
    ]);
  });

  it('writes documents that all pass validation, stamped by the supervisor', async () => {
    const { db, clock } = setup();
    await loadDemoDay(db, DAY, clock);
    const all = await db.allDocs({ include_docs: true });
    const docs = all.rows.map((r) => r.doc!).filter((d) => !d._id.startsWith('_design/'));
    expect(docs.length).toBe(200 + 40 + TASKS_PER_DAY + TEMPLATES + PRODUCTS);
    for (const doc of docs) {
      expect({ id: doc._id, errors: validateDoc(doc) }).toEqual({ id: doc._id, errors: {} });
      expect(doc.updatedBy).toBe(DEMO_SUPERVISOR.name);
      expect(doc.deviceId).toBe('dev-demo');
    }
  });

  it('references only accounts that exist', async () => {
    const { db, clock } = setup();
    await loadDemoDay(db, DAY, clock);
    const accountIds = new Set((await docsOfType(db, 'account')).map((a) => a._id));
    for (const s of await docsOfType(db, 'stop'))
      expect(accountIds.has(s.accountId as string)).toBe(true);
  });

  it('gives each rep a full route for the day', async () => {
    const { db, clock } = setup();
    await loadDemoDay(db, DAY, clock);
    for (const rep of DEMO_REPS) {
      const repo = createRepo(db, { user: rep.name, role: 'rep', clock });
      const day = await repo.dayRoute(DAY);
      expect(day.stops).toHaveLength(20);
      expect(day.total).toBe(20);
      expect(day.completed).toBe(0);
      expect(day.stops.every((r) => r.account !== null)).toBe(true);
      expect(day.next?.stop.seq).toBe(1);
    }
  });

  it('is idempotent: loading twice creates nothing and keeps work already done', async () => {
    const { db, clock } = setup();
    await loadDemoDay(db, DAY, clock);
    const repo = createRepo(db, { user: 'ana', role: 'rep', clock });
    const stopId = (await repo.dayRoute(DAY)).stops[0].stop._id;
    await repo.checkIn(stopId);
    const rev = await revOf(db, stopId);

    const again = await loadDemoDay(db, DAY, clock);
    expect(again).toEqual({
      created: 0,
      existing: 200 + 40 + TASKS_PER_DAY + TEMPLATES + PRODUCTS,
    });
    expect(await docsOfType(db, 'account')).toHaveLength(200);
    expect(await docsOfType(db, 'stop')).toHaveLength(40);
    expect(await docsOfType(db, 'task')).toHaveLength(TASKS_PER_DAY);
    expect(await revOf(db, stopId)).toBe(rev);
    expect((await repo.stopDetail(stopId)).stop.status).toBe('arrived');
  });

  it('loads a different date as a new day without duplicating accounts', async () => {
    const { db, clock } = setup();
    await loadDemoDay(db, DAY, clock);
    const next = await loadDemoDay(db, '2026-11-23', clock);
    expect(next).toEqual({ created: 40 + TASKS_PER_DAY, existing: 200 + TEMPLATES + PRODUCTS });
    expect(await docsOfType(db, 'account')).toHaveLength(200);
    expect(await docsOfType(db, 'stop')).toHaveLength(80);
    expect(await docsOfType(db, 'task')).toHaveLength(2 * TASKS_PER_DAY);
    const repo = createRepo(db, { user: 'ben', role: 'rep', clock });
    const day2 = await repo.dayRoute('2026-11-23');
    expect(day2.stops).toHaveLength(20);
    expect(day2.stops.every((r) => r.stop.date === '2026-11-23')).toBe(true);
    expect((await repo.dayRoute(DAY)).stops).toHaveLength(20);
  });

  it('builds the same ids for the same date on any device', () => {
    const a = demoDayDocs(DAY, fakeHlc('dev-1').clock).map((d) => d._id);
    const b = demoDayDocs(DAY, fakeHlc('dev-2').clock).map((d) => d._id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
  });

  it('rejects an invalid date before writing anything', async () => {
    const { db, clock } = setup();
    await expect(loadDemoDay(db, '2026-02-30', clock)).rejects.toMatchObject({ code: 'invalid' });
    expect((await db.allDocs()).rows).toHaveLength(0);
  });
});

describe('demo catalogue', () => {
  it('has about 60 valid products in several categories with two tax rates', () => {
    const products = demoProducts();
    expect(products.length).toBe(60);
    expect(new Set(products.map((p) => p.sku)).size).toBe(60);
    expect(new Set(products.map((p) => p.category)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(products.map((p) => p.taxRate))).toEqual(new Set([0, 600]));
    const docs = demoDayDocs(DAY, fakeHlc('dev-demo').clock).filter((d) => d.type === 'product');
    expect(docs).toHaveLength(60);
    for (const doc of docs) expect(validateDoc(doc)).toEqual({});
  });
});
