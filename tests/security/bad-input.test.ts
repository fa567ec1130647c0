/**
 * Bad input on the node side (issue 5, item 5): malformed and hostile documents and form input
 * through the repo and the domain validation (huge strings, wrong types, deep nesting, invalid
 * dates, unknown schema versions), and bodies that are not JSON sent to `/couch` and `/api`.
 * Each gets a clear error (an OutpostError with code, message and field, or a 4xx JSON answer)
 * and loses nothing: the stored doc is unchanged and nothing is half written.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDb } from '$lib/db/pouch';
import { migrate } from '$lib/domain/schema';
import { applyPatch, canonicalJson } from '$lib/domain/stamp';
import { LIMITS, assertValid, nestedDeeperThan, validateDoc } from '$lib/domain/validate';
import { OutpostError } from '$lib/errors';
import { SEED_HLC, accountDoc, noteDoc, putAll, stopDoc, taskDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { rejectionOf, testRepo, type TestRepo } from '../helpers/repo';
import { note, startSecurityServer, type SecurityServer } from './server-harness';

afterEach(destroyMemoryDbs);

const MB = 'x'.repeat(1024 * 1024);

/** A value nested `levels` deep: {a:{a:...1}}. */
function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** Every doc in the db with its revision, to prove a failed write changed nothing. */
async function snapshot(db: LocalDb): Promise<string> {
  const all = await db.allDocs({ include_docs: true });
  return canonicalJson(all.rows.map((r) => r.doc));
}

async function seeded(role: 'rep' | 'supervisor' = 'rep'): Promise<TestRepo> {
  const t = testRepo({ role });
  await putAll(t.db, [
    accountDoc('a1'),
    stopDoc('s1', { accountId: 'account:a1' }),
    taskDoc('t1', { stopId: 'stop:s1' }),
    noteDoc('n1', { stopId: 'stop:s1' }),
  ]);
  return t;
}

/** Expects an `invalid` OutpostError naming `field`, and the db exactly as before. */
async function expectInvalid(t: TestRepo, write: () => Promise<unknown>, field: string) {
  const before = await snapshot(t.db);
  const err = await rejectionOf(write());
  expect(err).toBeInstanceOf(OutpostError);
  expect(err.code).toBe('invalid');
  expect(err.message).toEqual(expect.any(String));
  expect(Object.keys(err.fields as object)).toContain(field);
  expect(await snapshot(t.db)).toBe(before);
  return err;
}

describe('huge strings through the repo', () => {
  it('addNote with a 1 MB text - invalid, fields.text, nothing written', async () => {
    const t = await seeded();
    const err = await expectInvalid(
      t,
      () => t.repo.addNote({ accountId: 'account:a1', text: MB }),
      'text',
    );
    expect(err.message).toBe('Note is too long (at most 10,000 characters).');
  });

  it('editNote with a 1 MB text - invalid, the note keeps its text and revision', async () => {
    const t = await seeded();
    await expectInvalid(t, () => t.repo.editNote('note:n1', MB), 'text');
  });

  it.each([
    ['name', { name: MB }],
    ['phone', { phone: MB }],
    ['info', { info: MB }],
    ['address.street', { address: { street: MB, city: 'Fairview' } }],
    ['contacts.0.name', { contacts: [{ name: MB }] }],
  ])('updateAccount with a 1 MB %s - invalid with that field', async (field, patch) => {
    const t = await seeded();
    await expectInvalid(t, () => t.repo.updateAccount('account:a1', patch), field);
  });

  it('addTask with a 1 MB title - invalid, fields.title', async () => {
    const t = await seeded();
    await expectInvalid(t, () => t.repo.addTask('stop:s1', MB), 'title');
  });
});

