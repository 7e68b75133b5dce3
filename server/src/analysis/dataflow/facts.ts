/**
 * The dataflow that the rules read: one walk over the handler's step tree whose state is a small
 * typestate per path, so its cost is bounded by the typestates a handler can be in, not by the
 * number of its paths.
 *
 * The typestate (the state's key) holds what decides later transitions: the first ack, the first
 * settle and whether another followed, whether a valid message guard passed, the dedup checks
 * passed before the ack, the state of a caught failure, and how the path is leaving. States with
 * the same typestate merge; what they carry besides (effects waiting for a later guard, an ack,
 * or a failing exit) merges by union. That is exact for what the rules ask, which is always
 * "is there a path on which ...": two paths in the same typestate at a point have the same
 * futures, so anything one of them has seen can be followed by anything the other goes on to do.
 *
 * Facts name occurrences (effects, settles, guards) and carry a witness: the events of one
 * concrete path that makes them true.
 */
import { ts } from 'ts-morph';
import type {
  EffectOccurrence,
  FlowFacts,
  GuardOccurrence,
  PathEvent,
  SettleOccurrence,
  SourceLocation,
  TransactionScope,
  WitnessedExit,
} from '../../model';
import { forEachStep, isIdentityGuard, locallyGuarded, type EffectTemplate, type Step } from '../handler/steps';
import { isEndlessLoop, iteratesMessageBatch, locationOf, perObject } from '../source/ast';
import { handsFailureOn, isFailureRouting } from '../effects/failure-routing';
import { reachedWithin } from '../source/locate';
import { catchSiteOf, type CatchSite } from '../source/catches';
import { OccurrenceRegistry, isPositiveSettle } from './occurrences';
import { type OccurrenceSet, OccurrenceUniverse } from './occurrence-set';
import type { Budget } from './budget';
import {
  walk,
  type CaughtStep,
  type Domain,
  type ExitMark,
  type GuardStep,
  type StateKeys,
  type WalkContext,
} from './walker';

export interface FactOptions {
  /** The library acks when the handler returns (implicit-after-return). */
  implicitAck: boolean;
  /** The handler's body range: a try in a loop inside it guards one item, not the message. */
  handlerRange: SourceLocation;
  /** The consumer's budget (budget.ts). */
  budget?: Budget;
  /**
   * A rule reads through which catch and after which call each path leaves the handler (the
   * unsettled-message rule, where the library holds what the handler leaves unsettled): paths are
   * kept apart by them. Elsewhere nothing reads them, and paths that differ only there merge.
   */
  exitDetails?: boolean;
}

/** A persistent list of events, newest first: states share their common prefix. */
interface Witness {
  readonly event: PathEvent;
  readonly previous: Witness | undefined;
  readonly length: number;
}

/** A try the path entered and has not left yet: a stack, innermost first. */
interface TryEntry {
  readonly step: Extract<Step, { t: 'try' }>;
  readonly processed: boolean;
  readonly outer: TryEntry | undefined;
}

/** After the first failure of the processing is caught: what the path has done with it. */
interface FailureWatch {
  site: CatchSite;
  caught: SourceLocation;
  /** The path is still in the catch block (it has not left it yet). */
  inCatch: boolean;
  /**
   * The try's processing was left running by the handler (an un-awaited chain): its catch runs
   * after the handler's own settle or return, so only a settle in the same chain is judged.
   */
  detached: boolean;
  /** A failure destination was written, or the failure recorded, inside the catch. */
  handedOn: boolean;
  /** A request/reply handler answered its caller inside the catch. */
  replied: boolean;
  /** The catch and the calls that led to it: where the try stands in the handler's code. */
  position: string;
}

/** The first settle after a caught failure: judged with how the path leaves. */
interface FailureSettled {
  caught: SourceLocation;
  settle: SettleOccurrence;
  position: string;
}

