/**
 * The consumer report (docs/model.md): for one library site (a handler plus what its library
 * decides), the step tree of the handler (handler/flow.ts), the facts of the dataflow over it
 * (dataflow/), its transactions, the declared and effective semantics (semantics.ts) and, when
 * asked for, concrete paths and the crash timeline (derive-timeline.ts).
 * The result is plain data (model/consumer.ts); the rules read nothing else about the consumer.
 */
import { ts } from 'ts-morph';
import type { ResolvedConfig } from '../../config/resolved-config';
import { FAILURE_DESTINATION } from '../effects/messaging';
import { FlowBuilder } from '../handler/flow';
import type { Step } from '../handler/steps';
import { MessageValues } from '../source/message-values';
import { LIBRARIES, type ConsumerSite } from '../libraries';
import { type WrapperCall, forwardedCall, handlerBindings } from '../libraries/wrappers';
import type { ConsumerReport, FlowFacts, Semantics, SourceLocation } from '../../model';
import { computeFacts } from '../dataflow/facts';
import { OccurrenceRegistry } from '../dataflow/occurrences';
import { samplePaths, type PathSample } from '../dataflow/paths';
import { Budget, BudgetExceeded, type BudgetLimits } from '../dataflow/budget';
import { effectiveSemantics, heldUnsettled } from './semantics';
import { crashTimeline } from './derive-timeline';
import { annotateTransactions } from '../handler/transactions';
import { type FunctionWithBody, functionName, isProjectCode, locationOf } from '../source/ast';
import { handlerTags } from '../source/directives';
import { type ParameterBinding, importedModules, resolveFunction } from '../source/symbols';

/** The consumers the libraries recognise in one file (before wrappers are followed). */
export function findSites(sourceFile: ts.SourceFile, program: ts.Program, config: ResolvedConfig): ConsumerSite[] {
  const imports = importedModules(sourceFile);
  const checker = program.getTypeChecker();
  return LIBRARIES.flatMap((library) => library.findConsumers(sourceFile, { checker, program, config, imports }));
}

/** Ids that survive edits above the consumer (no line numbers): file, library, source, handler, ordinal. */
export function assignIds(reports: ConsumerReport[]): void {
  const counts = new Map<string, number>();
  for (const report of reports) {
    const base = `${report.registration.location.filePath}#${report.registration.library}:${report.registration.form}:${report.registration.source ?? ''}:${report.handlerName}`;
    const ordinal = counts.get(base) ?? 0;
    counts.set(base, ordinal + 1);
    report.id = ordinal ? `${base}:${ordinal}` : base;
  }
}

