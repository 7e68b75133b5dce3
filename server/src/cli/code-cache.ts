/**
 * Loads a CommonJS bundle with V8's code cache: the analyzer's bundle (dist/engine.js, TypeScript
 * and ts-morph among it, 15 MB) takes a third of a second to compile on every run, more than the
 * analysis of a small project. The first run compiles it and, as it exits, writes what V8 compiled
 * (the functions the run used too) to a cache file; later runs hand that to V8 and skip the work.
 *
 * Node 22 does this for every module (`module.enableCompileCache`, NODE_COMPILE_CACHE); Node 20
 * has no such switch, so this is the same idea for the one bundle, with the same environment:
 * NODE_COMPILE_CACHE names the folder, NODE_DISABLE_COMPILE_CACHE turns it off. The cache is an
 * optimisation only: any failure to read, use or write it loads the bundle the plain way.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

export interface CachedLoad {
  exports: unknown;
  /** V8 took the compiled code from the cache. */
  fromCache: boolean;
  /** Writes the cache when it was missing or V8 rejected it (call it as the process ends). */
  save(): void;
}

/** The folder of the cache: NODE_COMPILE_CACHE, or one in the system's temporary folder. */
export function codeCacheFolder(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  return env.NODE_COMPILE_CACHE || path.join(os.tmpdir(), 'delivery-lint-code-cache');
}

/** `require(file)`, through the code cache in `folder` when there is one. */
export function requireWithCodeCache(file: string, folder: string | undefined, parent: NodeJS.Module): CachedLoad {
  const plain = (): CachedLoad => ({
    exports: parent.require(file) as unknown,
    fromCache: false,
    save: () => undefined,
  });
  if (!folder) return plain();
  let source: string;
  let cacheFile: string;
  try {
    const bytes = fs.readFileSync(file);
    source = bytes.toString('utf8');
    cacheFile = path.join(folder, cacheName(file, bytes));
  } catch {
    return plain();
  }
  const cached = readIfPresent(cacheFile);
  let script: vm.Script;
  try {
    script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cached });
  } catch {
    return plain();
  }
  // Run as Node runs a CommonJS module: its own `module`, `require` resolving beside it.
  const loaded = new Module(file, parent);
  loaded.filename = file;
  loaded.paths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(
    path.dirname(file),
  );
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const localRequire = (id: string): unknown => loaded.require(id);
  wrapper.call(loaded.exports, loaded.exports, localRequire, loaded, file, path.dirname(file));
  loaded.loaded = true;
  const stale = !cached || script.cachedDataRejected === true;
  return {
    exports: loaded.exports,
    fromCache: !stale,
    save: () => {
      if (stale) writeQuietly(folder, cacheFile, script);
    },
  };
}

/**
 * Names the cache by a digest of the bundle's bytes and V8's version. V8 checks only the source's
 * length against a cache, so another build of the same length must not find this one. (The digest
 * names a file, it protects nothing: MD5 is fast, 20 ms for the bundle.)
 */
function cacheName(file: string, bytes: Buffer): string {
  const digest = createHash('md5').update(bytes).digest('hex');
  return `${path.basename(file, path.extname(file))}-${digest}-v8-${process.versions.v8}.cache`;
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file, so a concurrent run never reads half a cache. */
function writeQuietly(folder: string, file: string, script: vm.Script): void {
  try {
    fs.mkdirSync(folder, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, script.createCachedData());
    fs.renameSync(temporary, file);
  } catch {
    // A read-only or full disk: the next run compiles again.
  }
}
