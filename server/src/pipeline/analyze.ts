/**
 * analyzeFiles: the analysis of a set of files in a TypeScript program, from library sites to
 * suppressed findings (ARCHITECTURE.md, "Pipeline"):
 *
 *   1. library sites: every library module looks for registrations in the broker files;
 *   2. wrappers: a registration whose handler runs a callback its callers supply makes their calls consumers;
 *   3. consumer reports: analysis/report/ builds one per consumer registered in the lint files;
 *   4. rules: every enabled rule judges each report, and the file-level rules each lint file;
 *   5. suppressions: `delivery-lint-disable…` comments drop findings.
 *
 * Editor-independent: the CLI (pipeline/lint.ts) and the language server (pipeline/workspace-project.ts)
 * both call it with a ts.Program they own. A file whose analysis throws becomes a FileProblem, never
 * a crash.
 */
import type { ts } from 'ts-morph';
import type { LoadedProgram } from './program';
import { assignIds, buildConsumerReport, findSites } from '../analysis/report/build';
import type { ConsumerSite } from '../analysis/libraries';
import { findWrapper, findWrapperCalls, wrapperModules, wrapperName } from '../analysis/libraries/wrappers';
import { Suppressions } from '../analysis/source/directives';
import type { SourceReader } from '../analysis/source/reader';
import { locationOf } from '../analysis/source/ast';
import type { ResolvedConfig } from '../config/resolved-config';
import type { AnalysisResult, ConsumerReport, FileProblem, Finding } from '../model';
import { runFileRules, runRules } from '../rules/runner';

export interface AnalyzeOptions {
  program: ts.Program;
  /** Absolute paths of the files to lint. */
  files: readonly string[];
  /**
   * Files where consumers may be registered (those importing a broker library); wrappers defined
   * there are followed into the lint files that call them. Defaults to `files`.
   */
  brokerFiles?: readonly string[];
  config: ResolvedConfig;
  onProgress?: (done: number, total: number) => void;
  /** Derive each consumer's crash timeline (default true; the CLI asks only for --explain). */
  timelines?: boolean;
  /** Only find the consumers and the wrappers (for the CLI's rounds that add wrapper callers): no reports, no rules. */
  discoverOnly?: boolean;
}

/** Rounds of loading before the analysis settles for what it has (a guard against pathological graphs). */
const MAX_LOADING_ROUNDS = 16;

/**
 * analyzeFiles over a program that grows to what the analysis reaches (program.ts,
 * `LoadedProgram`): analyse, load the imports of every file the analysis read, and again, until a
 * round loads nothing new. The result of the last round is the result.
 */
export function analyzeReached(loaded: LoadedProgram, options: Omit<AnalyzeOptions, 'program'>): AnalysisResult {
  for (let round = 1; ; round++) {
    const read = new Set<ts.SourceFile>();
    const result = analyzeFiles({ ...options, program: recordingReads(loaded.program, read) });
    if (loaded.loadImportsOf(read) === 0) return result;
    if (round === MAX_LOADING_ROUNDS) {
      loaded.warnings.push(
        `calls were followed through ${MAX_LOADING_ROUNDS} rounds of imports; what lies further was not loaded`,
      );
      return result;
    }
  }
}

/**
 * The program as the analysis sees it, noting the files the analysis reads through the type
 * checker: those of the nodes it asks about, and of the declarations and signatures it gets back
 * (it goes on to read those). The next round loads their imports.
 */
function recordingReads(program: ts.Program, read: Set<ts.SourceFile>): ts.Program {
  const checker = program.getTypeChecker();
  const noteNode = (value: object): void => {
    if ('kind' in value && 'parent' in value && 'pos' in value) read.add((value as ts.Node).getSourceFile());
  };
  const note = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    noteNode(value);
    if ('declarations' in value && 'flags' in value && 'escapedName' in value) {
      for (const declaration of (value as ts.Symbol).declarations ?? []) noteNode(declaration);
    } else if ('declaration' in value && 'parameters' in value) {
      const declaration = (value as ts.Signature).declaration;
      if (declaration) noteNode(declaration);
    }
  };
  const recording = new Proxy(checker, {
    get(target, property, receiver) {
      const member: unknown = Reflect.get(target, property, receiver);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]): unknown => {
        args.forEach(note);
        const result = (member as (...parameters: unknown[]) => unknown).apply(target, args);
        if (Array.isArray(result)) result.forEach(note);
        else note(result);
        return result;
      };
    },
  });
  return new Proxy(program, {
    get: (target, property, receiver): unknown =>
      property === 'getTypeChecker' ? () => recording : Reflect.get(target, property, receiver),
  });
}

