import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createDbLru, maxDbsOpenFor, openFilesLimit } from '../../src/lib/server/embedded/db-lru';

/** A cached db that records its close. */
function fakeDb(name: string, closed: string[]) {
  return { close: async () => void closed.push(name) };
}

/** A request on `url` and its response, which `end()` closes. */
function request(url: string) {
  const res = new EventEmitter();
  return {
    req: { url } as IncomingMessage,
    res: res as unknown as ServerResponse,
    end: () => res.emit('close'),
  };
}

describe("the embedded server's open-db limit (CouchDB's max_dbs_open)", () => {
  it('closes the least recently used dbs beyond the limit, never the one just opened', async () => {
    const closed: string[] = [];
    const lru = createDbLru({ max: 3 });
    for (const name of ['a', 'b', 'c']) lru.map.set(name, fakeDb(name, closed));
    lru.map.get('a'); // a is used again: b is now the least recently used
    lru.map.set('d', fakeDb('d', closed));
    await lru.map.afterOpen('d');
    expect(closed).toEqual(['b']);
    expect(['a', 'b', 'c', 'd'].map((n) => lru.map.has(n))).toEqual([true, false, true, true]);
    expect(lru.size()).toBe(3);
  });

  it("keeps a db open while a request uses it, and the server's own dbs for good", async () => {
    const closed: string[] = [];
    const lru = createDbLru({ max: 2 });
    for (const name of ['_users', 'pouch__all_dbs__', 'userdb-61', 'userdb-62']) {
      lru.map.set(name, fakeDb(name, closed));
    }
    const longpoll = request('/userdb-61/_changes?feed=longpoll');
    lru.observe(longpoll.req, longpoll.res);
    lru.map.set('userdb-63', fakeDb('userdb-63', closed));
    await lru.map.afterOpen('userdb-63');
    expect(closed).toEqual(['userdb-62']); // 61 is in use; 63 was just opened
    expect(lru.size()).toBe(4); // over the limit while nothing else may go
    longpoll.end();
    lru.map.set('userdb-64', fakeDb('userdb-64', closed));
    await lru.map.afterOpen('userdb-64');
    expect(closed).toEqual(['userdb-62', 'userdb-61', 'userdb-63']);
    expect(lru.map.has('_users') && lru.map.has('pouch__all_dbs__')).toBe(true);
  });

  it('counts requests per db (encoded names too) until each response closes', async () => {
    const closed: string[] = [];
    const lru = createDbLru({ max: 1 });
    lru.map.set('team/north', fakeDb('team/north', closed));
    const first = request('/team%2Fnorth/_all_docs');
    const second = request('/team%2Fnorth/doc-1');
    lru.observe(first.req, first.res);
    lru.observe(second.req, second.res);
    first.end();
    lru.map.set('other', fakeDb('other', closed));
    await lru.map.afterOpen('other');
    expect(closed).toEqual([]);
    second.end();
    lru.map.set('third', fakeDb('third', closed));
    await lru.map.afterOpen('third');
    expect(closed).toEqual(['team/north', 'other']);
  });

  it('derives the limit from the open-files limit, between 50 and 5,000', () => {
    const limits = join(tmpdir(), `outpost-limits-${process.pid}`);
    writeFileSync(
      limits,
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
        'Max open files            1024                 524288               files     \n',
    );
    expect(openFilesLimit(limits)).toBe(1024);
    expect(openFilesLimit('/no/such/file')).toBe(1024);
    expect(maxDbsOpenFor(1024)).toBe(102);
    expect(maxDbsOpenFor(20_000)).toBe(3897);
    expect(maxDbsOpenFor(100)).toBe(50);
    expect(maxDbsOpenFor(1_000_000)).toBe(5000);
  });
});
