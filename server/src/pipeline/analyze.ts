/**
 * analyzeFiles: the analysis of a set of files in a TypeScript program, from library sites to
 * suppressed findings (ARCHITECTURE.md, "Pipeline"):
 *
 *   1. library sites: every library module looks for registrations in the broker files, and the lint
 *      files' calls that hand a typed handler to an installed package are consumers registered there;
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
import { ReadRecorder } from './reads';
import { type ProjectSources, setProjectSources } from '../analysis/source/project-sources';
import { assignIds, buildConsumerReport, findSites, type TimelineMode } from '../analysis/report/build';
import { type ConsumerSite, LIBRARIES } from '../analysis/libraries';
import { outsideRegistrations, typedHandlersIn } from '../analysis/libraries/outside-registrations';
import {
  findWrapper,
  findWrapperCalls,
  wrapperModules,
  callerNames,
  wrapperName,
  type WrapperCall,
} from '../analysis/libraries/wrappers';
import { AnalysisCancelled, type BudgetLimits } from '../analysis/dataflow/budget';
import { Suppressions } from '../analysis/source/directives';
import type { SourceReader } from '../analysis/source/reader';
import { type FunctionWithBody, isNode, locationOf, perParsedFile } from '../analysis/source/ast';
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
  /**
   * Derive each consumer's crash timeline (default true; the CLI asks only for --explain, the
   * server defers it to the first hover, code lens or explainer request: ensureTimeline).
   */
  timelines?: TimelineMode;
  /** Builds a consumer's report, or gives one already built that is still valid (analyzeReached). */
  buildReport?: (key: string, build: () => ConsumerReport | undefined) => ConsumerReport | undefined;
  /** The project's files the program has not read, for the whole-project searches (project-sources.ts). */
  sources?: ProjectSources;
  /** What each consumer's analysis may spend, and the run's cancellation (analysis/dataflow/budget.ts). */
  budget?: BudgetLimits;
  /** Only find the consumers and the wrappers (for the CLI's rounds that add wrapper callers): no reports, no rules. */
  discoverOnly?: boolean;
  /** A lint file whose result is no longer wanted (the server: its buffer changed): its consumers are skipped. */
  isStale?: (filePath: string) => boolean;
}

/** What analyzeFiles returns: the analysis result, and what the CLI's run needs to know about it. */
export interface AnalyzedFiles extends AnalysisResult {
  /** Findings a `delivery-lint-disable…` comment dropped (the unused-directive check reads them). */
  suppressed: Finding[];
  /**
   * The lint file each consumer comes from, by consumer id: the file of its registration, or of
   * the call to the wrapper that registers it.
   */
  origins: Map<string, string>;
  /**
   * analyzeReached: the consumers whose analysis searched the whole project (subclasses,
   * subscribers, callers of a function) rather than following imports.
   */
  searched?: ReadonlySet<ConsumerReport>;
  /**
   * Every wrapper found (at every level of a chain), whether or not its callers were analysed: its
   * name, the file that defines it, and the files a caller imports to reach it. Functions declared to
   * take a library's message are listed too: a caller may register them with an installed package.
   */
  wrappers: { name: string; filePath: string; filePaths: string[] }[];
}

/** Rounds of loading before the analysis settles for what it has (a guard against pathological graphs). */
const MAX_LOADING_ROUNDS = 16;

/**
 * analyzeFiles over a program that grows to what the analysis reaches (program.ts,
 * `LoadedProgram`): load the import closure of the files given, analyse, load the files the
 * whole-project searches asked for (and their closure), and again, until a round loads nothing
 * new. The result of the last round is the result.
 */
