import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The embedded server's load-time fixes (patches.ts) are in the modules it runs when started as
 * `npm start` starts it (node with tsx, ESM). Node caches an ESM-imported CommonJS module
 * (`import PouchDB from 'pouchdb'` in server.ts) unloaded while it links the importer, before
 * any code runs; patchModule took that placeholder for a loaded module and skipped it, so the
 * server's PouchDB ran without its fixes outside the test runner.
 */
describe('embedded server fixes under the production loader', () => {
  it('every module patches.ts fixes is the fixed one after importing server.ts', async () => {
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(`${ROOT}src/lib/server/embedded/server.ts`)});
      const require = createRequire(${JSON.stringify(`${ROOT}package.json`)});
      const lib = require.resolve('express-pouchdb').replace(/index\\.js$/, '');
      const files = {
        pouchdb: require.resolve('pouchdb'),
        'pouchdb-validation': require.resolve('pouchdb-validation', { paths: [lib] }),
        'express-pouchdb routes/changes.js': lib + 'routes/changes.js',
        'express-pouchdb utils.js': lib + 'utils.js',
        'express-pouchdb create-or-delete-dbs.js': lib + 'create-or-delete-dbs.js',
      };
      const fixed = {};
      for (const [name, file] of Object.entries(files)) {
        const mod = require.cache[file];
        fixed[name] = !!mod && mod.loaded && mod[Symbol.for('outpost.patchModule')] === true;
      }
      console.log(JSON.stringify(fixed));
    `;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(stderr || error.message)) : resolve(stdout),
      );
    });
    expect(JSON.parse(out.trim().split('\n').pop() ?? '{}')).toEqual({
      pouchdb: true,
      'pouchdb-validation': true,
      'express-pouchdb routes/changes.js': true,
      'express-pouchdb utils.js': true,
      'express-pouchdb create-or-delete-dbs.js': true,
    });
  });
});
