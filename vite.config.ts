import { fileURLToPath } from 'node:url';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// Plain-TS test projects skip the SvelteKit plugin (fast start) but still resolve `$lib`.
const lib = { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) };

export default defineConfig({
  plugins: [sveltekit()],
  test: {
    // `integration` (and a filtered run) may have no files yet; .ci/run rejects an empty total.
    passWithNoTests: true,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve: { alias: lib },
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // Setting up a team (server, provisioning, router) on a loaded 2-core machine.
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias: lib },
        test: {
          // Attacks over HTTP on the full server, hostile input, and a scan of the client bundle.
          name: 'security',
          include: ['tests/security/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['tests/security/bundle-build.ts'],
        },
      },
      {
        // Seeded fault injection: devices behind fault proxies against the embedded server
        // (tests/chaos; `npm run chaos` runs the long version).
        resolve: { alias: lib },
        test: {
          name: 'chaos',
          include: ['tests/chaos/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias: lib },
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['tests/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