export function buildConsumerReport(
  site: ConsumerSite,
  checker: ts.TypeChecker,
  config: ResolvedConfig,
  call?: WrapperCall,
  /**
   * Derive concrete paths and the crash timeline (--explain); a plain lint does not need them, and
   * the server derives them only when asked ('deferred': ensureTimeline).
   */
  timeline: TimelineMode = true,
  /**
   * The whole program: the project's classes behind an interface or an abstract method, and the
   * handlers a NestJS CQRS bus dispatches to.
   */
  program?: ts.Program,
  /** What this consumer's analysis may spend (dataflow/budget.ts); past it the report is incomplete. */
  limits?: BudgetLimits,
): ConsumerReport {
  const budget = new Budget(limits);
  const values = new MessageValues(checker);
  // The bindings the message is settled through hold the message object itself (a hand-off of it
  // to unseen code may settle it); the others are message-derived data.
  const settleBindings = new Set(site.settleBindings ?? site.messageBindings);
  for (const binding of site.messageBindings)
    if (settleBindings.has(binding)) values.addCarrier(binding);
    else values.addBinding(binding);
  const builder = new FlowBuilder({
    checker,
    program,
    config,
    library: site.library,
    identity: site.library.identity,
    brokerPackage: site.registeredOutside?.module,
    redrive: FAILURE_DESTINATION.test(site.source ?? site.sourceText ?? ''),
    tick: (count) => budget.tick(count),
  });
  const factory = handlerBindings(site, checker);
  builder.bindParameters(factory);
  for (const binding of call?.bindings ?? []) {
    builder.bindParameters(binding.parameters);
    if (binding.call) builder.bindCall(binding.call, binding.callback);
    if (binding.parameter) builder.bindCallback(binding.parameter, binding.callback);
  }
  // Through a wrapper, the handler the user wrote is the callback passed at the call site; through a
  // factory (`new Worker(q, createWorkerHandler(executeEmail))`), the function it was given; and a
  // callback that only forwards the message (`(m) => this.handle(m)`) stands for the function it calls.
  let written = call?.callback ?? (site.body ? undefined : factoryCallback(factory, site.handler, checker));
  const forward = site.body && !call ? undefined : forwardedCall(written ?? site.handler, checker);
  if (forward) {
    builder.bindCall(forward.call, forward.target);
    written = forward.target;
  }
  const implicitAck = site.ackMode === 'implicit-after-return';
  const traits = site.traits ?? site.library.traits;
  // Where the library holds what the handler leaves unsettled, a rule reads how each path leaves.
  const exitDetails = !!heldUnsettled({ traits, ackMode: site.ackMode, settlesByReturn: site.settlesByReturn });
  const handler = written ?? site.handler;
  const handlerRange = locationOf(site.body && !call ? site.body : handler);
  let registry = new OccurrenceRegistry();
  let steps: Step[] = [];
  let flow: FlowFacts;
  let sample: PathSample = { paths: [], sampled: false };
  let overBudget: string | undefined;
  try {
    const handlerSteps = site.body
      ? builder.loopBodySteps(site.handler, site.body, values, { ...site.loop, detached: site.detached, implicitAck })
      : builder.handlerSteps(site.handler, values, { detachedAck: site.detached && implicitAck });
    steps = site.guardedBy
      ? [
          {
            t: 'guarded',
            guard: {
              kind: 'wrapper',
              label: site.guardedBy.label,
              node: site.guardedBy.node,
              keyedByIdentity: true,
              scope: 'message',
              chain: [],
            },
            body: handlerSteps,
          },
        ]
      : handlerSteps;
    flow = computeFacts(steps, registry, { implicitAck, handlerRange, budget, exitDetails });
  } catch (error) {
    // A pathological handler: what was built is dropped and the consumer is incomplete, so every
    // rule stays quiet on it (docs/model.md, "What the analysis cannot see").
    if (!(error instanceof BudgetExceeded)) throw error;
    overBudget = error.reason;
    steps = [];
    registry = new OccurrenceRegistry();
    flow = computeFacts(steps, registry, { implicitAck, handlerRange });
  }
  if (timeline === true && !overBudget) sample = sampleWithin(steps, registry, budget);
  annotateTransactions(steps, registry, checker);
  const tags = handlerTags(handler);
  const registrationNode = call?.node ?? site.registrationNode;
  const registration = locationOf(registrationNode);
  const source = call ? (call.source ?? site.source) : site.source;
  // An own property only: a topic named `constructor` or `__proto__` is not in the config.
  const override =
    tags.delivery ?? (source && Object.hasOwn(config.semantics, source) ? config.semantics[source] : undefined);
  const declared: Semantics = override ?? (site.ackMode === 'auto-before-handler' ? 'at-most-once' : 'at-least-once');
  const report: ConsumerReport = {
    id: '', // set by assignIds, which sees the other consumers of the file
    registration: {
      library: site.library.info.id,
      libraryDisplayName: site.library.info.displayName,
      packageName: importedPackage(site),
      traits,
      transport: site.transport,
      source,
      location: registration,
      ackModeLocation: site.ackModeNode ? locationOf(site.ackModeNode) : undefined,
      ackMode: site.ackMode,
      form: call ? `${site.form} via ${functionName(call.wrapper.wrapper)}()` : site.form,
      batch: site.batch,
      requestReply: site.requestReply,
      wrapperLocation: call ? locationOf(site.registrationNode) : undefined,
      outside: site.registeredOutside && `\`${site.registeredOutside.name}\` of ${site.registeredOutside.module}`,
      settlesByReturn: site.settlesByReturn,
      deadLetterRoute: site.deadLetterRoute,
    },
    handlerName: functionName(handler),
    handlerLocation: site.body && !call ? loopHead(site.body) : handlerHead(handler),
    handlerRange,
    identityHint: site.identityHint,
    // Fixes write code into the handler: only where the identity is expressible in its scope.
    identityExpression: written ? undefined : site.identityExpression,
    identityBinding:
      site.identityBinding && !written
        ? {
            filePath: site.handler.getSourceFile().fileName,
            start: site.identityBinding.position,
            end: site.identityBinding.position,
            newText: site.identityBinding.text,
          }
        : undefined,
    dedupScope: call ? undefined : dedupScope(site, source),
    effects: registry.effects,
    settles: registry.settles,
    guards: registry.guards,
    paths: sample.paths,
    pathsSampled: sample.sampled || undefined,
    flow,
    partial: flow.unknown.length ? flow.unknown : undefined,
    incomplete: site.incomplete ?? overBudget ?? settledOutside(site, registry),
    vouchedIdempotent: tags.idempotent,
    declaredSemanticsOverride: override,
    declaredSemantics: declared,
    effectiveSemantics: declared,
    semanticsReasons: [],
    files: [...new Set([registration.filePath, ...builder.files])],
  };
  const effective = effectiveSemantics(report);
  report.effectiveSemantics = effective.semantics;
  report.semanticsReasons = effective.reasons;
  if (timeline === true) report.timeline = crashTimeline(report);
  else if (timeline === 'deferred' && !overBudget)
    deferredSamples.set(report, () => {
      const later = sampleWithin(steps, registry, new Budget(limits && { ...limits, cancelled: undefined }));
      annotateTransactions(steps, registry, checker); // occurrences the sample met first
      return later;
    });
  return report;
}