interface FactState {
  // ---- the typestate: part of the key ----
  ack?: SettleOccurrence;
  firstSettle?: SettleOccurrence;
  /** A settle other than the first one ran after it. */
  otherSettle: boolean;
  /** A valid message-level guard said "new" (or a claim in a try succeeded). */
  guardPassed: boolean;
  /** Before the ack: an atomic guard (claim, wrapper) keyed by the identity passed. */
  atomic: boolean;
  /** Before the ack: the first message-level identity check that passed. */
  messageCheck?: GuardOccurrence;
  /**
   * Before the ack: the last entity-level identity check that passed, on each of the merged paths
   * (carried, not keyed: an effect is charged to each, as some path ran it after that check).
   */
  entityChecks: OccurrenceSet<GuardOccurrence>;
  failure: 'idle' | 'done' | FailureWatch | FailureSettled;
  /** An awaited processing effect (not a dedup record) completed on this path. */
  processed: boolean;
  /**
   * Before the ack: the message was published to a dead-letter or failure destination (awaited).
   * The ack after it moves the message there: what follows is failure handling, not processing
   * the ack loses.
   */
  deadLettered: boolean;
  /**
   * The trys (with a catch) the path is inside, innermost first, and whether processing had
   * completed when each was entered (its catch then guards one step, not the processing).
   */
  tryEntry?: TryEntry;
  /** A failure was caught on this path (any catch). */
  failing: boolean;
  lastCaught?: { location: SourceLocation; enclosesProcessing: boolean };
  hasEvents: boolean;
  /** A call that could not be followed ran on this path. */
  unknown?: string;
  /** The message was handed to code the analysis does not see (why). */
  handedOff?: string;
  /** A call that could not be followed decided a branch on this path: it may have been a dedup check. */
  maybeGuarded: boolean;
  exit?: ExitMark;
  /**
   * The last step was a return from a call into a project function (cleared by the next event);
   * noted only where exit details are read (FactOptions.exitDetails).
   */
  via?: { location: SourceLocation; callee: string };
  // ---- carried along, merged by union ----
  /** Unguarded effects before the ack, waiting to learn whether a message guard comes later. */
  unguarded: OccurrenceSet<EffectOccurrence>;
  /** Un-awaited processing effects before the ack, waiting for the ack (or the end). */
  dropped: OccurrenceSet<EffectOccurrence>;
  /** Database writes before the ack in a callback transaction that has not committed yet. */
  uncommitted: OccurrenceSet<EffectOccurrence>;
  /** Awaited processing effects before the first settle (what may throw before it). */
  beforeSettle: OccurrenceSet<EffectOccurrence>;
  /** Identity checks and claims that passed. */
  passed: OccurrenceSet<GuardOccurrence>;
  /** Effects after a claim on a path not (yet) failing: a release if the path then throws. */
  afterClaim: ReadonlySet<string>;
  witness: Witness | undefined;
}

export function computeFacts(steps: readonly Step[], registry: OccurrenceRegistry, options: FactOptions): FlowFacts {
  const collector = new FactCollector(options);
  const domain = new FactDomain(collector, options);
  // Every field is present from the start, in one order: all states then share one shape, which
  // keeps the copy each transition makes, and every read of a field, on V8's fast path.
  const initial: FactState = {
    ack: undefined,
    firstSettle: undefined,
    messageCheck: undefined,
    tryEntry: undefined,
    lastCaught: undefined,
    unknown: undefined,
    handedOff: undefined,
    exit: undefined,
    via: undefined,
    otherSettle: false,
    guardPassed: false,
    atomic: false,
    failure: 'idle',
    processed: false,
    deadLettered: false,
    failing: false,
    hasEvents: false,
    maybeGuarded: false,
    unguarded: domain.effects.empty,
    dropped: domain.effects.empty,
    uncommitted: domain.effects.empty,
    beforeSettle: domain.effects.empty,
    passed: domain.guards.empty,
    entityChecks: domain.guards.empty,
    afterClaim: EMPTY,
    witness: undefined,
  };
  const result = walk(steps, initial, domain, registry, options.budget);
  const ends: [FactState[], WitnessedExit['exit']][] = [
    [result.normal, 'end'],
    [result.ended, 'end'],
    [result.returned, 'return'],
    [result.thrown, 'throw'],
  ];
  for (const [states, exit] of ends) for (const state of states) collector.exit(state, exit);
  return collector.facts(registry);
}

/** The claim keys of `afterClaim`: few, and strings, so a hash set. */
const EMPTY: ReadonlySet<never> = new Set();

function union<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): ReadonlySet<T> {
  if (!b.size || a === b) return a;
  if (!a.size) return b;
  let merged: Set<T> | undefined;
  for (const item of b) {
    if (a.has(item) || merged?.has(item)) continue;
    merged ??= new Set(a);
    merged.add(item);
  }
  return merged ?? a;
}

function added<T>(set: ReadonlySet<T>, item: T): ReadonlySet<T> {
  if (set.has(item)) return set;
  const next = new Set(set);
  next.add(item);
  return next;
}

function materialize(witness: Witness | undefined): PathEvent[] {
  const events: PathEvent[] = new Array<PathEvent>(witness?.length ?? 0);
  for (let node = witness; node; node = node.previous) events[node.length - 1] = node.event;
  return events;
}

/** The entry of `step` in a path's try stack (trys a throw left early are still above it). */
function entryOf(entry: TryEntry | undefined, step: Extract<Step, { t: 'try' }>): TryEntry | undefined {
  for (let at = entry; at; at = at.outer) if (at.step === step) return at;
  return undefined;
}

/** Whether an entity-level check gates this effect (judgeGuards marks what it gates). */
function gates(effect: EffectTemplate, check: GuardOccurrence, context: WalkContext): boolean {
  return !!effect.gatedBy?.some((template) => context.registry.guard(template) === check);
}

class FactDomain implements Domain<FactState> {
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  /** The callback transaction each database write commits with. */
  private readonly commits = new Map<EffectOccurrence, TransactionScope>();
  /** The connection (a transaction's) each effect runs on. */
  private readonly connections = new Map<EffectOccurrence, string>();
  /** What the states' sets of effects and of guards are made of. */
  readonly effects = new OccurrenceUniverse<EffectOccurrence>();
  readonly guards = new OccurrenceUniverse<GuardOccurrence>();

  constructor(
    private readonly facts: FactCollector,
    private readonly options: FactOptions,
  ) {}

