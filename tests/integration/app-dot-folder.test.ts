import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/lib/server/app';

/**
 * A clone under a folder whose name starts with a dot (~/.cache/..., a tool's .worktrees/):
 * express's send refused the shell's absolute path (dotfiles 'ignore' looks at every segment),
 * so `/` and every deep link answered 404 while `/manifest.webmanifest` answered 200.
 */
describe('the app served from a build folder under a dot-folder', () => {
  const SHELL = '<!doctype html><title>Outpost shell</title>';
  const SECRET = 'DOTFILE-SECRET';
  let top: string;
  let server: RunningServer;

  beforeAll(async () => {
    top = mkdtempSync(join(tmpdir(), 'outpost-dot-'));
    const buildDir = join(top, '.cache', 'outpost', '.worktrees', 'main', 'build');
    mkdirSync(join(buildDir, '_app', 'immutable'), { recursive: true });
    mkdirSync(join(buildDir, '.private'), { recursive: true });
    writeFileSync(join(buildDir, 'index.html'), SHELL);
    writeFileSync(join(buildDir, 'manifest.webmanifest'), '{"name":"Outpost"}');
    writeFileSync(join(buildDir, '_app', 'immutable', 'app.js'), 'console.log("app");');
    // Dotfiles inside the build stay unserved.
    writeFileSync(join(buildDir, '.env'), SECRET);
    writeFileSync(join(buildDir, '.private', 'key.json'), `{"k":"${SECRET}"}`);
    server = await startServer({ buildDir, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
    if (top) rmSync(top, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const res = await fetch(server.url + path, { signal: AbortSignal.timeout(30_000) });
    return { status: res.status, text: await res.text() };
  };

  it.each(['/', '/stop/stop:abc', '/account/account:x/notes', '/signin?name=ana'])(
    'GET %s - 200 with the shell',
    async (path) => {
      expect(await get(path)).toEqual({ status: 200, text: SHELL });
    },
  );

  it('GET /manifest.webmanifest and an immutable asset - 200', async () => {
    expect(await get('/manifest.webmanifest')).toEqual({
      status: 200,
      text: '{"name":"Outpost"}',
    });
    expect((await get('/_app/immutable/app.js')).status).toBe(200);
  });

  it.each(['/.env', '/.private/key.json', '/%2eenv', '/.private%2fkey.json'])(
    'GET %s - a dotfile inside the build is never served',
    async (path) => {
      const r = await get(path);
      expect(r.text).not.toContain(SECRET);
    },
  );
});