/** Whether a report gets its crash timeline now, never, or when asked (ensureTimeline). */
export type TimelineMode = boolean | 'deferred';

/** The path samples of reports built with a deferred timeline, until ensureTimeline takes them. */
const deferredSamples = new WeakMap<ConsumerReport, () => PathSample>();

/**
 * The report's crash timeline, derived now if its build deferred it: the server publishes
 * diagnostics first and samples the paths only for a hover, a code lens or the explainer (up to
 * half of a heavy handler's analysis). A report built without one gets the timeline of no paths.
 */
export function ensureTimeline(report: ConsumerReport): NonNullable<ConsumerReport['timeline']> {
  if (report.timeline) return report.timeline;
  const sample = deferredSamples.get(report);
  if (sample) {
    deferredSamples.delete(report);
    const { paths, sampled } = sample();
    report.paths = paths;
    if (sampled) report.pathsSampled = true;
  }
  const timeline = crashTimeline(report);
  if (sample) report.timeline = timeline;
  return timeline;
}

/**
 * A handler registered outside the project that settles nothing itself: whether the unseen code
 * settles the message before or after it, or at all, decides its delivery, so no rule may judge it
 * (docs/model.md, "Handlers registered outside the project").
 */
function settledOutside(site: ConsumerSite, registry: OccurrenceRegistry): string | undefined {
  if (!site.registeredOutside || registry.settles.length) return undefined;
  const { name, module } = site.registeredOutside;
  return `registered by \`${name}\` of ${module}, outside the project, and the handler settles nothing itself: when the message is settled is unseen`;
}

/** The function a factory was given that its closure runs: the handler as the user wrote it. */
function factoryCallback(
  bindings: readonly ParameterBinding[],
  closure: FunctionWithBody,
  checker: ts.TypeChecker,
): FunctionWithBody | undefined {
  for (const binding of bindings) {
    const fn = resolveFunction(binding.argument, checker);
    if (fn && fn !== closure && isProjectCode(fn)) return fn;
  }
  return undefined;
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

/** The library package the registering file imports (the first of the library's packages it names). */
function importedPackage(site: ConsumerSite): string | undefined {
  const imports = importedModules(site.registrationNode.getSourceFile());
  return site.library.info.packages.find((name) => imports.has(name));
}

/**
 * What a dedup key names besides the identity (ConsumerReport.dedupScope): the module's scope, else
 * the static source; nothing where the identity is unique per queue anyway.
 */
function dedupScope(site: ConsumerSite, source: string | undefined): string | undefined {
  if (site.dedupScope) return site.dedupScope;
  if (site.dedupScope === undefined && source && !source.includes('${…}') && !source.includes(','))
    return source.replace(/[`\\]|\$\{/g, (text) => '\\' + text);
  return (site.traits ?? site.library.traits).code?.identityUniquePerQueue ? '' : undefined;
}

/**
 * The crash timeline's sample of paths, or none when the budget runs out there: the timeline only
 * explains, so the facts the rules read are kept (docs/model.md, "What the analysis cannot see").
 */
function sampleWithin(steps: Step[], registry: OccurrenceRegistry, budget: Budget): PathSample {
  try {
    return samplePaths(steps, registry, budget);
  } catch (error) {
    if (!(error instanceof BudgetExceeded)) throw error;
    return { paths: [], sampled: true };
  }
}