  private id(value: object | undefined): number {
    if (!value) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(value, id);
    }
    return id;
  }

  keys(state: FactState): StateKeys {
    const coarse = this.typestate(state);
    return { key: `${coarse}|${this.details(state)}`, coarse };
  }

  /**
   * Where the path leaves, and (exitDetails) through which catch and after which call: only the
   * messages read them (walker.ts, DETAILED_STATES).
   */
  private details(state: FactState): string {
    const exit = state.exit ? `${state.exit.location.filePath}:${state.exit.location.start}` : '';
    if (!this.options.exitDetails) return exit;
    const caught = state.lastCaught ? state.lastCaught.location.start : '';
    const via = state.via ? `${state.via.location.filePath}:${state.via.location.start}` : '';
    return `${exit}|${caught}|${via}`;
  }

  /**
   * What decides later transitions (the key without the details). A field no later transition or
   * exit can read is left out, so paths that differ only there merge: what the dedup checks
   * passed (`atomic`, `messageCheck`) and whether an unseen call may have been one (`maybeGuarded`)
   * are read only before the ack; the trys a path is in, and whether processing had completed
   * when it entered them, only while no caught failure has been seen (`failure` 'idle'), and a
   * failure never goes back to 'idle'. Whether the path had events, met an unseen call, handed the
   * message off, which catch it went through and whether it came back from a call are read only
   * by its exit record, and kept only where a rule reads that (FactOptions.exitDetails).
   */
  private typestate(state: FactState): string {
    const acked = !!state.ack;
    const failureIdle = state.failure === 'idle';
    const failure =
      typeof state.failure === 'string'
        ? state.failure
        : 'settle' in state.failure
          ? `s${state.failure.caught.start}:${this.id(state.failure.settle)}`
          : `${this.id(state.failure.site.node)}${state.failure.handedOn ? 'h' : ''}${state.failure.replied ? 'r' : ''}${state.failure.inCatch ? 'c' : ''}${state.failure.detached ? 'd' : ''}`;
    const exit = state.exit ? `${state.exit.kind}${state.exit.returnsMessage ? 'm' : ''}` : '';
    const exitDetails = this.options.exitDetails;
    const caught = state.lastCaught && exitDetails ? (state.lastCaught.enclosesProcessing ? 'p' : 'c') : '';
    // The yes/no fields as bits of one number: this runs for every new state the walk makes.
    const bits =
      (state.otherSettle ? 1 : 0) |
      (state.guardPassed ? 2 : 0) |
      (state.atomic && !acked ? 4 : 0) |
      (state.processed && failureIdle ? 8 : 0) |
      (state.deadLettered ? 16 : 0) |
      (state.failing ? 32 : 0) |
      (state.maybeGuarded && !acked ? 512 : 0) |
      (exitDetails ? this.exitBits(state) : 0);
    const ids = `${this.id(state.ack)}|${this.id(state.firstSettle)}|${acked ? 0 : this.id(state.messageCheck)}`;
    const tries = failureIdle ? this.tryKey(state.tryEntry) : '';
    return `${ids}|${bits}|${failure}|${tries}|${caught}|${exit}`;
  }

  /** What only a path's exit record reads (FactOptions.exitDetails). */
  private exitBits(state: FactState): number {
    return (
      (state.hasEvents ? 64 : 0) | (state.unknown ? 128 : 0) | (state.handedOff ? 256 : 0) | (state.via ? 1024 : 0)
    );
  }

  private tryKey(entry: TryEntry | undefined): string {
    let key = '';
    for (let at = entry; at; at = at.outer) key += `${this.id(at.step)}${at.processed ? 'p' : ''},`;
    return key;
  }

  join(into: FactState, other: FactState): FactState {
    const unguarded = into.unguarded.union(other.unguarded);
    const dropped = into.dropped.union(other.dropped);
    const uncommitted = into.uncommitted.union(other.uncommitted);
    const beforeSettle = into.beforeSettle.union(other.beforeSettle);
    const passed = into.passed.union(other.passed);
    const entityChecks = into.entityChecks.union(other.entityChecks);
    const afterClaim = union(into.afterClaim, other.afterClaim);
    if (
      unguarded === into.unguarded &&
      dropped === into.dropped &&
      uncommitted === into.uncommitted &&
      beforeSettle === into.beforeSettle &&
      passed === into.passed &&
      entityChecks === into.entityChecks &&
      afterClaim === into.afterClaim
    )
      return into;
    return { ...into, unguarded, dropped, uncommitted, beforeSettle, passed, entityChecks, afterClaim };
  }

  mark(state: FactState, exit: ExitMark | undefined): FactState {
    return state.exit === exit ? state : { ...state, exit };
  }

  private record(state: FactState, event: PathEvent): FactState {
    const length = (state.witness?.length ?? 0) + 1;
    return {
      ...state,
      exit: undefined,
      via: undefined,
      hasEvents: true,
      witness: { event, previous: state.witness, length },
    };
  }

  effect(state: FactState, step: Extract<Step, { t: 'effect' }>, context: WalkContext): FactState {
    const effect = context.registry.effect(step.effect);
    const guarded = state.guardPassed || context.wrapperGuarded || locallyGuarded(step.effect);
    const event: PathEvent = { kind: 'effect', effect, completion: step.completion, guarded };
    const next = this.record(state, event);
    const processing = effect.description.processing;
    const awaited = step.completion === 'awaited';
    this.facts.reached(effect);

    // Ordering: the ack-before-process and dedup rules.
    if (state.ack) {
      if (processing && !state.deadLettered) this.facts.afterAck(state.ack, effect, next.witness);
    } else {
      // After an unseen call that decided a branch, a guard may have passed: the dedup rules cannot tell.
      if (awaited && !guarded && !state.maybeGuarded) {
        this.facts.unprotected(effect, next.witness);
        next.unguarded = next.unguarded.with(effect);
      }
      if (processing && !awaited) next.dropped = next.dropped.with(effect);
      if (step.effect.commitsWith) {
        this.commits.set(effect, step.effect.commitsWith);
        next.uncommitted = next.uncommitted.with(effect);
      }
      this.dedupChecks(next, effect, step, guarded, context);
      for (const guard of state.passed) {
        if (guard.kind === 'claim') this.facts.claimWork(guard, effect);
      }
    }
    // Queries on one connection run in order: this one completing completes those queued before it.
    const connection = step.effect.connection;
    if (connection) {
      this.connections.set(effect, connection);
      if (awaited) next.dropped = this.completedOn(next.dropped, connection);
    }
    // A failure here leaves the handler unless a catch (here or in a caller) takes it.
    if (!state.firstSettle && processing && awaited && !context.catching)
      next.beforeSettle = next.beforeSettle.with(effect);
    if (processing && awaited && effect.description.class !== 'dedup-record' && !isFailureRouting(effect))
      next.processed = true;
    if (!state.ack && awaited && isFailureRouting(effect)) next.deadLettered = true;
    for (const guard of state.passed) {
      // An entity-level check records only a write it gates: a write after its `if` is not its record.
      if (guard.kind === 'check') {
        if (guard.scope !== 'entity' || gates(step.effect, guard, context)) this.facts.writeAfterCheck(guard, effect);
      } else if (guard.kind === 'claim') {
        if (state.failing) this.facts.failureWorkAfterClaim(guard, effect);
        else next.afterClaim = added(next.afterClaim, `${guard.id}:${effect.id}`);
      }
    }
    return this.watchFailure(next, effect, step.effect.node);
  }

  /** racyChecks: an unsafe effect charged to the identity check that lets it run. */
  private dedupChecks(
    state: FactState,
    effect: EffectOccurrence,
    step: Extract<Step, { t: 'effect' }>,
    guarded: boolean,
    context: WalkContext,
  ): void {
    if (state.atomic || step.completion !== 'awaited') return;
    if (state.messageCheck) this.facts.chargedToCheck(state.messageCheck, effect);
    else if (guarded)
      for (const check of state.entityChecks)
        if (gates(step.effect, check, context)) this.facts.chargedToCheck(check, effect);
  }

  settle(state: FactState, step: Extract<Step, { t: 'settle' }>, context: WalkContext): FactState {
    const settle = context.registry.settle(step.settle);
    const event: PathEvent = { kind: 'settle', settle, completion: step.completion };
    const next = this.record(state, event);
    if (!state.firstSettle) {
      next.firstSettle = settle;
      for (const effect of state.beforeSettle) this.facts.beforeFirstSettle(effect);
      next.beforeSettle = this.effects.empty;
    } else {
      if (settle !== state.firstSettle) next.otherSettle = true;
      if (settle !== state.firstSettle) this.facts.secondSettle(settle, state.firstSettle, next.witness);
    }
    if (!state.ack && isPositiveSettle(settle)) {
      next.ack = settle;
      for (const effect of state.dropped) this.facts.unawaited(effect, settle);
      next.dropped = this.effects.empty;
      for (const effect of state.uncommitted)
        this.facts.beforeCommit(settle, this.commits.get(effect)!, effect, next.witness);
      next.uncommitted = this.effects.empty;
    }
    if (typeof state.failure === 'object' && !('settle' in state.failure)) {
      // The first settle after a caught failure decides whether it was swallowed (with how the path leaves).
      // A catch in a chain the handler left running runs after the handler's own settle.
      const afterIt = state.failure.detached && step.completion !== 'dropped';
      next.failure =
        state.failure.handedOn || state.failure.replied || afterIt
          ? 'done'
          : { caught: state.failure.caught, settle, position: state.failure.position };
    }
    return next;
  }

  guardOutcome(state: FactState, guardStep: GuardStep, outcome: 'pass' | 'skip', context: WalkContext): FactState {
    const template =
      guardStep.source === 'if'
        ? guardStep.step.guard!.guard
        : guardStep.source === 'guarded'
          ? guardStep.step.guard
          : guardStep.step.claim!;
    const guard = context.registry.guard(template);
    this.facts.reachedGuard(guard);
    const event: PathEvent = outcome === 'pass' ? { kind: 'guard-pass', guard } : { kind: 'guard-skip', guard };
    const next = this.record(state, event);
    if (guard.scope === 'message') {
      // Effects that ran before it on this path ran before the handler's check.
      for (const effect of state.unguarded) this.facts.beforeGuard(effect);
    }
    if (outcome === 'skip') return next;
    if (guardStep.source === 'if')
      next.guardPassed = state.guardPassed || (isIdentityGuard(guard) && guard.scope === 'message');
    else if (guardStep.source === 'claim') next.guardPassed = true;
    if (!state.ack) {
      if (isIdentityGuard(guard) && guard.scope === 'message' && (guard.kind === 'claim' || guard.kind === 'wrapper'))
        next.atomic = true;
      else if (guard.kind === 'check' && isIdentityGuard(guard)) {
        if (guard.scope === 'message') next.messageCheck = state.messageCheck ?? guard;
        else next.entityChecks = this.guards.of(guard);
      }
    }
    if (guard.kind === 'check' || guard.kind === 'claim') {
      if (!state.passed.has(guard)) this.facts.passedGuard(guard);
      next.passed = state.passed.with(guard);
    }
    return next;
  }

  caught(state: FactState, caught: CaughtStep, context: WalkContext): FactState {
    const event: PathEvent = {
      kind: 'caught',
      location: caught.location,
      enclosesProcessing: caught.step.enclosesProcessing,
    };
    let next = this.record(state, event);
    next.failing = true;
    // The publish to a dead-letter destination failed and was caught: the path was still moving the
    // message there, and what follows is failure handling as after a published one.
    if (!state.ack && routesFailure(caught.step)) next.deadLettered = true;
    next.lastCaught = { location: caught.location, enclosesProcessing: caught.step.enclosesProcessing };
    // Effects after a claim on this path now run on a failure path: releases count.
    for (const key of state.afterClaim) this.facts.failureWorkAfterClaimKey(key);
    next.afterClaim = EMPTY;
    next = this.watchCaught(next, caught, context);
    return next;
  }

  /** The transaction commits (or rolls back): its writes are no longer waiting, nor its queued queries. */
  leaveTransaction(state: FactState, transaction: TransactionScope): FactState {
    const uncommitted = state.uncommitted.without((effect) => this.commits.get(effect)?.id === transaction.id);
    const dropped = this.completedOn(state.dropped, transaction.id);
    if (uncommitted === state.uncommitted && dropped === state.dropped) return state;
    return { ...state, uncommitted, dropped };
  }

  private completedOn(dropped: OccurrenceSet<EffectOccurrence>, connection: string): OccurrenceSet<EffectOccurrence> {
    return dropped.without((effect) => this.connections.get(effect) === connection);
  }

  unknown(state: FactState, step: Extract<Step, { t: 'unknown' }>): FactState {
    const watching = typeof state.failure === 'object' && !('settle' in state.failure);
    if (step.handoff) {
      // The message itself went where the analysis cannot see: it may be settled (or, where the
      // handler settles explicitly, nacked) there. Not a call left unfollowed: the report is not partial.
      return {
        ...state,
        handedOff: state.handedOff ?? step.reason,
        failure: watching && !this.options.implicitAck ? 'done' : state.failure,
        // Whether this message is settled at all is the configuration's: so is whether what
        // follows can run twice. The dedup rules do not judge it (docs/model.md, "Settles").
        maybeGuarded: state.maybeGuarded || !!step.configured,
      };
    }
    if (step.noIdentity) return state.maybeGuarded ? state : { ...state, maybeGuarded: true };
    this.facts.unknownStep(step.reason);
    // What the unseen call did to a caught failure (handed it on?) cannot be told either.
    return {
      ...state,
      unknown: state.unknown ?? step.reason,
      maybeGuarded: state.maybeGuarded || step.inCondition,
      failure: watching ? 'done' : state.failure,
    };
  }

  // ---- failures: swallowed-failure-ack ----------------------------------------------------------

  private watchCaught(state: FactState, caught: CaughtStep, context: WalkContext): FactState {
    const site = catchSiteOf(caught.step.catchNode);
    if (!site) return state;
    const failure = state.failure;
    if (failure === 'done' || (typeof failure === 'object' && 'settle' in failure)) return state;
    if (failure === 'idle') {
      if (!caught.step.enclosesProcessing) return state;
      // A try inside a loop over items (not the message loop) guards one step; the loop goes on. So
      // does a try in a function called from inside such a loop (it guards that item's step).
      const range = this.options.handlerRange;
      if (insideItemLoop(site.construct, range) || context.calls.some((call) => insideItemLoop(call, range)))
        return { ...state, failure: 'done' };
      // Processing completed before the try: it encloses one further step, not the processing as a
      // whole. That is where the try stands, so it holds on every path through it (facts: furtherStep).
      const position = positionOf(caught, context);
      if (entryOf(state.tryEntry, caught.step)?.processed) {
        this.facts.furtherStep(position);
        return { ...state, failure: 'done' };
      }
      return { ...state, failure: this.watch(site, caught, position) };
    }
    // Caught again: inside this catch (something in it threw and was caught there), or after it
    // (the failure was rethrown): then the outer catch is the one that decides.
    if (failure.inCatch) return state;
    if (!caught.step.enclosesProcessing) return { ...state, failure: 'done' };
    return { ...state, failure: this.watch(site, caught, positionOf(caught, context)) };
  }

  private watch(site: CatchSite, caught: CaughtStep, position: string): FailureWatch {
    return {
      site,
      caught: caught.location,
      inCatch: true,
      detached: leftRunning(caught.step),
      handedOn: handsOnInCatch(site.body),
      replied: false,
      position,
    };
  }

  returnedFrom(state: FactState, step: Extract<Step, { t: 'scope' }>, byReturn: boolean): FactState {
    // Which call a path came back from is read only by its exit record (FactOptions.exitDetails).
    if (!step.call || step.callee === undefined || !this.options.exitDetails)
      return byReturn ? this.mark(state, undefined) : state;
    return { ...state, via: returnVia(step), exit: byReturn ? undefined : state.exit };
  }

  enterTry(state: FactState, step: Extract<Step, { t: 'try' }>): FactState {
    if (!step.handler) return state;
    return { ...state, tryEntry: { step, processed: state.processed, outer: state.tryEntry } };
  }

  /** The path leaves the try statement (by any exit): later catches belong to the trys around it. */
  leftTry(state: FactState, step: Extract<Step, { t: 'try' }>): FactState {
    const entry = entryOf(state.tryEntry, step);
    return entry ? { ...state, tryEntry: entry.outer } : state;
  }

  leftCatch(state: FactState, step: Extract<Step, { t: 'try' }>): FactState {
    const failure = state.failure;
    if (typeof failure !== 'object' || 'settle' in failure || !failure.inCatch || failure.site.node !== step.catchNode)
      return state;
    return { ...state, failure: { ...failure, inCatch: false } };
  }

  private watchFailure(state: FactState, effect: EffectOccurrence, node: ts.Node): FactState {
    const failure = state.failure;
    if (typeof failure !== 'object' || 'settle' in failure) return state;
    if (failure.inCatch) {
      const text = `${node.getText()} ${effect.chain.map((link) => link.callee).join(' ')}`;
      const handedOn = failure.handedOn || (effect.description.processing && handsFailureOn(effect, text));
      const replied = failure.replied || (!effect.description.processing && /reply/i.test(effect.description.label));
      if (handedOn === failure.handedOn && replied === failure.replied) return state;
      return { ...state, failure: { ...failure, handedOn, replied } };
    }
    const finallyBlock = failure.site.finallyBlock;
    if (finallyBlock && reachedWithin(effect, finallyBlock)) return state;
    // Processing goes on after the catch (a cache fill of its result too): the try was a best-effort step.
    if (effect.description.processing || effect.description.category === 'cache') return { ...state, failure: 'done' };
    return state;
  }
}