export function analyzeReached(
  loaded: LoadedProgram,
  options: Omit<AnalyzeOptions, 'program' | 'sources'>,
  projectTexts?: ReadonlyMap<string, string>,
): AnalyzedFiles {
  const reports = loaded.reportCache;
  loaded.loadImportClosure();
  for (let round = 1; ; round++) {
    // Files read since the last analysis (this loop's loading, or wrapper callers added by the CLI).
    reports.added(loaded.takeNewlyLoaded());
    const reads = new ReadRecorder();
    // A report that searched the whole project can change when the files it asked for are read.
    // Without the project's texts nothing unread can be asked for, but each search still tells its test.
    const sources: ProjectSources = {
      unread: new Map([...(projectTexts ?? [])].filter(([fileName]) => !loaded.isLoaded(fileName))),
      wanted: new Set(),
      searched: (search) => reads.readsWholeProgram(search),
    };
    const result = analyzeFiles({
      ...options,
      sources,
      program: reads.recording(loaded.program),
      buildReport: (key, build) => reports.build(key, reads, build),
    });
    // A report is final once every file it read, and every file those import, is loaded: a
    // later round would read the same nodes (loaded files are reused across rebuilds).
    reports.settle((sourceFile) => loaded.isSettled(sourceFile), loaded.program.getSourceFiles());
    // Both, not short-circuited: the files a whole-project search asked for, and what they import.
    const added = loaded.loadFiles(sources.wanted) + loaded.loadImportClosure();
    if (added === 0) return { ...result, searched: reports.searchedWholeProgram() };
    if (round === MAX_LOADING_ROUNDS) {
      loaded.warnings.push(
        `calls were followed through ${MAX_LOADING_ROUNDS} rounds of imports; what lies further was not loaded`,
      );
      return { ...result, searched: reports.searchedWholeProgram() };
    }
  }
}

