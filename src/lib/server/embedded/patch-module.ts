/**
 * Load-time source fixes for CommonJS modules in node_modules (node only): the fixed module is
 * compiled into the require cache before anything requires it. Used for the embedded server's
 * fixes (patches.ts) and the memory adapter the tests run on (tests/helpers/memory-adapter.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';

type LoadableModule = Module & {
  _compile(source: string, filename: string): void;
  loaded: boolean;
};
type ModuleStatics = typeof Module & { _nodeModulePaths(dir: string): string[] };

const require = createRequire(import.meta.url);

/**
 * Compiles `file` with each `[from, to]` replaced (and `append` added at the end) into the
 * require cache (once). Throws when a piece to replace is not found (e.g. after an upgrade), so
 * a fix never silently stops applying; `owner` names where the fix is explained.
 */
export function patchModule(
  file: string,
  fixes: [from: string, to: string][],
  opts: { append?: string; owner: string },
): void {
  if (require.cache[file]) return;
  let source = readFileSync(file, 'utf8');
  for (const [from, to] of fixes) {
    if (!source.includes(from))
      throw new Error(`${file} changed; re-check the fix in ${opts.owner}`);
    source = source.replace(from, to);
  }
  const mod = new Module(file) as LoadableModule;
  mod.filename = file;
  mod.paths = (Module as ModuleStatics)._nodeModulePaths(dirname(file));
  mod._compile(source + (opts.append ?? ''), file);
  mod.loaded = true;
  require.cache[file] = mod;
}