/** What the walk found, gathered per occurrence and first-found order. */
class FactCollector {
  private readonly unprotectedRuns = new Map<EffectOccurrence, { beforeGuard: boolean; witness: PathEvent[] }>();
  private readonly afterAckRuns = new Map<SettleOccurrence, { effects: Set<EffectOccurrence>; witness: PathEvent[] }>();
  private readonly unawaitedRuns = new Map<EffectOccurrence, SettleOccurrence | undefined>();
  private readonly beforeCommitRuns = new Map<
    SettleOccurrence,
    { transaction: TransactionScope; effects: Set<EffectOccurrence>; witness: PathEvent[] }
  >();
  private readonly checks = new Map<GuardOccurrence, Set<EffectOccurrence>>();
  private readonly writesAfter = new Map<GuardOccurrence, Set<EffectOccurrence>>();
  private readonly claimWorkRuns = new Map<GuardOccurrence, Set<EffectOccurrence>>();
  private readonly failureWork = new Map<GuardOccurrence, Set<EffectOccurrence>>();
  private readonly passedGuards = new Set<GuardOccurrence>();
  private readonly secondSettles = new Map<SettleOccurrence, { first: SettleOccurrence; witness: PathEvent[] }>();
  private readonly soleSettles = new Set<SettleOccurrence>();
  private readonly escapeCandidates = new Set<EffectOccurrence>();
  private readonly failureOutcomes: FlowFacts['failures'] = [];
  private readonly failureKeys = new Set<string>();
  private readonly failurePositions = new Map<FlowFacts['failures'][number], string>();
  /** Catches (with the calls that led to them) that some path reached with the processing done. */
  private readonly furtherSteps = new Set<string>();
  private readonly exits: WitnessedExit[] = [];
  private readonly exitKeys = new Set<string>();
  private readonly throwAfterSettle = new Map<string, { settle: SettleOccurrence; exitLocation?: SourceLocation }>();
  private readonly unknownReasons = new Set<string>();
  private readonly guardsById = new Map<number, GuardOccurrence>();
  private readonly effectsById = new Map<number, EffectOccurrence>();

