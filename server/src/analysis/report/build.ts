/**
 * The editor-independent analysis: finds the consumers in a set of source files, builds each
 * handler's delivery model, runs the rules and applies suppressions. The CLI and the language
 * server both call `analyzeFiles` with a ts.Program they own.
 */
import { ts } from 'ts-morph';
import type { ResolvedConfig } from '../../config/types';
import { runFileRules, runRules } from '../../rules/run';
import type { FixContext } from '../../rules/fixes/context';
import { FlowBuilder } from '../handler/flow';
import type { Step } from '../handler/steps';
import { MessageValues } from '../source/message-values';
import { LIBRARIES, type ConsumerSite } from '../libraries';
import { WrapperCall, findWrapper, findWrapperCalls } from '../libraries/wrappers';
import type { AnalysisResult, ConsumerReport, FileProblem, Finding, Semantics, SourceLocation } from '../../model';
import { OccurrenceRegistry, enumeratePaths } from '../paths';
import { effectiveSemantics } from './semantics';
import { crashTimeline } from './crash-timeline';
import { annotateTransactions } from '../handler/transactions';
import { functionName, locationOf } from '../source/ast';
import { Suppressions, handlerTags } from '../source/directives';
import { importedModules } from '../source/symbols';

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
  /** Current text of files, for fixes (the editor's buffers in the server). */
  sourceText?: (filePath: string) => string | undefined;
  onProgress?: (done: number, total: number) => void;
}

export function analyzeFiles(options: AnalyzeOptions): AnalysisResult {
  const { program, config } = options;
  const checker = program.getTypeChecker();
  const lintFiles = new Set(options.files);
  const problems: FileProblem[] = [];
  const fixContext: FixContext = {
    config,
    sourceText: (filePath) => options.sourceText?.(filePath) ?? program.getSourceFile(filePath)?.getFullText(),
    sourceFile: (filePath) => program.getSourceFile(filePath),
  };

  // 1. Registrations in every file that imports a broker library.
  const sites: ConsumerSite[] = [];
  const brokerFiles = [...new Set([...(options.brokerFiles ?? []), ...options.files])];
  for (const filePath of brokerFiles) {
    const sourceFile = program.getSourceFile(filePath);
    if (!sourceFile) {
      if (lintFiles.has(filePath)) problems.push({ filePath, message: 'could not be loaded into the TypeScript program' });
      continue;
    }
    try {
      sites.push(...findSites(sourceFile, program, config));
    } catch (error) {
      problems.push({ filePath, message: `analysis failed: ${(error as Error).message}` });
    }
  }

  // 2. Wrappers: a registration whose handler calls a callback parameter; its callers are consumers.
  const wrappers = sites.map((site) => ({ site, wrapper: findWrapper(site, checker) }));
  const callSites = findWrapperCalls(
    wrappers.filter((entry) => entry.wrapper).map((entry) => entry.wrapper!),
    options.files.map((file) => program.getSourceFile(file)).filter((file): file is ts.SourceFile => !!file),
    checker,
  );

  // 3. Reports for the consumers registered in the lint files, then rules and suppressions.
  const consumers: ConsumerReport[] = [];
  const unresolvedWrappers: { name: string; filePath: string }[] = [];
  let done = 0;
  for (const { site, wrapper } of wrappers) {
    if (!lintFiles.has(site.registrationNode.getSourceFile().fileName)) continue;
    if (wrapper && callSites.some((call) => call.wrapper === wrapper)) continue; // reported at its call sites
    const report = guarded(problems, site, () => buildConsumerReport(site, checker, config));
    if (!report) continue;
    if (wrapper) {
      report.incomplete = `its handler is a callback (${wrapper.parameter.name.getText()}) passed by callers that were not analysed`;
      unresolvedWrappers.push({ name: functionName(wrapper.wrapper).split('.').pop()!, filePath: wrapper.wrapper.getSourceFile().fileName });
    }
    consumers.push(report);
  }
  for (const call of callSites) {
    const report = guarded(problems, call.site, () => buildConsumerReport(call.site, checker, config, call));
    if (report) consumers.push(report);
  }
  assignIds(consumers);

  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const consumer of consumers) {
    done++;
    options.onProgress?.(done, consumers.length);
    for (const finding of runRules(consumer, config, fixContext)) {
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
      findings.push(...runFileRules(sourceFile, checker, config, fixContext).filter((finding) => !isSuppressed(finding, program)));
    } catch (error) {
      problems.push({ filePath, message: `analysis failed: ${(error as Error).message}` });
    }
  }
  findings.sort(compareFindings);
  return { consumers, findings, problems, filesLinted: [...options.files], filesAnalyzed: options.files.length, unresolvedWrappers };
}

