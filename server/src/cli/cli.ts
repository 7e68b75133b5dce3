/**
 * The CLI as a function: arguments and streams in, exit code out. main.ts binds it to the
 * process; tests call it directly with a fake engine, or spawn the built dist/cli.js.
 *
 * Exit codes: 0 clean, 1 errors or too many warnings, 2 usage/configuration/internal error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LintInputError, type LintRequest, type LintRun, type RunLint } from '../pipeline/api';
import { isIgnoredPath } from '../pipeline/files';
import type { Finding } from '../model';
import {
  CONFIG_FILE_NAME,
  ConfigError,
  findConfigFile,
  loadConfig,
  toConfiguredSeverity,
  toFileSeverity,
} from '../config/load';
import type { ResolvedConfig } from '../config/resolved-config';
import type { RuleMeta } from '../rules/rule';
import { helpText, parseArgs, UsageError, type CliOptions } from './args';
import { unifiedDiff } from './diff';
import { applySafeFixes } from './fix';
import { formatExplainText } from './formatters/explain';
import { formatters } from './formatters';
import { plural, relativePath } from './formatters/util';
import {
  applySuppressions,
  countEntries,
  prune,
  suppress,
  SUPPRESSIONS_FILE_NAME,
  SuppressionsFile,
  type SuppressionCounts,
} from './suppressions';
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
  /** Standard input's text, for --stdin. */
  readStdin?: () => string;
  /** Clock for the progress line (tests replace it). */
  now?: () => number;
  version?: string;
  /** Identifies this build of delivery-lint for the cache (default: the version). */
  build?: string;
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** How long a run must take before the progress line appears. */
export const PROGRESS_DELAY_MS = 1000;
const PROGRESS_INTERVAL_MS = 100;