  constructor(private readonly options: FactOptions) {}

  reached(effect: EffectOccurrence): void {
    this.effectsById.set(effect.id, effect);
  }

  reachedGuard(guard: GuardOccurrence): void {
    this.guardsById.set(guard.id, guard);
  }

  unprotected(effect: EffectOccurrence, witness: Witness | undefined): void {
    if (!this.unprotectedRuns.has(effect))
      this.unprotectedRuns.set(effect, { beforeGuard: false, witness: materialize(witness) });
  }

  beforeGuard(effect: EffectOccurrence): void {
    const run = this.unprotectedRuns.get(effect);
    if (run) run.beforeGuard = true;
  }

  afterAck(settle: SettleOccurrence, effect: EffectOccurrence, witness: Witness | undefined): void {
    let run = this.afterAckRuns.get(settle);
    if (!run) {
      run = { effects: new Set(), witness: materialize(witness) };
      this.afterAckRuns.set(settle, run);
    }
    run.effects.add(effect);
  }

  beforeCommit(
    settle: SettleOccurrence,
    transaction: TransactionScope,
    effect: EffectOccurrence,
    witness: Witness | undefined,
  ): void {
    let run = this.beforeCommitRuns.get(settle);
    if (!run) {
      run = { transaction, effects: new Set(), witness: materialize(witness) };
      this.beforeCommitRuns.set(settle, run);
    }
    run.effects.add(effect);
  }

