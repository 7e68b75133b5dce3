/**
 * `delivery-lint` command-line entry point, bundled to dist/cli.js by scripts/build.mjs.
 * Everything but process wiring lives in cli.ts.
 */
import type { Rule } from '../rules/rule';
import { runCli, type Engine } from './cli';

function loadEngine(): Engine {
  // Loaded on demand so that --help, --version and usage errors answer without the analyzer.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const runner = require('../pipeline/lint') as typeof import('../pipeline/lint');
  const catalogue = require('../rules/index') as typeof import('../rules/index');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { runLint: runner.runLint, rules: catalogue.allRules.map((rule: Rule) => rule.meta) };
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