describe('wrong types through the repo (form input is untyped at run time)', () => {
  const cases: [string, (t: TestRepo) => Promise<unknown>, string][] = [
    [
      'addNote text 123',
      (t) => t.repo.addNote({ accountId: 'account:a1', text: 123 as never }),
      'text',
    ],
    [
      'addNote text {}',
      (t) => t.repo.addNote({ accountId: 'account:a1', text: {} as never }),
      'text',
    ],
    ['editNote text [..]', (t) => t.repo.editNote('note:n1', ['x'] as never), 'text'],
    ['addTask title 5', (t) => t.repo.addTask('stop:s1', 5 as never), 'title'],
    ['setTaskDone "yes"', (t) => t.repo.setTaskDone('task:t1', 'yes' as never), 'done'],
    [
      'updateAccount name 42',
      (t) => t.repo.updateAccount('account:a1', { name: 42 as never }),
      'name',
    ],
    [
      'updateAccount address "x"',
      (t) => t.repo.updateAccount('account:a1', { address: 'x' as never }),
      'address',
    ],
    [
      'updateAccount contacts {}',
      (t) => t.repo.updateAccount('account:a1', { contacts: {} as never }),
      'contacts',
    ],
    [
      'updateAccount contacts [5]',
      (t) => t.repo.updateAccount('account:a1', { contacts: [5] as never }),
      'contacts.0',
    ],
    [
      'updateAccount geo.lat "x"',
      (t) => t.repo.updateAccount('account:a1', { geo: { lat: 'x' } } as never),
      'geo',
    ],
    [
      'setStopStatus "teleported"',
      (t) => t.repo.setStopStatus('stop:s1', 'teleported' as never),
      'status',
    ],
    ['setStopStatus 5', (t) => t.repo.setStopStatus('stop:s1', 5 as never), 'status'],
    [
      'addNote with an id that is not a note id',
      (t) => t.repo.addNote({ accountId: 'account:a1', text: 'x', id: '_design/x' }),
      '_id',
    ],
  ];
  it.each(cases)(
    '%s - invalid with the field named, nothing written',
    async (_what, write, field) => {
      const t = await seeded();
      await expectInvalid(t, () => write(t), field);
    },
  );

  it('updateAccount cannot change system fields (owner, type, _id): invalid, nothing written', async () => {
    const t = await seeded();
    const err = await rejectionOf(
      t.repo.updateAccount('account:a1', { owner: 'mallory', type: 'stop' } as never),
    );
    expect(err.code).toBe('invalid');
    expect((await t.db.get('account:a1')) as Record<string, unknown>).toMatchObject({
      owner: 'ana',
      type: 'account',
    });
  });
});

describe('deep nesting (10,000 levels in an unknown field)', () => {
  const tenK = deep(10_000);

  it('canonicalJson - no stack overflow, exact output', () => {
    const expected = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    expect(canonicalJson(tenK)).toBe(expected);
    const arrays = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(canonicalJson(arrays)).toBe('['.repeat(100_000) + ']'.repeat(100_000));
  });

  it('canonicalJson - still sorted keys, same as before for ordinary JSON (property)', () => {
    const reference = (v: unknown): string => {
      if (v === undefined) return 'null';
      if (v === null || typeof v !== 'object') return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
    };
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        (value) => canonicalJson(value) === reference(value),
      ),
      { numRuns: 300 },
    );
  });

  it('canonicalJson - a cyclic object is an error, not a hang', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(RangeError);
  });

  it('validateDoc - a clear field message, no stack overflow', () => {
    const doc = { ...noteDoc('n1'), futureField: tenK };
    expect(nestedDeeperThan(tenK, LIMITS.depth)).toBe(true);
    expect(validateDoc(doc)).toEqual({
      futureField: `futureField is nested too deeply (more than ${LIMITS.depth} levels).`,
    });
    let thrown: unknown;
    try {
      assertValid(doc);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OutpostError);
    expect(thrown).toMatchObject({ code: 'invalid', fields: { futureField: expect.any(String) } });
  });

  it('validateDoc - ordinary nesting (a conflict audit holding whole bodies) stays valid', () => {
    expect(validateDoc({ ...noteDoc('n1'), futureField: deep(LIMITS.depth) })).toEqual({});
  });

  it('updateAccount with a 10k-deep extra field - invalid, nothing written', async () => {
    const t = await seeded();
    await expectInvalid(
      t,
      () => t.repo.updateAccount('account:a1', { extra: tenK } as never),
      'extra',
    );
  });

  it('applyPatch on a doc that already holds a 10k-deep field - no overflow, the field kept as is', () => {
    const existing = { ...noteDoc('n1'), futureField: tenK };
    const next = applyPatch(
      existing,
      { text: 'new' },
      { user: 'ana', deviceId: 'd', hlc: SEED_HLC.replace('seed', 'zzzz') },
    );
    expect(next?.text).toBe('new');
    expect(next?.futureField).toBe(tenK);
  });

  it('editNote on a stored note with a 150-level field - invalid in words, the note unchanged', async () => {
    const t = await seeded();
    await putAll(t.db, [noteDoc('deep', { futureField: deep(150) } as never)]);
    await expectInvalid(t, () => t.repo.editNote('note:deep', 'changed'), 'futureField');
  });
});

