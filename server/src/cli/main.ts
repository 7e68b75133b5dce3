/**
 * `delivery-lint` command-line entry point, bundled to dist/cli.js by scripts/build.mjs.
 * Everything but process wiring lives in cli.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { runCli, type Engine } from './cli';
import { codeCacheFolder, requireWithCodeCache } from './code-cache';
import { VERSION } from './version';

function loadEngine(): Engine {
  // A run makes much short-lived analysis state: after a full collection the old generation may
  // grow to 1.5 times what is live, not V8's up to 4 times. langfuse's run peaked at 675 MiB with
  // 261 MB live; with this at 528 MiB, no slower (farm-bench, 3 runs alternating, wall ratio 0.97).
  v8.setFlagsFromString('--heap-growing-percent=50');
  // The code cache is written as the run ends, with the functions whose bytecode V8 still holds;
  // over a long run it drops the bytecode of those used only at the start (parsing, binding): a
  // langfuse run wrote 3.8 MB where a short one writes 11, and every later run compiled the rest
  // again (examples/ 1.56 s instead of 1.23 s). Kept, the cache holds what the run used.
  v8.setFlagsFromString('--no-flush-bytecode');
  // Loaded on demand so that --help, --version and usage errors answer without the analyzer. The
  // build keeps './engine' out of dist/cli.js: it is dist/engine.js beside it, compiled once and
  // then loaded from V8's code cache (code-cache.ts).
  const loaded = requireWithCodeCache(path.join(__dirname, 'engine.js'), codeCacheFolder(process.env), module);
  process.once('exit', () => loaded.save());
  return (loaded.exports as typeof import('./engine')).engine();
}

// `delivery-lint ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/**
 * This build of delivery-lint, for the cache: the version, and the size and time of the bundles
 * (dist/cli.js and the analyzer's dist/engine.js beside it), so a rebuilt one does not reuse a cache.
 */
function build(): string {
  try {
    const stats = [__filename, path.join(__dirname, 'engine.js')].map((file) => fs.statSync(file));
    return `${VERSION}+${stats.map((stat) => `${stat.size}.${Math.round(stat.mtimeMs)}`).join('+')}`;
  } catch {
    return VERSION;
  }
}

process.exitCode = runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  loadEngine,
  readStdin: () => fs.readFileSync(0, 'utf8'),
  build: build(),
});