/** The analysis, run to its end in one go (the CLI). */
export function analyzeFiles(options: AnalyzeOptions): AnalyzedFiles {
  const steps = analysisSteps(options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The analysis in slices (the server): `pause` runs between files and consumers, so the editor's
 * messages are read meanwhile; when the budget's `cancelled` says so the run stops and gives
 * undefined.
 */
export async function analyzeFilesInSlices(
  options: AnalyzeOptions,
  pause: () => Promise<void>,
): Promise<AnalyzedFiles | undefined> {
  const steps = analysisSteps(options);
  try {
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
      await pause();
      if (options.budget?.cancelled?.()) return undefined;
    }
  } catch (error) {
    if (error instanceof AnalysisCancelled) return undefined;
    throw error;
  }
}

/**
 * The analysis as a generator that yields between units of work. Each unit (a file's sites, a
 * consumer's report and rules, a file's file-level rules) runs in a guard: what throws becomes a
 * problem naming the file, and every other unit goes on (docs/model.md, "What the analysis cannot
 * see"). Only a cancellation ends it.
 */
function* analysisSteps(options: AnalyzeOptions): Generator<void, AnalyzedFiles> {
  const { program, config } = options;
  setProjectSources(program, options.sources);
  const checker = program.getTypeChecker();
  const lintFiles = new Set(options.files);
  const buildReport = options.buildReport ?? ((_key, build) => build());
  const problems: FileProblem[] = [];
  const source: SourceReader = {
    sourceText: (filePath) => program.getSourceFile(filePath)?.getFullText(),
    sourceFile: (filePath) => program.getSourceFile(filePath),
    program,
  };
  /** Files whose analysis failed: their consumers are skipped, named once. */
  const failed = new Set<string>();
  const fail = (filePath: string, error: unknown, what = 'its consumers are not analysed'): void => {
    if (error instanceof AnalysisCancelled) throw error;
    if (failed.has(filePath)) return;
    failed.add(filePath);
    problems.push({ filePath, message: `analysis failed (${describeError(error)}); ${what}` });
  };

  // 1. Registrations in every file that imports a broker library.
  const sites: ConsumerSite[] = [];
  const brokerFiles = [...new Set([...(options.brokerFiles ?? []), ...options.files])];
  // Functions declared to take a library's message: their callers may hand them to an installed package.
  const typedHandlers: FunctionWithBody[] = [];
  for (const filePath of brokerFiles) {
    const sourceFile = program.getSourceFile(filePath);
    if (!sourceFile) {
      if (lintFiles.has(filePath))
        problems.push({ filePath, message: 'could not be loaded into the TypeScript program' });
      continue;
    }
    try {
      sites.push(...findSites(sourceFile, program, config));
      typedHandlers.push(...typedHandlersIn(sourceFile, LIBRARIES, checker).map((handler) => handler.fn));
    } catch (error) {
      fail(filePath, error);
    }
    yield;
  }
  // 1b. Handlers registered outside the project: a lint file hands a typed handler to an installed
  // package's function (docs/model.md, "Handlers registered outside the project"). A handler a
  // library already recognises is that registration's.
  const handlers = new Set(sites.map((site) => site.handler));
  for (const filePath of options.files) {
    const sourceFile = program.getSourceFile(filePath);
    if (!sourceFile || failed.has(filePath)) continue;
    try {
      sites.push(...outsideRegistrations(sourceFile, LIBRARIES, program).filter((site) => !handlers.has(site.handler)));
    } catch (error) {
      fail(filePath, error);
    }
    yield;
  }

  // 2. Wrappers: a registration whose handler runs a callback its callers supply; their calls are consumers.
  const wrappers = sites.map((site) => {
    try {
      return { site, wrapper: findWrapper(site, checker) };
    } catch (error) {
      fail(fileOf(site), error);
      return { site, wrapper: undefined };
    }
  });
  const found = wrapperCallsOf(
    wrappers.filter((entry) => entry.wrapper).map((entry) => entry.wrapper!),
    options.files,
    program,
    fail,
  );
  yield;
  const callSites = found.calls.filter((call) => !failed.has(call.node.getSourceFile().fileName));
  // Every function whose callers supply a handler: the CLI looks for its callers in the files it has not loaded.
  // By name and the file that defines it (the cache's key for a wrapper's files, lint.ts).
  const wrapperNames = new Map<string, { name: string; filePath: string; filePaths: Set<string> }>();
  for (const wrapper of found.wrappers) {
    for (const name of callerNames(wrapper)) {
      const filePath = wrapper.wrapper.getSourceFile().fileName;
      const entry = wrapperNames.get(`${name}\0${filePath}`) ?? { name, filePath, filePaths: new Set<string>() };
      for (const file of wrapperModules(wrapper.wrapper, checker)) entry.filePaths.add(file);
      wrapperNames.set(`${name}\0${filePath}`, entry);
    }
  }
  // A typed handler's callers are loaded as a wrapper's are: the call that registers it may be there.
  for (const fn of typedHandlers) {
    const name = wrapperName(fn);
    const filePath = fn.getSourceFile().fileName;
    if (!name || wrapperNames.has(`${name}\0${filePath}`)) continue;
    wrapperNames.set(`${name}\0${filePath}`, { name, filePath, filePaths: new Set([filePath]) });
  }
  const wrapperList = [...wrapperNames.values()].map((entry) => ({ ...entry, filePaths: [...entry.filePaths] }));
  if (options.discoverOnly)
    return {
      consumers: [],
      findings: [],
      problems,
      filesLinted: [...options.files],
      filesAnalyzed: 0,
      suppressed: [],
      origins: new Map(),
      wrappers: wrapperList,
    };

  // 3. Reports for the consumers registered in the lint files, then rules and suppressions.
  const consumers: ConsumerReport[] = [];
  const origin = new Map<ConsumerReport, string>();
  const build = (site: ConsumerSite, call?: WrapperCall): ConsumerReport | undefined => {
    const filePath = call ? call.node.getSourceFile().fileName : fileOf(site);
    if (failed.has(filePath) || options.isStale?.(filePath)) return undefined;
    const key = call ? `${siteKey(site)} called at ${nodeKey(call.node)} for ${nodeKey(call.callback)}` : siteKey(site);
    try {
      return buildReport(key, () =>
        buildConsumerReport(site, checker, config, call, options.timelines ?? true, program, options.budget),
      );
    } catch (error) {
      fail(filePath, error);
      return undefined;
    }
  };
  for (const { site, wrapper } of wrappers) {
    const file = fileOf(site);
    if (!lintFiles.has(file)) continue;
    if (wrapper && callSites.some((call) => call.wrapper.site === site)) continue; // reported at its call sites
    const report = build(site);
    yield;
    if (!report) continue;
    // A callback parameter the handler calls directly, and no caller found: its work is unknown.
    if (wrapper?.direct)
      report.incomplete = `its handler is a callback (${wrapper.parameter.name.getText()}) passed by callers that were not analysed`;
    consumers.push(report);
    origin.set(report, file);
  }
  for (const call of callSites) {
    const report = build(call.site, call);
    yield;
    if (!report) continue;
    consumers.push(report);
    origin.set(report, call.node.getSourceFile().fileName);
  }
  assignIds(consumers);

  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  const seen = new Set<string>();
  let done = 0;
  const kept: ConsumerReport[] = [];
  for (const consumer of consumers) {
    done++;
    options.onProgress?.(done, consumers.length);
    const filePath = consumer.registration.location.filePath;
    try {
      // Kept apart until the rules have all run: a consumer whose rules fail reports nothing.
      const reported: Finding[] = [];
      const dropped: Finding[] = [];
      const keys = new Set<string>();
      for (const finding of runRules(consumer, config, source)) {
        // A wrapper's ack serves every consumer registered through it: one finding, not one per caller.
        const key = `${finding.ruleId}:${finding.location.filePath}:${finding.location.start}`;
        if (seen.has(key) || keys.has(key)) continue;
        keys.add(key);
        (isSuppressed(finding, program) ? dropped : reported).push(finding);
      }
      for (const key of keys) seen.add(key);
      findings.push(...reported);
      suppressed.push(...dropped);
      kept.push(consumer);
    } catch (error) {
      fail(filePath, error, 'its findings are not reported');
    }
  }
  for (const filePath of options.files) {
    const sourceFile = program.getSourceFile(filePath);
    if (!sourceFile || failed.has(filePath)) continue;
    try {
      for (const finding of runFileRules(sourceFile, checker, config, source))
        (isSuppressed(finding, program) ? suppressed : findings).push(finding);
    } catch (error) {
      fail(filePath, error, 'its file-level findings are not reported');
    }
    yield;
  }
  for (const filePath of options.files) {
    const sourceFile = program.getSourceFile(filePath);
    if (sourceFile) findings.push(...directiveFindings(sourceFile));
  }
  findings.sort(compareFindings);
  return {
    consumers: kept,
    findings,
    problems,
    filesLinted: [...options.files],
    filesAnalyzed: options.files.length,
    suppressed,
    origins: new Map(kept.map((consumer) => [consumer.id, origin.get(consumer)!])),
    wrappers: wrapperList,
  };
}

function nodeKey(node: ts.Node): string {
  return `${node.getSourceFile().fileName}:${node.pos}-${node.end}`;
}

/**
 * A consumer site's identity across rounds: everything the library found about it (registration,
 * handler, body, the NestJS transport and traits of the bootstraps loaded so far...), nodes by
 * position. A site that reads differently after more files are loaded gets a new report.
 */
function siteKey(site: ConsumerSite): string {
  return fingerprint(site, 0);
}

function fingerprint(value: unknown, depth: number): string {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? 'fn' : String(value);
  if (isNode(value)) return nodeKey(value);
  if (depth > 6) return '…';
  if (Array.isArray(value)) return `[${value.map((item) => fingerprint(item, depth + 1)).join(',')}]`;
  if ('info' in value && 'findConsumers' in value) return (value as ConsumerSite['library']).info.id;
  const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([key, item]) => `${key}:${fingerprint(item, depth + 1)}`).join(',')}}`;
}

/**
 * The wrappers' callers in the lint files: looked for in all of them at once (a chain of wrappers
 * crosses files); when that fails, file by file, so one file's failure names it and spares the rest.
 */
function wrapperCallsOf(
  wrappers: NonNullable<ReturnType<typeof findWrapper>>[],
  files: readonly string[],
  program: ts.Program,
  fail: (filePath: string, error: unknown, what?: string) => void,
): ReturnType<typeof findWrapperCalls> {
  if (!wrappers.length) return { calls: [], wrappers: [] };
  const checker = program.getTypeChecker();
  const sourceFiles = files.map((file) => program.getSourceFile(file)).filter((file): file is ts.SourceFile => !!file);
  try {
    return findWrapperCalls(wrappers, sourceFiles, checker);
  } catch {
    const found: ReturnType<typeof findWrapperCalls> = { calls: [], wrappers: [] };
    for (const sourceFile of sourceFiles) {
      try {
        const one = findWrapperCalls(wrappers, [sourceFile], checker);
        found.calls.push(...one.calls);
        found.wrappers.push(...one.wrappers);
      } catch (error) {
        fail(sourceFile.fileName, error, 'the consumers it registers through wrappers are not analysed');
      }
    }
    return found;
  }
}

function fileOf(site: ConsumerSite): string {
  return site.registrationNode.getSourceFile().fileName;
}

/** An error in a problem's message: a stack overflow says what it means for the user. */
function describeError(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'its code is nested too deeply';
  return error instanceof Error ? error.message : String(error);
}

const suppressionsOf = perParsedFile((sourceFile) => new Suppressions(sourceFile.getFullText(), sourceFile));

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

export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.location.filePath.localeCompare(b.location.filePath) ||
    a.location.start - b.location.start ||
    a.ruleId.localeCompare(b.ruleId)
  );
}
