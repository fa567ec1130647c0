/**
 * Requests known to crash, stall or confuse express-pouchdb (DESIGN.md section 10), sent through
 * the app's `/couch` front and straight at the embedded server. After every one the app must
 * still answer `/api/health` and `/couch/`, with no unhandled rejection or uncaught exception:
 * one bad request must never take the app down. Where CouchDB 3.4's answer is known
 * (../shared/couchdb-reference/transcript.json, CouchDB's own messages) it is asserted exactly;
 * the rest must be a clear 4xx.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import {
  fakeBuild,
  note,
  rawRequest,
  socketRequest,
  startSecurityServer,
  type Answer,
  type RequestOptions,
  type SecurityServer,
} from './server-harness';

let s: SecurityServer;
let secret: string;
let staticRoot: string;
const ANA_DB = userDbName('ana');

beforeAll(async () => {
  // A real (tiny) build beside a secret file, to attack the static server too.
  staticRoot = mkdtempSync(join(tmpdir(), 'outpost-static-'));
  const built = fakeBuild(staticRoot);
  secret = built.secret;
  s = await startSecurityServer({ buildDir: built.buildDir });
  expect((await s.asAdmin('PUT', `/${ANA_DB}/note:a`, note('a', 'ana'))).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await s?.close();
  if (staticRoot) rmSync(staticRoot, { recursive: true, force: true });
});

type Case = [
  name: string,
  method: string,
  path: string,
  opts: RequestOptions & { who?: 'ana' | 'anonymous' | 'admin' },
  expected: { status: number; body?: unknown },
];

const INVALID_JSON = { error: 'bad_request', reason: 'invalid UTF-8 JSON' };
const NOT_AN_OBJECT = { error: 'bad_request', reason: 'Document must be a JSON object' };
const BAD_REV = { error: 'bad_request', reason: 'Invalid rev format' };
const BAD_SINCE = {
  error: 'bad_request',
  reason: "Malformed sequence supplied in 'since' parameter.",
};
const illegalDbName = (name: string) => ({
  error: 'illegal_database_name',
  reason: `Name: '${name}'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.`,
});

const CASES: Case[] = [
  // Known crashers of express-pouchdb.
  [
    'anonymous PUT of a new db once an admin exists',
    'PUT',
    '/newdb',
    { who: 'anonymous' },
    { status: 401, body: { error: 'unauthorized', reason: 'You are not a server admin.' } },
  ],
  [
    '_changes with filter=_selector (GET: CouchDB takes the selector from a POST body only)',
    'GET',
    `/${ANA_DB}/_changes?filter=_selector`,
    {},
    {
      status: 400,
      body: { error: 'bad_request', reason: 'Selector must be specified in POST payload' },
    },
  ],
  [
    '_changes with filter=_selector (POST without a selector, fanout.json)',
    'POST',
    `/${ANA_DB}/_changes?filter=_selector`,
    { body: {} },
    {
      status: 400,
      body: { error: 'bad_request', reason: 'Selector error: expected a JSON object' },
    },
  ],
  [
    '_changes with filter=_selector (POST with an unknown operator)',
    'POST',
    `/${ANA_DB}/_changes?filter=_selector`,
    { body: { selector: { type: { $bogus: 1 } } } },
    { status: 400, body: { error: 'bad_request', reason: 'Invalid operator: $bogus' } },
  ],
  [
    "_changes with filter=_selector (POST, a member's $regex)",
    'POST',
    `/${ANA_DB}/_changes?filter=_selector`,
    { body: { selector: { type: { $regex: '^(a+)+$' } } } },
    { status: 400 },
  ],
  [
    '_changes with filter=_view without view= (fanout.json)',
    'GET',
    `/${ANA_DB}/_changes?filter=_view`,
    {},
    {
      status: 400,
      body: { error: 'bad_request', reason: '`view` filter parameter is not provided.' },
    },
  ],
  [
    '_changes naming a missing filter ddoc',
    'GET',
    `/${ANA_DB}/_changes?filter=nope/nope`,
    {},
    { status: 404, body: { error: 'not_found', reason: 'missing filter nope/nope' } },
  ],
  [
    '_changes naming a missing filter in the outpost ddoc',
    'GET',
    `/${ANA_DB}/_changes?filter=outpost/nope`,
    {},
    { status: 404 },
  ],
  [
    '_changes with filter=_view of a missing view',
    'GET',
    `/${ANA_DB}/_changes?filter=_view&view=nope/nope`,
    {},
    { status: 404 },
  ],
  [
    '_changes with filter=_design',
    'GET',
    `/${ANA_DB}/_changes?filter=_design`,
    {},
    { status: 400 },
  ],
  [
    '_changes with an unknown builtin filter',
    'GET',
    `/${ANA_DB}/_changes?filter=_bogus`,
    {},
    { status: 400, body: { error: 'bad_request', reason: 'unknown builtin filter name' } },
  ],
  [
    '_list with a missing list function',
    'GET',
    `/${ANA_DB}/_design/outpost/_list/nope/stops_by_day`,
    {},
    { status: 404 },
  ],
  [
    '_list on a missing design doc (admin)',
    'GET',
    `/${ANA_DB}/_design/nope/_list/a/b`,
    { who: 'admin' },
    { status: 404 },
  ],
  [
    '_temp_view (gone in CouchDB 3)',
    'POST',
    `/${ANA_DB}/_temp_view`,
    { who: 'admin', body: { map: 'function () { while (true) {} }' } },
    {
      status: 410,
      body: { error: 'gone', reason: 'Temporary views are not supported in CouchDB' },
    },
  ],
  // Malformed JSON bodies.
  [
    'a malformed JSON doc (the transcript call)',
    'PUT',
    `/${ANA_DB}/note:9`,
    { body: '{"type": "note", ' },
    { status: 400, body: INVALID_JSON },
  ],
  [
    'malformed JSON to _bulk_docs',
    'POST',
    `/${ANA_DB}/_bulk_docs`,
    { body: '{"docs": [' },
    { status: 400, body: INVALID_JSON },
  ],
  [
    'malformed JSON to _bulk_get',
    'POST',
    `/${ANA_DB}/_bulk_get`,
    { body: '{"docs"' },
    { status: 400, body: INVALID_JSON },
  ],
  [
    'malformed JSON to _changes',
    'POST',
    `/${ANA_DB}/_changes`,
    { body: '{' },
    { status: 400, body: INVALID_JSON },
  ],
  [
    'malformed JSON to _session (anonymous)',
    'POST',
    '/_session',
    { who: 'anonymous', body: '{"name":' },
    { status: 400, body: INVALID_JSON },
  ],
  [
    'invalid UTF-8 inside a JSON doc',
    'PUT',
    `/${ANA_DB}/note:utf8`,
    { body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]) },
    { status: 400, body: INVALID_JSON },
  ],
  [
    'a JSON array as a doc',
    'PUT',
    `/${ANA_DB}/note:arr`,
    { body: '[1,2]' },
    { status: 400, body: NOT_AN_OBJECT },
  ],
  [
    'a JSON string as a doc',
    'PUT',
    `/${ANA_DB}/note:str`,
    { body: '"x"' },
    { status: 400, body: NOT_AN_OBJECT },
  ],
  [
    'JSON null as a doc',
    'POST',
    `/${ANA_DB}`,
    { body: 'null' },
    { status: 400, body: NOT_AN_OBJECT },
  ],
  [
    '_bulk_docs without docs',
    'POST',
    `/${ANA_DB}/_bulk_docs`,
    { body: {} },
    {
      status: 400,
      body: { error: 'bad_request', reason: 'POST body must include `docs` parameter.' },
    },
  ],
  [
    '_bulk_docs with docs not a list',
    'POST',
    `/${ANA_DB}/_bulk_docs`,
    { body: { docs: 5 } },
    { status: 400, body: { error: 'bad_request', reason: '`docs` parameter must be an array.' } },
  ],
  [
    '_bulk_docs with null and number docs',
    'POST',
    `/${ANA_DB}/_bulk_docs`,
    { body: { docs: [null, 5] } },
    { status: 400, body: NOT_AN_OBJECT },
  ],
  [
    '_bulk_get with docs not a list',
    'POST',
    `/${ANA_DB}/_bulk_get`,
    { body: { docs: 5 } },
    { status: 400 },
  ],
  [
    '_bulk_get with entries without id',
    'POST',
    `/${ANA_DB}/_bulk_get`,
    { body: { docs: [null, { id: 5 }] } },
    { status: 400 },
  ],
  [
    '_changes doc_ids not a list',
    'POST',
    `/${ANA_DB}/_changes?filter=_doc_ids`,
    { body: { doc_ids: 5 } },
    { status: 400 },
  ],
  [
    'a doc id that is a number (POST /db)',
    'POST',
    `/${ANA_DB}`,
    { body: { ...note('x', 'ana'), _id: 5 } },
    { status: 400, body: { error: 'illegal_docid', reason: 'Document id must be a string' } },
  ],
  [
    'a doc id that is an object in _bulk_docs',
    'POST',
    `/${ANA_DB}/_bulk_docs`,
    { body: { docs: [{ ...note('x', 'ana'), _id: { $gt: '' } }] } },
    { status: 400, body: { error: 'illegal_docid', reason: 'Document id must be a string' } },
  ],
  [
    'a doc id starting with underscore (the transcript call)',
    'PUT',
    `/${ANA_DB}/_weird`,
    { body: { type: 'note', owner: 'ana' } },
    {
      status: 400,
      body: {
        error: 'illegal_docid',
        reason: 'Only reserved document ids may start with underscore.',
      },
    },
  ],
  // Query strings.
  [
    'since=garbage',
    'GET',
    `/${ANA_DB}/_changes?since=garbage`,
    {},
    { status: 400, body: BAD_SINCE },
  ],
  ['since=-1', 'GET', `/${ANA_DB}/_changes?since=-1`, {}, { status: 400, body: BAD_SINCE }],
  [
    'since as a JSON object',
    'GET',
    `/${ANA_DB}/_changes?since=%7B%22a%22%3A1%7D`,
    {},
    { status: 400, body: BAD_SINCE },
  ],
  [
    'since with invalid UTF-8',
    'GET',
    `/${ANA_DB}/_changes?since=%FF%FE`,
    {},
    { status: 400, body: BAD_SINCE },
  ],
  [
    'open_revs=garbage',
    'GET',
    `/${ANA_DB}/note:a?open_revs=garbage`,
    {},
    { status: 400, body: INVALID_JSON },
  ],
  ['open_revs={}', 'GET', `/${ANA_DB}/note:a?open_revs=%7B%7D`, {}, { status: 400, body: BAD_REV }],
  [
    'open_revs=[5]',
    'GET',
    `/${ANA_DB}/note:a?open_revs=%5B5%5D`,
    {},
    { status: 400, body: BAD_REV },
  ],
  ['rev=garbage', 'GET', `/${ANA_DB}/note:a?rev=garbage`, {}, { status: 400, body: BAD_REV }],
  [
    'doc_ids that are not JSON',
    'GET',
    `/${ANA_DB}/_changes?filter=_doc_ids&doc_ids=nope`,
    {},
    { status: 400 },
  ],
  // Paths.
  ['invalid UTF-8 in the path', 'GET', `/${ANA_DB}/note%C3%28`, {}, { status: 400 }],
  ['a broken % escape in the db name', 'GET', '/%E0%A4%A', { who: 'anonymous' }, { status: 400 }],
  ['.. segments (raw)', 'GET', '/../../etc/passwd', {}, { status: 400, body: illegalDbName('..') }],
  [
    '%2e%2e segments',
    'GET',
    '/%2e%2e/%2e%2e/etc/passwd',
    {},
    { status: 400, body: illegalDbName('..') },
  ],
  [
    'an encoded ../ db name (admin)',
    'PUT',
    '/..%2F..%2Fescaped',
    { who: 'admin' },
    { status: 400, body: illegalDbName('../../escaped') },
  ],
  [
    'an encoded ../ db name deleted (admin)',
    'DELETE',
    '/..%2F..%2Fescaped',
    { who: 'admin' },
    { status: 400, body: illegalDbName('../../escaped') },
  ],
  [
    'an upper-case db name (admin)',
    'PUT',
    '/BadName',
    { who: 'admin' },
    { status: 400, body: illegalDbName('BadName') },
  ],
  [
    '%00 in a db name (admin)',
    'PUT',
    '/db%00x',
    { who: 'admin' },
    { status: 400, body: illegalDbName('db\u0000x') },
  ],
  ['an encoded ../ doc id', 'GET', `/${ANA_DB}/..%2F..%2F..%2Fetc%2Fpasswd`, {}, { status: 404 }],
  [
    "Fauxton's folder climbed with ..",
    'GET',
    '/_utils/../../../../etc/passwd',
    { who: 'anonymous' },
    { status: 404 },
  ],
  // Resource exhaustion.
  [
    'JSON nested 10,000 levels deep',
    'PUT',
    `/${ANA_DB}/note:deep`,
    {
      body:
        JSON.stringify(note('deep', 'ana')).slice(0, -1) +
        ',"x":' +
        '{"a":'.repeat(10_000) +
        '1' +
        '}'.repeat(10_000) +
        '}',
    },
    { status: 400 },
  ],
  [
    'a $regex that backtracks for hours in _find',
    'POST',
    `/${ANA_DB}/_find`,
    { body: { selector: { text: { $regex: '^(a+)+$' } } } },
    { status: 400 },
  ],
];

function auth(who: Case[3]['who']): string | null {
  if (who === 'anonymous') return null;
  if (who === 'admin') return s.admin.auth;
  return s.rep1.auth;
}

describe('requests that crash or stall express-pouchdb, through the /couch front', () => {
  it.each(CASES)('%s: %s /couch%s', async (_name, method, path, opts, expected) => {
    const r = await s.couch(method, path, { ...opts, auth: auth(opts.who) });
    if (expected.body) expect({ status: r.status, body: r.body }).toEqual(expected);
    else {
      expect(r.status).toBe(expected.status);
      expect(r.body.error, r.text).toEqual(expect.any(String));
    }
    await s.expectAlive();
  });

  it('POST /couch/userdb-ana/_changes?filter=_selector - a member runs a selector on her db (200)', async () => {
    const r = await s.couch('POST', `/${ANA_DB}/_changes?filter=_selector&include_docs=true`, {
      auth: s.rep1.auth,
      body: { selector: { type: 'note', owner: 'ana' } },
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((row: { id: string }) => row.id)).toContain('note:a');
    await s.expectAlive();
  });

  it("GET /couch/ - CouchDB's welcome document, anonymously", async () => {
    const r = await s.couch('GET', '/', { auth: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      couchdb: 'Welcome',
      version: expect.stringMatching(/^3\./),
      vendor: { name: expect.any(String) },
    });
  });

  it('no folder was made outside the data folder, and the ana db still holds note:a', async () => {
    expect(existsSync(join(s.dataDir, '..', 'escaped'))).toBe(false);
    expect(existsSync(join(s.dataDir, 'escaped'))).toBe(false);
    expect((await s.asAdmin('GET', `/${ANA_DB}/note:a`)).body.text).toBe('hello');
  });
});

describe('the same requests straight at the embedded server', () => {
  it.each(CASES.filter(([name]) => !name.includes('Fauxton')))(
    '%s: %s %s',
    async (_name, method, path, opts, expected) => {
      const r = await s.direct(method, path, { ...opts, auth: auth(opts.who) });
      if (expected.body) expect({ status: r.status, body: r.body }).toEqual(expected);
      else expect(r.status).toBe(expected.status);
      await s.expectAlive();
    },
  );
});

describe('ids with %00', () => {
  it('PUT /couch/userdb-ana/note:a%00b - stored under its own id, note:a untouched', async () => {
    const put = await s.couch('PUT', `/${ANA_DB}/note:a%00b`, {
      auth: s.rep1.auth,
      body: note('a\u0000b', 'ana', { text: 'with a nul' }),
    });
    expect(put.status).toBe(201);
    const got = await s.couch('GET', `/${ANA_DB}/note:a%00b`, { auth: s.rep1.auth });
    expect(got.body).toMatchObject({ _id: 'note:a\u0000b', text: 'with a nul' });
    const a = await s.couch('GET', `/${ANA_DB}/note:a`, { auth: s.rep1.auth });
    expect(a.body.text).toBe('hello');
    await s.expectAlive();
  });
});

describe('oversized requests', () => {
  it('POST /couch/_session - anonymous, declaring 700 MB: 413 before reading it', async () => {
    // Reading it whole was an uncaught RangeError (string too long) that killed the process.
    for (const base of [s.url + '/couch', s.couchUrl]) {
      const path = base.endsWith('/couch') ? '/couch/_session' : '/_session';
      const status = await socketRequest(
        base,
        `POST ${path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: ${700 * 1024 * 1024}\n`,
        '{"name":"',
      );
      expect(status).toMatch(/^HTTP\/1\.1 413 /);
    }
    await s.expectAlive();
  });

  it('POST /couch/_session - anonymous, 2 MB sent chunked (no length): 413', async () => {
    const r = await s.couch('POST', '/_session', {
      body: `{"name":"${'a'.repeat(2 * 1024 * 1024)}"}`,
      chunked: true,
    });
    expect(r.status).toBe(413);
    await s.expectAlive();
  });

  it('POST /couch/userdb-ana/_bulk_docs - 70 MB sent chunked by a member: 413 too_large', async () => {
    const docs = Array.from({ length: 70 }, (_, i) =>
      note(`chunk${i}`, 'ana', { text: 'z'.repeat(1024 * 1024) }),
    );
    const r = await s.couch('POST', `/${ANA_DB}/_bulk_docs`, {
      auth: s.rep1.auth,
      body: { docs },
      chunked: true,
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 413,
      body: { error: 'too_large', reason: 'the request entity is too large' },
    });
    expect((await s.asAdmin('GET', `/${ANA_DB}/note:chunk0`)).status).toBe(404);
    await s.expectAlive();
  });

  it('GET /couch/userdb-ana/_all_docs with a 100 KB query string - refused by node (431), app alive', async () => {
    for (const base of [s.url + '/couch', s.couchUrl]) {
      const path = `${base.endsWith('/couch') ? '/couch' : ''}/${ANA_DB}/_all_docs?x=${'a'.repeat(100_000)}`;
      // Node answers 431 and closes; a client still writing may see the reset instead.
      const status = await socketRequest(base, `GET ${path} HTTP/1.1\nHost: x\n`, '');
      expect([null, 'HTTP/1.1 431 Request Header Fields Too Large']).toContain(status);
    }
    await s.expectAlive();
  });

  it('POST /couch/userdb-ana/_find with $regex - refused at once, the server never stalls', async () => {
    const started = Date.now();
    const long = await s.couch('PUT', `/${ANA_DB}/note:aaaa`, {
      auth: s.rep1.auth,
      body: note('aaaa', 'ana', { text: `${'a'.repeat(40)}!` }),
    });
    expect(long.status).toBe(201);
    const r = await s.couch('POST', `/${ANA_DB}/_find`, {
      auth: s.rep1.auth,
      body: { selector: { $or: [{ text: { $regex: '^(a+)+$' } }] } },
    });
    expect(r.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(5000);
    await s.expectAlive();
  });
});

describe('the static app server', () => {
  const attempts = [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/_app/../../secret.txt',
    '/_app/..%2f..%2fsecret.txt',
    '/_app/immutable/%2e%2e/%2e%2e/%2e%2e/secret.txt',
    '/api/../secret.txt',
    '/couch/../secret.txt',
  ];

  it.each(attempts)('GET %s - never the file outside build/', async (path) => {
    const r: Answer = await rawRequest(s.url, 'GET', path);
    expect(r.text).not.toContain(secret);
    expect(r.status).toBeLessThan(500);
    await s.expectAlive();
  });

  it('GET /_app/immutable/app.js and GET /some/page - the build itself is served', async () => {
    expect((await s.app('GET', '/_app/immutable/app.js')).text).toContain('console.log');
    expect((await s.app('GET', '/some/page')).text).toContain('<title>Outpost</title>');
  });

  it('GET / with no build folder - a 404 in JSON that names no server path', async () => {
    const bare = await startSecurityServer();
    try {
      const r = await bare.app('GET', '/');
      expect({ status: r.status, body: r.body }).toEqual({
        status: 404,
        body: { error: 'not_found', reason: 'Not found.' },
      });
      expect(r.text).not.toContain(bare.dataDir);
      await bare.expectAlive();
    } finally {
      await bare.close();
    }
  });
});
