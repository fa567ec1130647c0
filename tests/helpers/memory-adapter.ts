/**
 * PouchDB's memory adapter as the tests, benchmarks and the chaos harness use it, with one
 * load-time fix of pouchdb-adapter-leveldb-core, the adapter under it (LEVELDB_CHANGES_FIX; patches.ts
 * fixes the server's copy the same way). The browser's
 * idb adapter reads a changes batch inside one transaction and never meets the race.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { LEVELDB_CHANGES_FIX } from '../../src/lib/server/embedded/leveldb-changes-fix';
import { patchModule } from '../../src/lib/server/embedded/patch-module';

const require = createRequire(import.meta.url);
const memoryDir = dirname(require.resolve('pouchdb-adapter-memory'));
patchModule(
  require.resolve('pouchdb-adapter-leveldb-core', { paths: [memoryDir] }),
  [LEVELDB_CHANGES_FIX],
  { owner: 'tests/helpers/memory-adapter.ts' },
);

/** The memory adapter plugin (leveldb-core fixed before it loads). */
const memory = require('pouchdb-adapter-memory') as PouchDB.Plugin;
export default memory;