  unawaited(effect: EffectOccurrence, ack: SettleOccurrence | undefined): void {
    if (!this.unawaitedRuns.has(effect)) this.unawaitedRuns.set(effect, ack);
  }

  chargedToCheck(guard: GuardOccurrence, effect: EffectOccurrence): void {
    addTo(this.checks, guard, effect);
  }

  writeAfterCheck(guard: GuardOccurrence, effect: EffectOccurrence): void {
    addTo(this.writesAfter, guard, effect);
  }

  claimWork(guard: GuardOccurrence, effect: EffectOccurrence): void {
    addTo(this.claimWorkRuns, guard, effect);
  }

  failureWorkAfterClaim(guard: GuardOccurrence, effect: EffectOccurrence): void {
    addTo(this.failureWork, guard, effect);
  }

  failureWorkAfterClaimKey(key: string): void {
    const [guardId, effectId] = key.split(':').map(Number);
    const guard = this.guardsById.get(guardId);
    const effect = this.effectsById.get(effectId);
    if (guard && effect) addTo(this.failureWork, guard, effect);
  }

  /**
   * A path reached this catch (at this position) with the processing already done: its try is a
   * further step there, so no path's failure through it is the processing's.
   */
  furtherStep(position: string): void {
    this.furtherSteps.add(position);
  }

