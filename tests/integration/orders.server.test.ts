import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceDbName, userDbName } from '../../src/lib/server/provision/names';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';

const HLC = '001795315276320-000000-dev';

function product(sku: string, owner: string) {
  return {
    _id: `product:${sku}`,
    type: 'product',
    schema: 1,
    owner,
    sku,
    name: `Product ${sku}`,
    unit: 'each',
    price: 1299,
    taxRate: 600,
    category: 'General',
    active: true,
    updatedAt: HLC,
    updatedBy: owner,
    deviceId: 'dev',
  };
}

function order(id: string, owner: string, extra: Record<string, unknown> = {}) {
  return {
    _id: `order:${id}`,
    type: 'order',
    schema: 1,
    owner,
    stopId: 'stop:s1',
    accountId: 'account:a1',
    currency: 'USD',
    status: 'draft',
    lines: {
      l1: {
        lineId: 'l1',
        productId: 'product:P1',
        sku: 'P1',
        name: 'P1',
        qty: 2,
        unitPrice: 1299,
        taxRate: 600,
        at: HLC,
      },
    },
    totals: { net: 2598, tax: 156, gross: 2754 },
    updatedAt: HLC,
    updatedBy: owner,
    deviceId: 'dev',
    ...extra,
  };
}

describe('orders and the catalogue on the server (validate_doc_update, pull selector)', () => {
  let couch: TestCouch;
  let team: TestTeam;

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
  });
  afterAll(async () => {
    await team?.cleanup();
    await couch?.close();
  });

  it('a product a supervisor writes to the team reference db is read by the team, stored once', async () => {
    const sup = basicAuth(team.supervisor, team.password);
    const p = product(
      couch
        .unique('SKU')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '-'),
      team.supervisor,
    );
    const refDb = referenceDbName(team.team);
    const path = `/${refDb}/${encodeURIComponent(p._id)}`;
    const put = await couch.as(sup, 'PUT', path, p);
    expect(put.status).toBe(201);
    for (const person of [team.rep1, team.rep2, team.supervisor]) {
      const read = await couch.as(basicAuth(person, team.password), 'GET', path);
      expect(read.status).toBe(200);
    }
    // Never copied into anyone's own db.
    await team.router.idle();
    for (const person of [team.rep1, team.rep2, team.supervisor]) {
      const copy = await couch.admin$('GET', `/${userDbName(person)}/${encodeURIComponent(p._id)}`);
      expect(copy.status).toBe(404);
    }
  });

  it('a rep reads the reference db but cannot write it', async () => {
    const rep = basicAuth(team.rep1, team.password);
    const p = product('REP-2', team.rep1);
    const res = await couch.as(rep, 'PUT', `/${referenceDbName(team.team)}/${p._id}`, p);
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe('Only supervisors and admins may change the reference data.');
  });

  it('a reference db holds only products and templates', async () => {
    const sup = basicAuth(team.supervisor, team.password);
    const res = await couch.as(sup, 'PUT', `/${referenceDbName(team.team)}/order:x`, {
      ...order('x', team.supervisor),
    });
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe('Only product and template documents belong in the reference db.');
  });

  it('a rep cannot write the catalogue', async () => {
    const rep = basicAuth(team.rep1, team.password);
    const p = product('REP-1', team.rep1);
    const res = await couch.as(rep, 'PUT', `/${userDbName(team.rep1)}/${p._id}`, p);
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe("Products and templates are written in the team's reference db.");
  });

  it('a rep writes and submits her order; a submitted order cannot be changed', async () => {
    const rep = basicAuth(team.rep1, team.password);
    const path = `/${userDbName(team.rep1)}/order:o1`;
    const draft = await couch.as(rep, 'PUT', path, order('o1', team.rep1));
    expect(draft.status).toBe(201);
    const submitted = order('o1', team.rep1, {
      _rev: draft.body.rev,
      status: 'submitted',
      submittedAt: '2026-11-22T09:00:00.000Z',
    });
    const sub = await couch.as(rep, 'PUT', path, submitted);
    expect(sub.status).toBe(201);

    const changed = structuredClone(submitted) as Record<string, unknown> & {
      lines: Record<string, { qty: number }>;
    };
    changed._rev = sub.body.rev;
    changed.lines.l1.qty = 5;
    const edit = await couch.as(rep, 'PUT', path, changed);
    expect(edit.status).toBe(403);
    expect(edit.body.reason).toBe('Submitted orders cannot be changed.');
    const back = await couch.as(rep, 'PUT', path, {
      ...submitted,
      _rev: sub.body.rev,
      status: 'draft',
    });
    expect(back.status).toBe(403);
    const bad = await couch.as(
      rep,
      'PUT',
      `/${userDbName(team.rep1)}/order:o2`,
      order('o2', team.rep1, { status: 'sent' }),
    );
    expect(bad.status).toBe(403);
    expect(bad.body.reason).toBe('Unknown order status: sent.');
  });
});
