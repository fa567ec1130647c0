import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, requestIdOf, requestLog } from '../../src/lib/server/log';

/** A logger whose JSON lines land in `lines`. */
function captured() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'info' }) };
}

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function serve(app: express.Express): Promise<string> {
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('server log: JSON lines with a request id, never a credential or a body', () => {
  it('logs one line per request: id, method, path without query, status, time', async () => {
    const { lines, logger } = captured();
    const app = express();
    app.use(requestLog(logger));
    app.post('/couch/:db/_bulk_docs', express.json(), (req, res) => {
      logger.info(
        { reqId: requestIdOf(res), docs: (req.body as { docs: unknown[] }).docs.length },
        'handled',
      );
      res.status(201).json({ ok: true });
    });
    app.get('/nope', (_req, res) => void res.status(404).json({ error: 'not_found' }));
    const url = await serve(app);
    const secret = 'device-secret-1234567890';
    const res = await fetch(`${url}/couch/userdb-616e61/_bulk_docs?token=${secret}`, {
      method: 'POST',
      headers: {
        authorization: 'Basic ' + Buffer.from(`ana~dev-1:${secret}`).toString('base64'),
        cookie: `AuthSession=${secret}`,
        'content-type': 'application/json',
        'x-request-id': 'scrape-42',
      },
      body: JSON.stringify({ docs: [{ _id: 'note:1', text: 'private words', password: secret }] }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('scrape-42');
    expect(
      (await fetch(`${url}/nope`, { headers: { 'x-request-id': 'bad id {"level":60}' } })).status,
    ).toBe(404);
    await until(() => lines.length >= 3);
    const [handled, request, refused] = lines;
    expect(handled).toMatchObject({ msg: 'handled', reqId: 'scrape-42', docs: 1, app: 'outpost' });
    expect(request).toMatchObject({
      msg: 'request',
      reqId: 'scrape-42',
      method: 'POST',
      path: '/couch/userdb-616e61/_bulk_docs',
      status: 201,
    });
    expect(typeof request.ms).toBe('number');
    expect(typeof request.time).toBe('string');
    // A request id that could forge a log line is replaced by one made here.
    expect(refused).toMatchObject({ msg: 'request refused', status: 404, path: '/nope' });
    expect(refused.reqId).toMatch(/^[\w-]{11}$/);
    const all = JSON.stringify(lines);
    for (const leak of [secret, 'private words', 'Basic ', 'AuthSession']) {
      expect(all).not.toContain(leak);
    }
  });

  it('drops secret-looking fields logged by mistake', async () => {
    const { lines, logger } = captured();
    logger.warn(
      { user: 'ana', password: 'pw', headers: { authorization: 'x' }, body: { text: 't' } },
      'oops',
    );
    await until(() => lines.length >= 1);
    expect(lines[0]).toMatchObject({ user: 'ana', msg: 'oops' });
    expect(lines[0]).not.toHaveProperty('password');
    expect(lines[0]).not.toHaveProperty('headers');
    expect(lines[0]).not.toHaveProperty('body');
  });
});