  passedGuard(guard: GuardOccurrence): void {
    this.passedGuards.add(guard);
  }

  secondSettle(settle: SettleOccurrence, first: SettleOccurrence, witness: Witness | undefined): void {
    if (!this.secondSettles.has(settle)) this.secondSettles.set(settle, { first, witness: materialize(witness) });
  }

  beforeFirstSettle(effect: EffectOccurrence): void {
    this.escapeCandidates.add(effect);
  }

  unknownStep(reason: string): void {
    this.unknownReasons.add(reason);
  }

  /** A path leaves the handler. */
  exit(state: FactState, exit: WitnessedExit['exit']): void {
    const mark = state.exit;
    // Un-awaited work on a path with no ack: left running when the library acks on return.
    if (!state.ack && this.options.implicitAck) for (const effect of state.dropped) this.unawaited(effect, undefined);
    if (exit === 'throw') {
      for (const key of state.afterClaim) this.failureWorkAfterClaimKey(key);
      if (state.firstSettle && isPositiveSettle(state.firstSettle)) {
        const key = `${state.firstSettle.id}:${mark?.location.start ?? ''}`;
        if (!this.throwAfterSettle.has(key))
          this.throwAfterSettle.set(key, { settle: state.firstSettle, exitLocation: mark?.location });
      }
    }
    if (state.firstSettle && !state.otherSettle) this.soleSettles.add(state.firstSettle);
    const failure = state.failure;
    if (
      typeof failure === 'object' &&
      ('settle' in failure || (exit !== 'throw' && !failure.handedOn && !failure.replied && !failure.detached))
    ) {
      const settle = 'settle' in failure ? failure.settle : undefined;
      const key = `${failure.caught.filePath}:${failure.caught.start}:${settle?.id ?? ''}:${exit}:${mark?.location.start ?? ''}:${mark?.returnsMessage ? 1 : 0}`;
      if (!this.failureKeys.has(key)) {
        this.failureKeys.add(key);
        const outcome = {
          caught: failure.caught,
          settle,
          exit: { exit, location: mark?.location, returnsMessage: !!mark?.returnsMessage },
          witness: materialize(state.witness),
        };
        this.failureOutcomes.push(outcome);
        this.failurePositions.set(outcome, failure.position);
      }
    }
    const via = !mark && exit !== 'throw' ? state.via : undefined;
    const key = `${exit}:${mark?.location.filePath ?? ''}:${mark?.location.start ?? ''}:${mark?.returnsMessage ? 1 : 0}:${state.firstSettle ? 1 : 0}:${state.hasEvents ? 1 : 0}:${state.lastCaught?.location.start ?? ''}:${state.lastCaught?.enclosesProcessing ? 1 : 0}:${state.unknown ? 1 : 0}:${state.handedOff ? 1 : 0}:${via ? `${via.location.filePath}@${via.location.start}` : ''}`;
    if (this.exitKeys.has(key)) return;
    this.exitKeys.add(key);
    this.exits.push({
      exit,
      location: mark?.location,
      returnsMessage: !!mark?.returnsMessage,
      settled: !!state.firstSettle,
      hasEvents: state.hasEvents,
      lastCaught: state.lastCaught,
      unknown: state.unknown,
      handedOff: state.handedOff,
      via,
      witness: materialize(state.witness),
    });
  }

