/**
 * The analyzer as the CLI loads it: its own bundle (dist/engine.js, scripts/build.mjs), required
 * only when a lint runs, so that `--help`, `--version` and usage errors start without parsing
 * TypeScript's compiler.
 */
import { runLint } from '../pipeline/lint';
import { allRules } from '../rules/index';
import type { Engine } from './cli';

export function engine(): Engine {
  return { runLint, rules: allRules.map((rule) => rule.meta) };
}
