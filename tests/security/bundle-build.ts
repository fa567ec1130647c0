// Builds the client bundle once for the security suite's scan (bundle.test.ts), with the
// server's secrets set in the build's environment: if any of them can reach the bundle (vite
// `define`, an env prefix, an import of server code), the scan finds the very value.
//
// It builds a copy of the sources in a temp folder rather than reusing build/: the scan must see
// a bundle built with those secrets in its environment, and the e2e project rebuilds build/ in
// the same run (tests/e2e/global-setup.ts), so sharing it would race. A build takes ~10 s.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The build to scan and the secrets it was built with, or why it could not be built. */
    securityBundle: { dir: string; secrets: Record<string, string> } | { error: string };
  }
}

const root = fileURLToPath(new URL('../../', import.meta.url));
/** What the copy needs to build exactly like the real app. */
const SOURCES = [
  'src',
  'static',
  'svelte.config.js',
  'vite.config.ts',
  'tsconfig.json',
  'package.json',
];

export default function setup(project: TestProject): () => void {
  const work = mkdtempSync(join(tmpdir(), 'outpost-bundle-scan-'));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  const token = Math.random().toString(36).slice(2, 10);
  const secrets = {
    OUTPOST_ADMIN_NAME: `scanadmin${token}`,
    OUTPOST_ADMIN_PASSWORD: `scan-admin-pw-${token}`,
    COUCHDB_URL: `http://scancouch${token}:scan-couch-pw-${token}@couch-${token}.invalid:5984`,
    OUTPOST_DEMO_PASSWORD: `scan-demo-pw-${token}`,
    OUTPOST_METRICS_TOKEN: `scan-metrics-token-${token}-0123456789`,
  };
  try {
    for (const entry of SOURCES) {
      if (existsSync(join(root, entry)))
        cpSync(join(root, entry), join(work, entry), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
    const result = spawnSync(process.execPath, [vite, 'build'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, ...secrets },
      timeout: 300_000,
    });
    if (result.status !== 0) {
      const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
      project.provide('securityBundle', {
        error: `vite build failed (${result.error?.message ?? `exit ${result.status}`}):\n${output.slice(-4000)}`,
      });
    } else {
      project.provide('securityBundle', { dir: join(work, 'build'), secrets });
    }
  } catch (error) {
    project.provide('securityBundle', { error: String(error) });
  }
  return cleanup;
}
