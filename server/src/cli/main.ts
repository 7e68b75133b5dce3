/**
 * `delivery-lint` command-line entry point, bundled to dist/cli.js by scripts/build.mjs.
 * Everything but process wiring lives in cli.ts.
 */
import { runCli, type Engine } from './cli';

function loadEngine(): Engine {
  // Loaded on demand so that --help, --version and usage errors answer without the analyzer. The
  // build keeps './engine' out of dist/cli.js: it is dist/engine.js beside it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require('./engine') as typeof import('./engine');
  return module.engine();
}

// `delivery-lint ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  loadEngine,
});