describe('invalid dates', () => {
  it.each(['2026-02-30', '2026-13-01', '2026-11-22T00:00:00Z', 'tomorrow', '', '22/11/2026'])(
    'rescheduleStop to %j - invalid, fields.date, stop unchanged',
    async (date) => {
      const t = await seeded('supervisor');
      const err = await expectInvalid(t, () => t.repo.rescheduleStop('stop:s1', date), 'date');
      expect(err.message).toBe('Choose a real date (YYYY-MM-DD).');
    },
  );

  it.each([
    ['stop date 2026-02-30', stopDoc('x', { date: '2026-02-30' }), 'date'],
    ['stop window 25:00', stopDoc('x', { window: { start: '25:00', end: '26:00' } }), 'window'],
    ['note createdAt yesterday', noteDoc('x', { createdAt: 'yesterday' }), 'createdAt'],
    [
      'task doneAt 2026-02-30T10:00:00Z',
      taskDoc('x', { doneAt: '2026-02-30T10:00:00Z' } as never),
      'doneAt',
    ],
  ])('validateDoc: %s - named field', (_what, doc, field) => {
    expect(Object.keys(validateDoc(doc))).toContain(field);
  });

  it('a stored stop with an impossible date (typed in Fauxton) - an edit fails in words and keeps it', async () => {
    const t = await seeded();
    await putAll(t.db, [stopDoc('bad', { date: '2026-02-30', accountId: 'account:a1' })]);
    await expectInvalid(t, () => t.repo.setStopStatus('stop:bad', 'en_route'), 'date');
  });
});

describe('unknown schema versions', () => {
  const FUTURE = { schema: 7, futureField: { nested: ['a', { b: true }] }, rating: 4.5 };

  it('editNote on a schema-7 note - only text changes; schema 7 and unknown fields untouched', async () => {
    const t = await seeded();
    await putAll(t.db, [noteDoc('future', FUTURE as never)]);
    const before = (await t.db.get('note:future')) as Record<string, unknown>;
    await t.repo.editNote('note:future', 'rewritten');
    const after = (await t.db.get('note:future')) as Record<string, unknown>;
    const strip = (d: Record<string, unknown>) => {
      const {
        _rev: _r,
        text: _t,
        updatedAt: _u,
        updatedBy: _b,
        deviceId: _d,
        fieldClock: _f,
        ...rest
      } = d;
      return rest;
    };
    expect(after.text).toBe('rewritten');
    expect(strip(after)).toEqual(strip(before));
    expect(after.schema).toBe(7);
  });

  it('migrate never lowers a huge schema number', () => {
    const doc = { ...noteDoc('n'), schema: Number.MAX_SAFE_INTEGER };
    expect(migrate('note', doc)).toBe(doc);
  });

  it.each([
    ['schema "1"', { schema: '1' }],
    ['schema 0', { schema: 0 }],
    ['schema 2.5', { schema: 2.5 }],
    ['schema -3', { schema: -3 }],
  ])('validateDoc: %s - fields.schema', (_what, over) => {
    expect(validateDoc({ ...noteDoc('n'), ...over })).toHaveProperty('schema');
  });
});

