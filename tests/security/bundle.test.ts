/**
 * The client bundle never carries server secrets or server-only code (DESIGN.md sections 1 and
 * 8: admin credentials exist only in the server process environment). bundle-build.ts runs
 * `vite build` with the server's secrets in its environment; every file of the result is
 * searched for those values and for the names of server-only modules and settings.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

/** Every file below `dir`, with its content as latin1 (byte-exact for any file type). */
function readTree(dir: string): { path: string; content: string }[] {
  const files: { path: string; content: string }[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 20) throw new Error(`${d}: nested too deeply`);
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path, depth + 1);
      else files.push({ path, content: readFileSync(path).toString('latin1') });
    }
  };
  walk(dir, 0);
  return files;
}

/** The files (relative to `dir`) where `pattern` occurs. */
function findIn(files: { path: string; content: string }[], dir: string, pattern: string | RegExp) {
  return files
    .filter((f) =>
      typeof pattern === 'string' ? f.content.includes(pattern) : pattern.test(f.content),
    )
    .map((f) => relative(dir, f.path));
}

const bundle = inject('securityBundle');

describe('vite build -> the client bundle in build/', () => {
  if ('error' in bundle) {
    it('vite build - builds the app to scan', () => {
      throw new Error(bundle.error);
    });
    return;
  }
  const files = readTree(bundle.dir);
  const { secrets } = bundle;
  const couch = new URL(secrets.COUCHDB_URL);

  it('vite build - produced the shell and its scripts (the scan is not vacuous)', () => {
    const names = files.map((f) => relative(bundle.dir, f.path));
    expect(names).toContain('index.html');
    expect(names.filter((n) => n.endsWith('.js')).length).toBeGreaterThan(3);
  });

  const values: [string, string][] = [
    ['the OUTPOST_ADMIN_PASSWORD value', secrets.OUTPOST_ADMIN_PASSWORD],
    ['the OUTPOST_ADMIN_NAME value', secrets.OUTPOST_ADMIN_NAME],
    ['the COUCHDB_URL value', secrets.COUCHDB_URL],
    ["COUCHDB_URL's admin name", decodeURIComponent(couch.username)],
    ["COUCHDB_URL's admin password", decodeURIComponent(couch.password)],
    ["COUCHDB_URL's host", couch.hostname],
    ['the OUTPOST_DEMO_PASSWORD value', secrets.OUTPOST_DEMO_PASSWORD],
    ['the OUTPOST_METRICS_TOKEN value', secrets.OUTPOST_METRICS_TOKEN],
  ];
  it.each(values)('build/** holds no %s', (_what, value) => {
    expect(findIn(files, bundle.dir, value)).toEqual([]);
  });

  const names: [string, string | RegExp][] = [
    ['OUTPOST_ADMIN_PASSWORD', 'OUTPOST_ADMIN_PASSWORD'],
    ['OUTPOST_ADMIN_NAME', 'OUTPOST_ADMIN_NAME'],
    ['COUCHDB_URL', 'COUCHDB_'],
    ["the generated password's file name admin-password", 'admin-password'],
    ['process.env', /process\.env/],
    ['express-pouchdb', 'express-pouchdb'],
    ['pouchdb-server', 'pouchdb-server'],
    ['nano (the admin client)', /\bnano\b/],
    ['src/lib/server', /lib\/server/],
    [
      'server-only functions (startOutpost, createProvisioner, startEmbeddedCouch, readConfig)',
      /startOutpost|createProvisioner|startEmbeddedCouch|readConfig/,
    ],
    ['admin plumbing (couchAdmin, adminAuthorization)', /couchAdmin|adminAuthorization/],
    ['node built-ins (node:fs, child_process, leveldown)', /node:fs|child_process|leveldown/],
    [
      'the metrics and log libraries (prom-client, pino)',
      /prom-client|pino-std-serializers|OUTPOST_METRICS_TOKEN/,
    ],
  ];
  it.each(names)('build/** holds no %s', (_what, pattern) => {
    expect(findIn(files, bundle.dir, pattern)).toEqual([]);
  });

  it('the scan finds a secret when one is there (it can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-scan-check-'));
    try {
      writeFileSync(join(dir, 'leak.js'), `const pw = "${secrets.OUTPOST_ADMIN_PASSWORD}";`);
      const planted = readTree(dir);
      expect(findIn(planted, dir, secrets.OUTPOST_ADMIN_PASSWORD)).toEqual(['leak.js']);
      expect(findIn(planted, dir, 'OUTPOST_ADMIN_PASSWORD')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