  facts(registry: OccurrenceRegistry): FlowFacts {
    const bySource = <T extends { handlerLocation: SourceLocation; location: SourceLocation }>(a: T, b: T): number =>
      a.handlerLocation.start - b.handlerLocation.start || a.location.start - b.location.start;
    void registry;
    return {
      unprotected: [...this.unprotectedRuns].map(([effect, run]) => ({
        effect,
        beforeGuard: run.beforeGuard,
        witness: run.witness,
      })),
      afterAck: [...this.afterAckRuns].map(([settle, run]) => ({
        settle,
        effects: [...run.effects],
        witness: run.witness,
      })),
      unawaited: [...this.unawaitedRuns].map(([effect, beforeAck]) => ({ effect, beforeAck })),
      beforeCommit: [...this.beforeCommitRuns].map(([settle, run]) => ({
        settle,
        transaction: run.transaction,
        effects: [...run.effects],
        witness: run.witness,
      })),
      checks: [...this.checks].map(([guard, effects]) => ({
        guard,
        effects: [...effects],
        writesAfter: [...(this.writesAfter.get(guard) ?? [])],
      })),
      claims: [...this.passedGuards]
        .filter((guard) => guard.kind === 'claim')
        .map((guard) => ({
          guard,
          work: [...(this.claimWorkRuns.get(guard) ?? [])],
          onFailurePath: [...(this.failureWork.get(guard) ?? [])],
        })),
      secondSettles: [...this.secondSettles].map(([settle, run]) => ({
        settle,
        first: run.first,
        witness: run.witness,
      })),
      soleSettles: [...this.soleSettles],
      settlesBeforeThrow: [...this.throwAfterSettle.values()],
      escapeCandidates: [...this.escapeCandidates].sort(bySource),
      failures: this.failureOutcomes.filter((outcome) => !this.furtherSteps.has(this.failurePositions.get(outcome)!)),
      exits: this.exits,
      unknown: [...this.unknownReasons],
    };
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

/** The call a path came back from: one per scope step, shared by every path that returns through it. */
const returnVia = perObject((step: Extract<Step, { t: 'scope' }>): NonNullable<FactState['via']> => ({
  location: locationOf(step.call!),
  callee: step.callee!,
}));

/**
 * Whether every processing effect a try encloses was left running (not awaited by the handler).
 * Asked for every path a failure reaches the catch on: kept per try.
 */
const leftRunning = perObject((step: Extract<Step, { t: 'try' }>): boolean => {
  let processing = 0;
  let dropped = 0;
  forEachStep(step.body, (inner) => {
    if (inner.t !== 'effect' || !inner.effect.description.processing) return;
    processing++;
    if (inner.completion === 'dropped') dropped++;
  });
  return processing > 0 && processing === dropped;
});

/** A catch body that hands the failure to the broker's own failure handling (`job.discard()`, `moveToFailed`). */
const handsOnInCatch = perObject((body: ts.Node): boolean =>
  /\.(discard|moveToFailed|moveToDelayed|deadLetterMessage)\s*\(/.test(body.getText()),
);

/**
 * Whether the try sits in a loop over items inside the handler (a best-effort step per item,
 * after which the loop goes on), rather than in the loop that receives the messages.
 */
/** Whether `from` (a try statement, or a call) sits in a loop over items of its own function. */
function insideItemLoop(from: ts.Node, handlerRange: SourceLocation): boolean {
  let node: ts.Node = from.parent;
  while (node && !ts.isFunctionLike(node) && !ts.isSourceFile(node)) {
    if (ts.isIterationStatement(node, false) && !isEndlessLoop(node)) {
      const body = node.statement;
      const isHandlerBody =
        body.getStart() === handlerRange.start && body.getSourceFile().fileName === handlerRange.filePath;
      // eachBatch / handleMessageBatch / Lambda: the loop over the batch is the message loop.
      const overBatch = ts.isForOfStatement(node) && iteratesMessageBatch(node);
      return !isHandlerBody && !overBatch;
    }
    node = node.parent;
  }
  return false;
}

/** Where a caught try stands: the catch, and the calls into project functions that led to it. */
function positionOf(caught: CaughtStep, context: WalkContext): string {
  const calls = context.calls.map((call) => `${call.getSourceFile().fileName}:${call.pos}`).join('>');
  return `${caught.location.filePath}:${caught.location.start}<${calls}`;
}

const failureRoutingTrys = new WeakMap<Extract<Step, { t: 'try' }>, boolean>();

/** A try whose work publishes the message to a dead-letter or failure destination. */
function routesFailure(step: Extract<Step, { t: 'try' }>): boolean {
  let routes = failureRoutingTrys.get(step);
  if (routes === undefined) {
    routes = false;
    forEachStep(step.body, (inner) => void (routes ||= inner.t === 'effect' && isFailureRouting(inner.effect)));
    failureRoutingTrys.set(step, routes);
  }
  return routes;
}
