/**
 * The analyzer's public entry points. The CLI and the language server are thin shells over these.
 */
import type { AnalysisResult, Finding, FindingSeverity } from '../model';
import type { ResolvedConfig } from '../config/resolved-config';
import type { BudgetLimits } from '../analysis/dataflow/budget';

export interface LintRequest {
  /** Directory the paths are relative to (the CLI's working directory). */
  cwd: string;
  /** Files and folders to lint; every other file of the project is still loaded to resolve calls. */
  paths: string[];
  /** Explicit tsconfig.json; otherwise the nearest one above the first path (or none). */
  project?: string;
  config: ResolvedConfig;
  /** Called as files are analysed, for a progress line. */
  onProgress?: (done: number, total: number) => void;
  /** Derive the crash timelines (for --explain); a plain lint does not need them. */
  timelines?: boolean;
  /**
   * Texts to lint instead of what is on disk, by absolute path: standard input (the path need not
   * exist), or files with fixes applied that are not written yet.
   */
  contents?: ReadonlyMap<string, string>;
  /** Keep results in this file and re-analyse only what changed (pipeline/cache.ts). */
  cache?: {
    location: string;
    /** delivery-lint's version and build: a cache written by another one is not used. */
    version: string;
    /** Leave the file as it is (a run over text that is not on disk). */
    write?: boolean;
  };
  /** Report `delivery-lint-disable…` comments that suppressed nothing, with this severity. */
  unusedDirectives?: FindingSeverity;
  /** What each consumer's analysis may spend (default: analysis/dataflow/budget.ts, DEFAULT_BUDGET). */
  budget?: BudgetLimits;
}

export interface LintRun extends AnalysisResult {
  /** The tsconfig.json used, if any. */
  tsconfigPath?: string;
  /** Non-fatal notes for the user (no tsconfig found, files skipped…). */
  warnings: string[];
  /** Findings a `delivery-lint-disable…` comment dropped. */
  suppressed?: Finding[];
  /** With a cache: the lint files whose results it gave, and those analysed. */
  cacheStats?: { reused: number; analysed: number };
}

export type RunLint = (request: LintRequest) => LintRun;

/** A problem with what the user asked for (a broken --project file): the CLI exits 2 with its message. */
export class LintInputError extends Error {}