describe('bodies that are not JSON, to /couch and /api', () => {
  let s: SecurityServer;
  let rev: string;
  beforeAll(async () => {
    s = await startSecurityServer();
    const put = await s.couch('PUT', `/${s.rep1.db}/note:keep`, {
      auth: s.rep1.auth,
      body: note('keep', 'ana'),
    });
    expect(put.status).toBe(201);
    rev = put.body.rev;
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  const cases: [string, string, string, string | Buffer, string | undefined, number, unknown?][] = [
    [
      'PUT',
      '/note:keep',
      'a text body',
      'hello',
      'text/plain',
      400,
      { error: 'bad_request', reason: 'invalid UTF-8 JSON' },
    ],
    [
      'PUT',
      '/note:keep',
      'truncated JSON',
      '{"_rev": "1-x", "text": ',
      'application/json',
      400,
      { error: 'bad_request', reason: 'invalid UTF-8 JSON' },
    ],
    [
      'PUT',
      '/note:keep',
      'binary garbage',
      Buffer.from([0x00, 0xff, 0x13, 0x37]),
      'application/octet-stream',
      400,
      { error: 'bad_request', reason: 'invalid UTF-8 JSON' },
    ],
    [
      'POST',
      '',
      'a form post (a cross-site HTML form)',
      'type=note&owner=ana',
      'application/x-www-form-urlencoded',
      415,
      { error: 'bad_content_type', reason: 'Content-Type must be application/json' },
    ],
    [
      'POST',
      '/_bulk_docs',
      'text/plain JSON',
      JSON.stringify({ docs: [note('sneaky', 'ana')] }),
      'text/plain',
      415,
      { error: 'bad_content_type', reason: 'Content-Type must be application/json' },
    ],
    ['POST', '/_bulk_docs', 'XML', '<docs><doc/></docs>', 'application/xml', 415],
    [
      'POST',
      '/_bulk_get',
      'truncated JSON',
      '{"docs": [',
      'application/json',
      400,
      { error: 'bad_request', reason: 'invalid UTF-8 JSON' },
    ],
  ];

  it.each(cases)(
    '%s /couch/userdb-ana%s with %s - a 4xx in JSON, the stored note unchanged',
    async (method, path, _what, body, type, status, expected) => {
      const r = await s.couch(method, `/${s.rep1.db}${path}`, { auth: s.rep1.auth, body, type });
      expect(r.status).toBe(status);
      if (expected) expect(r.body).toEqual(expected);
      else expect(r.body.error).toEqual(expect.any(String));
      const kept = await s.asAdmin('GET', `/${s.rep1.db}/note:keep`);
      expect(kept.body).toMatchObject({ _rev: rev, text: 'hello' });
      expect((await s.asAdmin('GET', `/${s.rep1.db}/note:sneaky`)).status).toBe(404);
      await s.expectAlive();
    },
  );

  it('PUT /couch/userdb-ana/note:plain with a JSON doc sent as text/plain - read as JSON, as CouchDB does', async () => {
    const r = await s.couch('PUT', `/${s.rep1.db}/note:plain`, {
      auth: s.rep1.auth,
      body: JSON.stringify(note('plain', 'ana')),
      type: 'text/plain',
    });
    expect(r.status).toBe(201);
  });

  it.each([
    ['text', 'hello', 'text/plain', 400, 'invalid'],
    ['truncated JSON', '{"name": "ana", "password": ', 'application/json', 400, 'bad_request'],
    [
      'binary garbage',
      Buffer.from([0x00, 0xff, 0x13, 0x37]),
      'application/json',
      400,
      'bad_request',
    ],
    ['XML', '<enrol/>', 'application/xml', 400, 'invalid'],
  ] as const)(
    'POST /api/enrol with %s - %i %s in JSON',
    async (_what, body, type, status, error) => {
      const r = await s.app('POST', '/api/enrol', { body, type });
      expect(r.status).toBe(status);
      expect(r.body.error).toBe(error);
      await s.expectAlive();
    },
  );

  it('POST /api/health and PUT /api/nothing - unknown API calls get 404 JSON', async () => {
    for (const [method, path] of [
      ['POST', '/api/health'],
      ['PUT', '/api/nothing'],
    ]) {
      const r = await s.app(method, path, { body: 'x', type: 'text/plain' });
      expect(r.status).toBe(404);
      expect(r.body.error).toBe('not_found');
    }
  });
});
