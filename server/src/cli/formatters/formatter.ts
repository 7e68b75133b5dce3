import type { Finding } from '../../model';
import type { LintRun } from '../../pipeline/api';
import type { RuleMeta } from '../../rules/rule';

/** Everything a formatter needs; formatters are pure functions of it. */
export interface FormatInput {
  /** The whole run (consumers, files linted, problems). */
  run: LintRun;
  /** The findings to report: the run's findings after `--quiet`. */
  findings: Finding[];
  /** Paths are shown relative to this folder. */
  cwd: string;
  /** Metadata of every rule (SARIF lists them all). */
  rules: RuleMeta[];
  /** delivery-lint's version. */
  version: string;
  /** ANSI colours (stylish only). */
  color: boolean;
  /** `--explain`: include the consumers found. */
  explain: boolean;
  /** Findings left out by `--quiet` (stylish mentions them). */
  hiddenCount: number;
  /** `--fix` / `--fix-dry-run`: the text of each file the safe fixes changed (json's `output`). */
  fixed?: ReadonlyMap<string, string>;
  /** The run applied the safe fixes (stylish does not suggest --fix then). */
  fixMode?: boolean;
}

export type Formatter = (input: FormatInput) => string;