/** The cache file's name, in the working folder or in the folder --cache-location names. */
export const CACHE_FILE_NAME = '.delivery-lint-cache';
/** The file --stdin's text is taken to be, without --stdin-filename. */
export const STDIN_FILE_NAME = '<stdin>.ts';
/** How many times --fix re-analyses and fixes again (fixes that overlapped wait for the next pass). */
const MAX_FIX_PASSES = 10;

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
    const paths = options.stdin ? [] : options.paths.length ? options.paths : ['.'];
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
    for (const rule of options.suppressRules) {
      if (!known.has(rule)) {
        return fail(`unknown rule ${JSON.stringify(rule)} in --suppress-rule (known rules: ${ruleIds.join(', ')})`);
      }
    }
    const config = loadConfig(io.cwd, options.config, {
      isKnownRule: (id) => known.has(id),
      knownRuleIds: () => ruleIds,
    });
    for (const override of options.rules) config.rules[override.ruleId] = toConfiguredSeverity(override.severity);
    config.ignore = [...config.ignore, ...options.ignorePatterns];

    if (options.printConfig !== undefined) return printConfig(options.printConfig, config, engine.rules, io);

    const suppressions = new SuppressionsFile(
      path.resolve(io.cwd, options.suppressionsLocation ?? SUPPRESSIONS_FILE_NAME),
      io.cwd,
    );
    let counts = suppressions.load();

    const contents = new Map<string, string>();
    let stdinFile: string | undefined;
    if (options.stdin) {
      stdinFile = path.resolve(io.cwd, options.stdinFilename ?? STDIN_FILE_NAME);
      contents.set(stdinFile, (io.readStdin ?? (() => fs.readFileSync(0, 'utf8')))());
    }
    const writesCache = !options.stdin && !options.fixDryRun;
    const request: LintRequest = {
      cwd: io.cwd,
      paths: stdinFile ? [stdinFile] : paths.map((given) => path.resolve(io.cwd, given)),
      project: options.project === undefined ? undefined : path.resolve(io.cwd, options.project),
      config,
      timelines: options.explain,
      ...(options.cache
        ? {
            cache: {
              location: cacheLocation(io.cwd, options.cacheLocation),
              version: io.build ?? version,
              write: writesCache,
            },
          }
        : {}),
      ...(options.reportUnusedDirectives && options.reportUnusedDirectives !== 'off'
        ? { unusedDirectives: toConfiguredSeverity(options.reportUnusedDirectives) as Finding['severity'] }
        : {}),
    };
    const lint = (): LintRun => {
      progress = new Progress(io.stderr, io.now ?? Date.now);
      const result = engine.runLint({
        ...request,
        contents,
        onProgress: (done, total) => progress?.update(done, total),
      });
      progress.clear();
      progress = undefined;
      return result;
    };
    let run = lint();

    // --fix / --fix-dry-run: apply the safe fixes, analyse again, until none is left to apply.
    const original = new Map<string, string>();
    let fixCount = 0;
    if (options.fix || options.fixDryRun) {
      const read = (file: string): string | undefined => {
        const given = contents.get(file);
        if (given !== undefined) return given;
        try {
          return fs.readFileSync(file, 'utf8');
        } catch {
          return undefined;
        }
      };
      for (let pass = 0; pass < MAX_FIX_PASSES; pass++) {
        const applied = applySafeFixes(run.findings, read);
        if (!applied.count) break;
        for (const [file, text] of applied.texts) {
          if (!original.has(file)) original.set(file, read(file)!);
          contents.set(file, text);
        }
        fixCount += applied.count;
        run = lint();
      }
    }
    const fixed = new Map<string, string>();
    for (const [file, before] of original) if (contents.get(file) !== before) fixed.set(file, contents.get(file)!);
    if (options.fix) {
      for (const [file, text] of fixed) {
        try {
          fs.writeFileSync(file, text);
        } catch (error) {
          throw new UsageError(
            `cannot write the fixed ${relativePath(io.cwd, file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          );
        }
      }
    }

    reportRunNotes(run, io);
    if (stdinFile && !run.filesLinted.includes(stdinFile)) {
      io.stderr.write(
        `delivery-lint: warning: ${relativePath(io.cwd, stdinFile)} is ignored by an ignore pattern or is not a TypeScript or JavaScript file; nothing was linted\n`,
      );
    }
    if (fixCount) {
      io.stderr.write(
        options.fix
          ? `delivery-lint: applied ${plural(fixCount, 'safe fix', 'safe fixes')} in ${plural(fixed.size, 'file')}\n`
          : `delivery-lint: --fix-dry-run: ${plural(fixCount, 'safe fix', 'safe fixes')} in ${plural(fixed.size, 'file')}, nothing written\n`,
      );
    }

    // The suppressions file: record (--suppress-all/--suppress-rule), apply, prune.
    const keyOf = (file: string): string => suppressions.keyOf(file);
    const suppressible = (finding: Finding): boolean => known.has(finding.ruleId);
    if (options.suppressAll || options.suppressRules.length) {
      counts = suppress(
        counts,
        run.findings,
        options.suppressAll ? undefined : options.suppressRules,
        keyOf,
        suppressible,
      );
      suppressions.save(counts);
    }
    const applied = applySuppressions(
      run.findings,
      counts,
      new Set(run.filesLinted.map(keyOf)),
      keyOf,
      suppressible,
      (key) => !fs.existsSync(path.resolve(io.cwd, key)),
    );
    let unused = applied.unused;
    if (options.pruneSuppressions) {
      const pruned = prune(counts, unused);
      if (countEntries(pruned) !== countEntries(counts)) suppressions.save(pruned);
      unused = {};
    }

    const code = report(
      { ...run, findings: applied.findings },
      options,
      engine.rules,
      io,
      version,
      options.fixDryRun ? original : undefined,
      fixed,
    );
    if (countEntries(unused) && !options.passOnUnprunedSuppressions) {
      io.stderr.write(
        `delivery-lint: ${path.relative(io.cwd, suppressions.location) || suppressions.location} counts ${plural(countEntries(unused), 'finding')} that ${countEntries(unused) === 1 ? 'is' : 'are'} gone (${describeCounts(unused)}): remove ${countEntries(unused) === 1 ? 'it' : 'them'} with --prune-suppressions, so that new ones are reported\n`,
      );
      return EXIT_USAGE;
    }
    // A path the user named that could not be linted fails the run, after the others are reported.
    return run.problems.some((problem) => problem.explicit) ? EXIT_USAGE : code;
  } catch (error) {
    progress?.clear();
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof LintInputError)
      return fail(error.message);
    const message = error instanceof Error ? error.message : String(error);
    if (io.env.DELIVERY_LINT_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return fail(`internal error: ${message}`);
  }
}

/** `--cache-location`: a file, or a folder (an existing one, or a path ending in a separator) to hold CACHE_FILE_NAME. */
function cacheLocation(cwd: string, given: string | undefined): string {
  if (given === undefined) return path.join(cwd, CACHE_FILE_NAME);
  const resolved = path.resolve(cwd, given);
  const isFolder = /[\\/]$/.test(given) || (fs.existsSync(resolved) && fs.statSync(resolved).isDirectory());
  return isFolder ? path.join(resolved, CACHE_FILE_NAME) : resolved;
}

/**
 * `--print-config <file>`: the configuration a run uses for that file, written as a complete
 * delivery-lint.config.json (every rule's severity explicit), on stdout; on stderr, where it came
 * from and whether the file is linted.
 */
function printConfig(file: string, config: ResolvedConfig, rules: RuleMeta[], io: CliIO): number {
  const target = path.resolve(io.cwd, file);
  const form = {
    rules: Object.fromEntries(
      rules.map((rule) => [rule.id, toFileSeverity(config.rules[rule.id] ?? rule.defaultSeverity)]),
    ),
    effects: config.effects,
    guards: config.guards,
    identity: config.identity,
    identityFields: config.identityFields,
    guardStrategy: config.guardStrategy,
    kafkaKeysUnique: config.kafkaKeysUnique,
    maxDepth: config.maxDepth,
    semantics: config.semantics,
    ignore: config.ignore,
  };
  io.stdout.write(JSON.stringify(form, null, 2) + '\n');
  const source = config.configPath ?? findConfigFile(io.cwd);
  const relative = relativePath(io.cwd, target);
  io.stderr.write(
    `delivery-lint: ${relative}: ${source ? `config from ${relativePath(io.cwd, source)}` : `no ${CONFIG_FILE_NAME} found: the defaults`}, with the command line's --rule and --ignore-pattern\n`,
  );
  const ignored = config.ignore.find((pattern) => isIgnoredPath(target, io.cwd, [pattern]));
  if (ignored) io.stderr.write(`delivery-lint: ${relative} is ignored (pattern ${JSON.stringify(ignored)})\n`);
  return EXIT_OK;
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
  if (io.env.DELIVERY_LINT_DEBUG && run.cacheStats)
    io.stderr.write(
      `delivery-lint: cache: ${run.cacheStats.reused} files from the cache, ${run.cacheStats.analysed} analysed\n`,
    );
}

function report(
  run: LintRun,
  options: CliOptions,
  rules: RuleMeta[],
  io: CliIO,
  version: string,
  /** --fix-dry-run: the files' texts before the fixes (the diff is printed). */
  dryRunOriginals: ReadonlyMap<string, string> | undefined,
  fixed: ReadonlyMap<string, string>,
): number {
  const shown: Finding[] = options.quiet ? run.findings.filter((f) => f.severity === 'error') : run.findings;
  const toFile = options.outputFile !== undefined;
  const color = !toFile && options.format === 'stylish' && io.stdout.isTTY === true && !io.env.NO_COLOR;
  let output = formatters[options.format]({
    run,
    findings: shown,
    cwd: io.cwd,
    rules,
    version,
    color,
    explain: options.explain,
    hiddenCount: run.findings.length - shown.length,
    fixed,
    fixMode: options.fix || options.fixDryRun,
  });

  if ((options.format === 'sarif' || options.format === 'github') && options.explain) {
    // Those formats have no room for it; keep stdout machine-readable.
    io.stderr.write(formatExplainText(run.consumers, io.cwd, false));
  }
  if (dryRunOriginals && options.format !== 'json') {
    const diff = [...dryRunOriginals]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([file, before]) => unifiedDiff(relativePath(io.cwd, file), before, fixed.get(file) ?? before))
      .join('');
    // The diff goes before the report; where stdout must stay machine-readable, to stderr.
    if (options.format === 'stylish') output = diff + (diff && output ? '\n' : '') + output;
    else io.stderr.write(diff);
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

function describeCounts(counts: SuppressionCounts): string {
  const parts = Object.entries(counts).flatMap(([file, rules]) =>
    Object.entries(rules).map(([rule, { count }]) => `${file}: ${rule} ×${count}`),
  );
  return parts.length > 3 ? `${parts.slice(0, 3).join(', ')}, …` : parts.join(', ');
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
