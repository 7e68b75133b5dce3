/**
 * The CLI as a function: arguments and streams in, exit code out. main.ts binds it to the
 * process; tests call it directly with a fake engine, or spawn the built dist/cli.js.
 *
 * Exit codes: 0 clean, 1 errors or too many warnings, 2 usage/configuration/internal error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LintInputError, type LintRun, type RunLint } from '../pipeline/api';
import type { Finding } from '../model';
import { ConfigError, loadConfig, toConfiguredSeverity } from '../config/load';
import type { RuleMeta } from '../rules/rule';
import { helpText, parseArgs, UsageError, type CliOptions } from './args';
import { formatExplainText } from './formatters/explain';
import { formatters } from './formatters';
import { relativePath } from './formatters/util';
import { VERSION } from './version';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** The analyzer, loaded only when a lint actually runs (not for --help or a usage error). */
export interface Engine {
  runLint: RunLint;
  rules: RuleMeta[];
}

export interface CliIO {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: OutputStream;
  stderr: OutputStream;
  loadEngine: () => Engine;
  /** Clock for the progress line (tests replace it). */
  now?: () => number;
  version?: string;
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** How long a run must take before the progress line appears. */
export const PROGRESS_DELAY_MS = 1000;
const PROGRESS_INTERVAL_MS = 100;

export function runCli(argv: readonly string[], io: CliIO): number {
  const version = io.version ?? VERSION;
  const fail = (message: string): number => {
    io.stderr.write(`delivery-lint: ${oneLine(message)}\n`);
    return EXIT_USAGE;
  };
  let progress: Progress | undefined;
  try {
    const options = parseArgs(argv);
    if (options.help) {
      io.stdout.write(helpText(version));
      return EXIT_OK;
    }
    if (options.version) {
      io.stdout.write(`${version}\n`);
      return EXIT_OK;
    }
    const paths = options.paths.length ? options.paths : ['.'];
    for (const given of paths) {
      // A symlink that leads nowhere or to itself exists: the run names it as unreadable.
      if (!exists(path.resolve(io.cwd, given))) return fail(`path not found: ${given}`);
    }
    if (options.project !== undefined && !fs.existsSync(path.resolve(io.cwd, options.project))) {
      return fail(`--project file not found: ${options.project}`);
    }

    const engine = io.loadEngine();
    const ruleIds = engine.rules.map((rule) => rule.id);
    const known = new Set(ruleIds);
    for (const override of options.rules) {
      if (!known.has(override.ruleId)) {
        return fail(`unknown rule ${JSON.stringify(override.ruleId)} in --rule (known rules: ${ruleIds.join(', ')})`);
      }
    }
    const config = loadConfig(io.cwd, options.config, {
      isKnownRule: (id) => known.has(id),
      knownRuleIds: () => ruleIds,
    });
    for (const override of options.rules) config.rules[override.ruleId] = toConfiguredSeverity(override.severity);

    progress = new Progress(io.stderr, io.now ?? Date.now);
    const run = engine.runLint({
      cwd: io.cwd,
      paths: paths.map((given) => path.resolve(io.cwd, given)),
      project: options.project === undefined ? undefined : path.resolve(io.cwd, options.project),
      config,
      onProgress: (done, total) => progress?.update(done, total),
      timelines: options.explain,
    });
    progress.clear();
    progress = undefined;

    reportRunNotes(run, io);
    const status = report(run, options, engine.rules, io, version);
    // A path the user named that could not be linted fails the run, after the others are reported.
    return run.problems.some((problem) => problem.explicit) ? EXIT_USAGE : status;
  } catch (error) {
    progress?.clear();
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof LintInputError)
      return fail(error.message);
    const message = error instanceof Error ? error.message : String(error);
    if (io.env.DELIVERY_LINT_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return fail(`internal error: ${message}`);
  }
}

/** Files that could not be analysed and the analyzer's notes: stderr, never the report. */
function reportRunNotes(run: LintRun, io: CliIO): void {
  for (const problem of run.problems) {
    const level = problem.explicit ? 'error' : 'warning';
    io.stderr.write(
      `delivery-lint: ${level}: ${relativePath(io.cwd, problem.filePath)}: ${oneLine(problem.message)}\n`,
    );
  }
  for (const warning of run.warnings) io.stderr.write(`delivery-lint: warning: ${oneLine(warning)}\n`);
}

function report(run: LintRun, options: CliOptions, rules: RuleMeta[], io: CliIO, version: string): number {
  const shown: Finding[] = options.quiet ? run.findings.filter((f) => f.severity === 'error') : run.findings;
  const toFile = options.outputFile !== undefined;
  const color = !toFile && options.format === 'stylish' && io.stdout.isTTY === true && !io.env.NO_COLOR;
  const output = formatters[options.format]({
    run,
    findings: shown,
    cwd: io.cwd,
    rules,
    version,
    color,
    explain: options.explain,
    hiddenCount: run.findings.length - shown.length,
  });

  if ((options.format === 'sarif' || options.format === 'github') && options.explain) {
    // Those formats have no room for it; keep stdout machine-readable.
    io.stderr.write(formatExplainText(run.consumers, io.cwd, false));
  }

  if (toFile) {
    const target = path.resolve(io.cwd, options.outputFile!);
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, output);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new UsageError(`cannot write --output-file ${options.outputFile}: ${code}`);
    }
  } else if (output) {
    io.stdout.write(output);
  }

  const errors = run.findings.filter((f) => f.severity === 'error').length;
  const warnings = run.findings.filter((f) => f.severity === 'warning').length;
  if (errors > 0) return EXIT_FINDINGS;
  if (options.maxWarnings !== undefined && warnings > options.maxWarnings) {
    io.stderr.write(`delivery-lint: too many warnings (${warnings}, maximum ${options.maxWarnings})\n`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}

/** The progress line: on a TTY only, once the run has taken more than a second. */
class Progress {
  private readonly start: number;
  private shown = false;
  private lastDraw = 0;

  constructor(
    private readonly stream: OutputStream,
    private readonly now: () => number,
  ) {
    this.start = now();
  }

  update(done: number, total: number): void {
    if (this.stream.isTTY !== true) return;
    const time = this.now();
    if (time - this.start <= PROGRESS_DELAY_MS) return;
    if (this.shown && time - this.lastDraw < PROGRESS_INTERVAL_MS && done !== total) return;
    this.lastDraw = time;
    this.shown = true;
    this.stream.write(`\r\u001b[Kdelivery-lint: analysing ${done}/${total} files`);
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\u001b[K');
    this.shown = false;
  }
}

function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}