export function analyzeFiles(options: AnalyzeOptions): AnalysisResult {
  const { program, config } = options;
  const checker = program.getTypeChecker();
  const lintFiles = new Set(options.files);
  const problems: FileProblem[] = [];
  const source: SourceReader = {
    sourceText: (filePath) => program.getSourceFile(filePath)?.getFullText(),
    sourceFile: (filePath) => program.getSourceFile(filePath),
    program,
  };

  // 1. Registrations in every file that imports a broker library.
  const sites: ConsumerSite[] = [];
  const brokerFiles = [...new Set([...(options.brokerFiles ?? []), ...options.files])];
  for (const filePath of brokerFiles) {
    const sourceFile = program.getSourceFile(filePath);
    if (!sourceFile) {
      if (lintFiles.has(filePath))
        problems.push({ filePath, message: 'could not be loaded into the TypeScript program' });
      continue;
    }
    try {
      sites.push(...findSites(sourceFile, program, config));
    } catch (error) {
      problems.push({ filePath, message: `analysis failed: ${(error as Error).message}` });
    }
  }

  // 2. Wrappers: a registration whose handler runs a callback its callers supply; their calls are consumers.
  const wrappers = sites.map((site) => ({ site, wrapper: findWrapper(site, checker) }));
  const found = findWrapperCalls(
    wrappers.filter((entry) => entry.wrapper).map((entry) => entry.wrapper!),
    options.files.map((file) => program.getSourceFile(file)).filter((file): file is ts.SourceFile => !!file),
    checker,
  );
  const callSites = found.calls;
  // Every function whose callers supply a handler: the CLI looks for its callers in the files it has not loaded.
  const wrapperNames = new Map<string, Set<string>>();
  for (const wrapper of found.wrappers) {
    const name = wrapperName(wrapper.wrapper);
    if (!name) continue;
    const files = wrapperNames.get(name) ?? new Set<string>();
    for (const file of wrapperModules(wrapper.wrapper, checker)) files.add(file);
    wrapperNames.set(name, files);
  }
  const wrapperList = [...wrapperNames].map(([name, files]) => ({ name, filePaths: [...files] }));
  if (options.discoverOnly)
    return {
      consumers: [],
      findings: [],
      problems,
      filesLinted: [...options.files],
      filesAnalyzed: 0,
      wrappers: wrapperList,
    };

  // 3. Reports for the consumers registered in the lint files, then rules and suppressions.
  const consumers: ConsumerReport[] = [];
  let done = 0;
  for (const { site, wrapper } of wrappers) {
    if (!lintFiles.has(site.registrationNode.getSourceFile().fileName)) continue;
    if (wrapper && callSites.some((call) => call.wrapper.site === site)) continue; // reported at its call sites
    const report = guarded(problems, site, () =>
      buildConsumerReport(site, checker, config, undefined, options.timelines ?? true, program),
    );
    if (!report) continue;
    // A callback parameter the handler calls directly, and no caller found: its work is unknown.
    if (wrapper?.direct)
      report.incomplete = `its handler is a callback (${wrapper.parameter.name.getText()}) passed by callers that were not analysed`;
    consumers.push(report);
  }
  for (const call of callSites) {
    const report = guarded(problems, call.site, () =>
      buildConsumerReport(call.site, checker, config, call, options.timelines ?? true, program),
    );
    if (report) consumers.push(report);
  }
  assignIds(consumers);

  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const consumer of consumers) {
    done++;
    options.onProgress?.(done, consumers.length);
    for (const finding of runRules(consumer, config, source)) {
      // A wrapper's ack serves every consumer registered through it: one finding, not one per caller.
      const key = `${finding.ruleId}:${finding.location.filePath}:${finding.location.start}`;
      if (seen.has(key) || isSuppressed(finding, program)) continue;
      seen.add(key);
      findings.push(finding);
    }
  }
  for (const filePath of options.files) {
    const sourceFile = program.getSourceFile(filePath);
    if (!sourceFile) continue;
    try {
      findings.push(
        ...runFileRules(sourceFile, checker, config, source).filter((finding) => !isSuppressed(finding, program)),
      );
    } catch (error) {
      problems.push({ filePath, message: `analysis failed: ${(error as Error).message}` });
    }
  }
  for (const filePath of options.files) {
    const sourceFile = program.getSourceFile(filePath);
    if (sourceFile) findings.push(...directiveFindings(sourceFile));
  }
  findings.sort(compareFindings);
  return {
    consumers,
    findings,
    problems,
    filesLinted: [...options.files],
    filesAnalyzed: options.files.length,
    wrappers: wrapperList,
  };
}

function guarded<T>(problems: FileProblem[], site: ConsumerSite, build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    problems.push({
      filePath: site.registrationNode.getSourceFile().fileName,
      message: `analysis failed: ${(error as Error).message}`,
    });
    return undefined;
  }
}

const suppressionCache = new WeakMap<ts.SourceFile, Suppressions>();

function suppressionsOf(sourceFile: ts.SourceFile): Suppressions {
  let suppressions = suppressionCache.get(sourceFile);
  if (!suppressions) {
    suppressions = new Suppressions(sourceFile.getFullText(), sourceFile);
    suppressionCache.set(sourceFile, suppressions);
  }
  return suppressions;
}

function isSuppressed(finding: Finding, program: ts.Program): boolean {
  const sourceFile = program.getSourceFile(finding.location.filePath);
  if (!sourceFile) return false;
  return suppressionsOf(sourceFile).isSuppressed(finding.ruleId, finding.location.line);
}

/**
 * The id findings about the directives themselves carry (not a rule: nothing turns it off but
 * fixing the directive). A suppression without a reason still suppresses; it is reported so the
 * reason gets written (docs/model.md, "Suppressions and declarations").
 */
export const DIRECTIVE_FINDING_ID = 'suppression-directive';

const DIRECTIVE_MESSAGES = {
  missingReason:
    'This suppression gives no reason after `--`. Say why the finding does not apply here, so a reviewer can judge it.',
} as const;

function directiveFindings(sourceFile: ts.SourceFile): Finding[] {
  return suppressionsOf(sourceFile).problems.map((problem) => ({
    ruleId: DIRECTIVE_FINDING_ID,
    messageId: 'missingReason',
    severity: 'warning',
    message: DIRECTIVE_MESSAGES.missingReason,
    location: locationOf(sourceFile, problem.start, problem.end),
    related: [],
    consumerId: '',
    fixes: [],
  }));
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    a.location.filePath.localeCompare(b.location.filePath) ||
    a.location.start - b.location.start ||
    a.ruleId.localeCompare(b.ruleId)
  );
}