function guarded<T>(problems: FileProblem[], site: ConsumerSite, build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    problems.push({ filePath: site.registrationNode.getSourceFile().fileName, message: `analysis failed: ${(error as Error).message}` });
    return undefined;
  }
}

const suppressionCache = new WeakMap<ts.SourceFile, Suppressions>();

function isSuppressed(finding: Finding, program: ts.Program): boolean {
  const sourceFile = program.getSourceFile(finding.location.filePath);
  if (!sourceFile) return false;
  let suppressions = suppressionCache.get(sourceFile);
  if (!suppressions) {
    suppressions = new Suppressions(sourceFile.getFullText(), sourceFile);
    suppressionCache.set(sourceFile, suppressions);
  }
  return suppressions.isSuppressed(finding.ruleId, finding.location.line);
}

function compareFindings(a: Finding, b: Finding): number {
  return a.location.filePath.localeCompare(b.location.filePath) || a.location.start - b.location.start || a.ruleId.localeCompare(b.ruleId);
}

function findSites(sourceFile: ts.SourceFile, program: ts.Program, config: ResolvedConfig): ConsumerSite[] {
  const imports = importedModules(sourceFile);
  const checker = program.getTypeChecker();
  return LIBRARIES.flatMap((library) => library.findConsumers(sourceFile, { checker, program, config, imports }));
}

/** Consumers registered in one file, with their handlers analysed (no wrapper following). */
export function analyzeSourceFile(sourceFile: ts.SourceFile, program: ts.Program, config: ResolvedConfig): ConsumerReport[] {
  const checker = program.getTypeChecker();
  const reports = findSites(sourceFile, program, config).map((site) => buildConsumerReport(site, checker, config));
  assignIds(reports);
  return reports;
}

/** Ids that survive edits above the consumer (no line numbers): file, library, source, handler, ordinal. */
function assignIds(reports: ConsumerReport[]): void {
  const counts = new Map<string, number>();
  for (const report of reports) {
    const base = `${report.registration.location.filePath}#${report.registration.library}:${report.registration.form}:${report.registration.source ?? ''}:${report.handlerName}`;
    const ordinal = counts.get(base) ?? 0;
    counts.set(base, ordinal + 1);
    report.id = ordinal ? `${base}:${ordinal}` : base;
  }
}

