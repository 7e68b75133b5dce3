/**
 * The editor-independent analysis: finds the consumers in a set of source files, builds each
 * handler's delivery model, runs the rules and applies suppressions. The CLI and the language
 * server both call `analyzeFiles` with a ts.Program they own.
 */
import { ts } from 'ts-morph';
import type { ResolvedConfig } from '../config/types';
import { runRules } from '../rules/run';
import type { FixContext } from '../rules/fixes/context';
import { FlowBuilder } from './flow';
import { MessageValues } from './identity';
import { LIBRARIES, type ConsumerSite } from './libraries';
import type { AnalysisResult, ConsumerReport, FileProblem, Finding, Semantics, SourceLocation } from './model';
import { OccurrenceRegistry, enumeratePaths } from './paths';
import { effectiveSemantics } from './semantics';
import { functionName, locationOf } from './source';
import { Suppressions, handlerTags } from './suppressions';
import { importedModules } from './symbols';

export interface AnalyzeOptions {
  program: ts.Program;
  /** Absolute paths of the files to lint. */
  files: readonly string[];
  config: ResolvedConfig;
  /** Current text of files, for fixes (the editor's buffers in the server). */
  sourceText?: (filePath: string) => string | undefined;
  onProgress?: (done: number, total: number) => void;
}

export function analyzeFiles(options: AnalyzeOptions): AnalysisResult {
  const { program, config } = options;
  const checker = program.getTypeChecker();
  const consumers: ConsumerReport[] = [];
  const findings: Finding[] = [];
  const problems: FileProblem[] = [];
  const fixContext: FixContext = {
    config,
    sourceText: (filePath) => options.sourceText?.(filePath) ?? program.getSourceFile(filePath)?.getFullText(),
    sourceFile: (filePath) => program.getSourceFile(filePath),
  };
  let done = 0;
  for (const filePath of options.files) {
    const sourceFile = program.getSourceFile(filePath);
    done++;
    options.onProgress?.(done, options.files.length);
    if (!sourceFile) {
      problems.push({ filePath, message: 'could not be loaded into the TypeScript program' });
      continue;
    }
    try {
      const fileConsumers = analyzeSourceFile(sourceFile, checker, config);
      const suppressions = new Suppressions(sourceFile.getFullText(), sourceFile);
      for (const consumer of fileConsumers) {
        consumers.push(consumer);
        const reported = runRules(consumer, config, fixContext);
        findings.push(...reported.filter((finding) => !isSuppressed(finding, program, suppressions, sourceFile)));
      }
    } catch (error) {
      problems.push({ filePath, message: `analysis failed: ${(error as Error).message}` });
    }
  }
  findings.sort(compareFindings);
  return { consumers, findings, problems, filesLinted: [...options.files], filesAnalyzed: options.files.length };
}

function isSuppressed(finding: Finding, program: ts.Program, fileSuppressions: Suppressions, sourceFile: ts.SourceFile): boolean {
  if (finding.location.filePath === sourceFile.fileName) return fileSuppressions.isSuppressed(finding.ruleId, finding.location.line);
  const other = program.getSourceFile(finding.location.filePath);
  return !!other && new Suppressions(other.getFullText()).isSuppressed(finding.ruleId, finding.location.line);
}

function compareFindings(a: Finding, b: Finding): number {
  return a.location.filePath.localeCompare(b.location.filePath) || a.location.start - b.location.start || a.ruleId.localeCompare(b.ruleId);
}

/** Consumers registered in one file, with their handlers analysed. */
export function analyzeSourceFile(sourceFile: ts.SourceFile, checker: ts.TypeChecker, config: ResolvedConfig): ConsumerReport[] {
  const imports = importedModules(sourceFile);
  const reports: ConsumerReport[] = [];
  for (const library of LIBRARIES) {
    for (const site of library.findConsumers(sourceFile, { checker, config, imports })) {
      reports.push(buildConsumerReport(site, checker, config));
    }
  }
  // Ids that survive edits above the consumer (no line numbers): file, library, source, handler, ordinal.
  const counts = new Map<string, number>();
  for (const report of reports) {
    const base = `${sourceFile.fileName}#${report.registration.library}:${report.registration.form}:${report.registration.source ?? ''}:${report.handlerName}`;
    const ordinal = counts.get(base) ?? 0;
    counts.set(base, ordinal + 1);
    report.id = ordinal ? `${base}:${ordinal}` : base;
  }
  return reports;
}

export function buildConsumerReport(site: ConsumerSite, checker: ts.TypeChecker, config: ResolvedConfig): ConsumerReport {
  const values = new MessageValues(checker);
  for (const binding of site.messageBindings) values.addBinding(binding);
  const builder = new FlowBuilder({ checker, config, library: site.library, libraryId: site.library.info.id, identity: site.library.identity });
  const steps = builder.handlerSteps(site.handler, values);
  const registry = new OccurrenceRegistry();
  const { paths, incomplete } = enumeratePaths(steps, registry);
  const tags = handlerTags(site.handler);
  const registration = locationOf(site.registrationNode);
  const override = tags.delivery ?? (site.source ? config.semantics[site.source] : undefined);
  const declared: Semantics = override ?? (site.ackMode === 'auto-before-handler' ? 'at-most-once' : 'at-least-once');
  const report: ConsumerReport = {
    id: '', // set by analyzeSourceFile, which sees the file's other consumers
    registration: {
      library: site.library.info.id,
      libraryDisplayName: site.library.info.displayName,
      source: site.source,
      location: registration,
      ackModeLocation: site.ackModeNode ? locationOf(site.ackModeNode) : undefined,
      ackMode: site.ackMode,
      form: site.form,
    },
    handlerName: functionName(site.handler),
    handlerLocation: handlerHead(site.handler),
    handlerRange: locationOf(site.handler),
    identityHint: site.identityHint,
    identityExpression: site.identityExpression,
    identityBinding: site.identityBinding
      ? { filePath: site.handler.getSourceFile().fileName, start: site.identityBinding.position, end: site.identityBinding.position, newText: site.identityBinding.text }
      : undefined,
    effects: registry.effects,
    settles: registry.settles,
    guards: registry.guards,
    paths,
    incomplete: incomplete ?? builder.truncated,
    vouchedIdempotent: tags.idempotent,
    declaredSemanticsOverride: override,
    declaredSemantics: declared,
    effectiveSemantics: declared,
    semanticsReasons: [],
  };
  const effective = effectiveSemantics(report);
  report.effectiveSemantics = effective.semantics;
  report.semanticsReasons = effective.reasons;
  return report;
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
