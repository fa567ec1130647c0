/**
 * Load-time source fixes for CommonJS modules in node_modules (node only): the fixed module is
 * compiled into the require cache before anything requires it. Used for the embedded server's
 * fixes (patches.ts) and the memory adapter the tests run on (tests/helpers/memory-adapter.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';

/** Marks a module compiled by patchModule (shared by every copy of this file in the process). */
const PATCHED = Symbol.for('outpost.patchModule');

type LoadableModule = Module & {
  _compile(source: string, filename: string): void;
  loaded: boolean;
  [PATCHED]?: true;
};
type ModuleStatics = typeof Module & { _nodeModulePaths(dir: string): string[] };

const require = createRequire(import.meta.url);

/**
 * Compiles `file` with each `[from, to]` replaced (and `append` added at the end) into the
 * require cache (once). Throws when a piece to replace is not found (e.g. after an upgrade) or
 * when the module already ran unfixed, so a fix never silently stops applying; `owner` names
 * where the fix is explained. A module that ESM code imports is put in the cache unloaded when
 * its importer is linked, before any code runs (`import X from 'pkg'` in a module evaluated
 * after the fixes): the fixed source is compiled into that placeholder, which the import then
 * finds loaded (before, such a module was skipped as "already there" and ran unfixed).
 */
export function patchModule(
  file: string,
  fixes: [from: string, to: string][],
  opts: { append?: string; owner: string },
): void {
  const cached = require.cache[file] as LoadableModule | undefined;
  if (cached?.[PATCHED]) return;
  if (cached?.loaded) throw new Error(`${file} was loaded before its fix in ${opts.owner}`);
  let source = readFileSync(file, 'utf8');
  for (const [from, to] of fixes) {
    if (!source.includes(from))
      throw new Error(`${file} changed; re-check the fix in ${opts.owner}`);
    source = source.replace(from, to);
  }
  const mod = cached ?? (new Module(file) as LoadableModule);
  mod.filename = file;
  mod.paths = (Module as ModuleStatics)._nodeModulePaths(dirname(file));
  mod[PATCHED] = true;
  require.cache[file] = mod;
  mod._compile(source + (opts.append ?? ''), file);
  mod.loaded = true;
}