export function buildConsumerReport(site: ConsumerSite, checker: ts.TypeChecker, config: ResolvedConfig, call?: WrapperCall): ConsumerReport {
  const values = new MessageValues(checker);
  for (const binding of site.messageBindings) values.addBinding(binding);
  const builder = new FlowBuilder({ checker, config, library: site.library, libraryId: site.library.info.id, identity: site.library.identity });
  if (call) builder.bindCallback(call.wrapper.parameter, call.callback);
  const implicitAck = site.ackMode === 'implicit-after-return';
  const handlerSteps = site.body
    ? builder.loopBodySteps(site.handler, site.body, values, { ...site.loop, detached: site.detached, implicitAck })
    : builder.handlerSteps(site.handler, values, { detachedAck: site.detached && implicitAck });
  const steps: Step[] = site.guardedBy
    ? [{ t: 'guarded', guard: { kind: 'wrapper', label: site.guardedBy.label, node: site.guardedBy.node, keyedByIdentity: true, scope: 'message', chain: [] }, body: handlerSteps }]
    : handlerSteps;
  const registry = new OccurrenceRegistry();
  const { paths, incomplete } = enumeratePaths(steps, registry);
  annotateTransactions(steps, registry, checker);
  // Through a wrapper, the handler the user wrote is the callback passed at the call site.
  const handler = call?.callback ?? site.handler;
  const tags = handlerTags(handler);
  const registrationNode = call?.node ?? site.registrationNode;
  const registration = locationOf(registrationNode);
  const source = call ? call.source ?? site.source : site.source;
  const override = tags.delivery ?? (source ? config.semantics[source] : undefined);
  const declared: Semantics = override ?? (site.ackMode === 'auto-before-handler' ? 'at-most-once' : 'at-least-once');
  const report: ConsumerReport = {
    id: '', // set by assignIds, which sees the other consumers of the file
    registration: {
      library: site.library.info.id,
      libraryDisplayName: site.library.info.displayName,
      source,
      location: registration,
      ackModeLocation: site.ackModeNode ? locationOf(site.ackModeNode) : undefined,
      ackMode: site.ackMode,
      form: call ? `${site.form} via ${functionName(call.wrapper.wrapper)}()` : site.form,
      wrapperLocation: call ? locationOf(site.registrationNode) : undefined,
      settlesByReturn: site.settlesByReturn,
      deadLetterRoute: site.deadLetterRoute,
    },
    handlerName: functionName(handler),
    handlerLocation: site.body && !call ? loopHead(site.body) : handlerHead(handler),
    handlerRange: locationOf(site.body && !call ? site.body : handler),
    identityHint: site.identityHint,
    // Fixes write code into the handler: only where the identity is expressible in its scope.
    identityExpression: call ? undefined : site.identityExpression,
    identityBinding:
      site.identityBinding && !call
        ? { filePath: site.handler.getSourceFile().fileName, start: site.identityBinding.position, end: site.identityBinding.position, newText: site.identityBinding.text }
        : undefined,
    effects: registry.effects,
    settles: registry.settles,
    guards: registry.guards,
    paths,
    incomplete: site.incomplete ?? incomplete ?? builder.truncated,
    vouchedIdempotent: tags.idempotent,
    declaredSemanticsOverride: override,
    declaredSemantics: declared,
    effectiveSemantics: declared,
    semanticsReasons: [],
  };
  const effective = effectiveSemantics(report);
  report.effectiveSemantics = effective.semantics;
  report.semanticsReasons = effective.reasons;
  report.timeline = crashTimeline(report);
  return report;
}

/** The head of a loop-style handler: `for (const message of Messages)`. */
function loopHead(body: ts.Node): SourceLocation {
  const loop = body.parent;
  const end = body.getStart();
  const start = loop.getStart();
  const text = loop.getSourceFile().text;
  const newline = text.indexOf('\n', start);
  return locationOf(loop, start, Math.max(start + 1, newline >= 0 && newline < end ? newline : end));
}

/** The head of a handler: its name, or `async ({ message }) =>` up to the body, on one line. */
export function handlerHead(handler: ts.FunctionLikeDeclaration): SourceLocation {
  if (handler.name && !ts.isArrowFunction(handler)) return locationOf(handler.name);
  const start = handler.getStart();
  const bodyStart = handler.body ? handler.body.getStart() : handler.getEnd();
  const text = handler.getSourceFile().text;
  const newline = text.indexOf('\n', start);
  let end = newline >= 0 && newline < bodyStart ? newline : bodyStart;
  while (end > start && /\s|\{/.test(text[end - 1])) end--;
  return locationOf(handler, start, Math.max(end, start + 1));
}
