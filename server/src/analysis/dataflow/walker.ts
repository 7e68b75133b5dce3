/**
 * A forward analysis over a handler's step tree (flow.ts), generic in what it tracks.
 *
 * The step tree is structured (no goto): branches, loops, switch, try/catch/finally, callee
 * scopes and exits. The walker carries a list of abstract states through it, in execution order,
 * and after every step merges the states that have the same key: the domain decides what a key
 * keeps apart. A domain whose key is the whole event sequence enumerates paths (timeline
 * sampling); a domain whose key is a small typestate is a dataflow whose cost is bounded by the
 * number of typestates, not by the number of paths.
 *
 * Loops run their body zero or one time: a handler's facts are about one message, and the
 * iterations of an item loop are different items (a settle per item is the double-ack rule's
 * own check, not the walker's).
 */
import type { ts } from 'ts-morph';
import type { SourceLocation, TransactionScope } from '../../model';
import { locationOf, perObject } from '../source/ast';
import { catchSiteOf } from '../source/catches';
import { type FunctionText, type Side, type Step, type Truth, isFlagIn, isIdentityGuard } from '../handler/steps';
import type { OccurrenceRegistry } from './occurrences';
import type { Budget } from './budget';

/** How an abstract state leaves the handler or a construct inside it. */
export interface ExitMark {
  kind: 'return' | 'throw' | 'break' | 'continue';
  location: SourceLocation;
  returnsMessage: boolean;
}

/** How the walker tells a domain's states apart. */
export interface StateKeys {
  /** States with equal keys are merged by `join`. */
  key: string;
  /**
   * The key without what only the messages read (where a path leaves, through which catch): past
   * DETAILED_STATES states at one point, states are merged by it, and the first one's details stay.
   * Without it, the key is the typestate.
   */
  coarse?: string;
}

/** What the walker needs from a domain. States are immutable values. */
export interface Domain<S> {
  /** The state's keys: asked once per state (the walker keeps them with the path). */
  keys(state: S): StateKeys;
  /**
   * Merges two states of the same key (or coarse key); returns the first when nothing is added.
   * What it returns has the first one's keys.
   */
  join(into: S, other: S): S;
  /** A step that produces an event (effect, settle, guard outcome, caught failure). */
  effect(state: S, step: Extract<Step, { t: 'effect' }>, context: WalkContext): S;
  settle(state: S, step: Extract<Step, { t: 'settle' }>, context: WalkContext): S;
  guardOutcome(state: S, guard: GuardStep, outcome: 'pass' | 'skip', context: WalkContext): S;
  caught(state: S, caught: CaughtStep, context: WalkContext): S;
  /**
   * The state comes back from a call into a project function, by its end or (`byReturn`) a
   * `return`, whose exit mark it then clears as `mark(state, undefined)` would.
   */
  returnedFrom?(state: S, step: Extract<Step, { t: 'scope' }>, byReturn: boolean): S;
  /** The state enters the try block of `step`. */
  enterTry?(state: S, step: Extract<Step, { t: 'try' }>): S;
  /** The state leaves the catch block of `step` (normally, or by return, throw, break, continue). */
  leftCatch?(state: S, step: Extract<Step, { t: 'try' }>): S;
  /** The state leaves the try statement `step` (after its finally), by any exit. */
  leftTry?(state: S, step: Extract<Step, { t: 'try' }>): S;
  unknown(state: S, step: Extract<Step, { t: 'unknown' }>, context: WalkContext): S;
  /** A state leaves a callback transaction's body: it commits, or (thrown) rolls back. */
  leaveTransaction?(state: S, transaction: TransactionScope): S;
  /**
   * The state leaves by `return`/`throw`/`break`/`continue`, or (`undefined`) a callee's return
   * goes on in its caller. The mark stays until the next event: a `break` out of a loop with
   * nothing after it still ends the path at that `break`.
   */
  mark(state: S, exit: ExitMark | undefined): S;
  /** Keeps at most this many states after a step; beyond it the domain is told it overflowed. */
  readonly cap?: number;
  overflowed?(): void;
}

export interface WalkContext {
  /** Inside a `try` with a handler: an effect may throw into it. */
  inTry: boolean;
  /** Inside a `try` that has a `catch` (in this function or in a caller): a failure here is caught. */
  catching: boolean;
  /** What `inTry` and `catching` were where the current function was called (a returned promise escapes to there). */
  caller: { inTry: boolean; catching: boolean };
  /** Inside a library guard wrapper keyed by the message (Powertools `makeIdempotent`). */
  wrapperGuarded: boolean;
  /**
   * A `return` here ends a function the walk entered as a scope, whose caller clears the exit
   * mark as the path comes back: the mark is not set (a copy of every returning path, cleared at
   * once). Not at the handler's own level, nor directly in a wrapper's body, whose returns go on
   * as the wrapper's.
   */
  returnEndsScope: boolean;
  /** The calls into project functions that led here, outermost first. */
  calls: readonly ts.CallExpression[];
  registry: OccurrenceRegistry;
}

export type GuardStep =
  | { source: 'if'; step: Extract<Step, { t: 'if' }> }
  | { source: 'guarded'; step: Extract<Step, { t: 'guarded' }> }
  | { source: 'claim'; step: Extract<Step, { t: 'try' }> };

export interface CaughtStep {
  step: Extract<Step, { t: 'try' }>;
  location: SourceLocation;
}

/**
 * A domain state on one path, with what the path knows of the flags it tested: the truth of a
 * `const` holding a project function's result (`const processed = await handle(msg)`, known when
 * the callee left by `return false`), and the truth of the `return` the path is leaving by. Paths
 * that know different flags are kept apart, so `if (processed)` takes only the matching side.
 */
interface Tagged<S> {
  s: S;
  flags: string;
  returning?: Truth;
  /** The domain's keys of `s`, once merging asked for them: a copy with another `s` leaves them out. */
  keys?: StateKeys;
}

interface Outcome<S> {
  normal: Tagged<S>[];
  returned: Tagged<S>[];
  thrown: Tagged<S>[];
  /** Thrown past the catches of the current function (a returned promise that rejects). */
  escaped: Tagged<S>[];
  broke: Tagged<S>[];
  continued: Tagged<S>[];
}

/**
 * What paths know of flags, as strings of sorted `id=truth` lines: equal knowledge is one string,
 * which merging compares and hashes once. The few strings a walk makes are read and changed over
 * and over (every flagged call, return and test): each is split, and each change made, once.
 */
class FlagTable {
  private readonly lines = new Map<string, readonly string[]>();
  private readonly truths = new Map<string, Map<string, Truth>>();
  private readonly changes = new Map<string, Map<string, string>>();
  private readonly forgotten = new WeakMap<FunctionText, Map<string, string>>();

  /** The `id=truth` lines of `flags`. */
  linesOf(flags: string): readonly string[] {
    let lines = this.lines.get(flags);
    if (!lines) {
      lines = flags ? flags.split('\n') : [];
      this.lines.set(flags, lines);
    }
    return lines;
  }

  truthOf(flags: string, id: string): Truth | undefined {
    if (!flags) return undefined;
    let truths = this.truths.get(flags);
    if (!truths) {
      truths = new Map();
      for (const line of this.linesOf(flags))
        if (!truths.has(idOf(line))) truths.set(idOf(line), line.slice(line.lastIndexOf('=') + 1) as Truth);
      this.truths.set(flags, truths);
    }
    return truths.get(id);
  }

  /** `flags` knowing `truth` of `id` (nothing of it when undefined). */
  with(flags: string, id: string, truth: Truth | undefined): string {
    let changes = this.changes.get(flags);
    if (!changes) this.changes.set(flags, (changes = new Map<string, string>()));
    const change = truth ? `${id}=${truth}` : `${id}=`;
    let changed = changes.get(change);
    if (changed === undefined) {
      const lines = this.linesOf(flags).filter((line) => idOf(line) !== id);
      changed = (truth ? [...lines, change] : lines).sort().join('\n');
      changes.set(change, changed);
    }
    return changed;
  }

  /** `flags` without what they knew of a function's `const`s, tracked `let`s and results. */
  without(flags: string, locals: FunctionText): string {
    if (!flags) return flags;
    let byFlags = this.forgotten.get(locals);
    if (!byFlags) this.forgotten.set(locals, (byFlags = new Map<string, string>()));
    let kept = byFlags.get(flags);
    if (kept === undefined) {
      kept = this.linesOf(flags)
        .filter((line) => !isFlagIn(idOf(line), locals))
        .join('\n');
      byFlags.set(flags, kept);
    }
    return kept;
  }
}

function idOf(line: string): string {
  return line.slice(0, line.lastIndexOf('='));
}

/** Which of the states at `indexes` of `merged` has the flags and returned value of `state`. */
function sameTags<S>(
  merged: readonly Tagged<S>[],
  indexes: number | readonly number[],
  state: Tagged<S>,
): number | undefined {
  if (typeof indexes === 'number') return sameTagged(merged[indexes], state) ? indexes : undefined;
  return indexes.find((index) => sameTagged(merged[index], state));
}

function sameTagged<S>(a: Tagged<S>, b: Tagged<S>): boolean {
  return a.flags === b.flags && a.returning === b.returning;
}

/** How many paths holding one typestate are kept apart by their flags before the flags are forgotten. */
const FLAGGED_STATES = 4;

/**
 * How many states are kept apart at one point before those that differ only in their details
 * (StateKeys.coarse) merge. The details multiply with every callee's exits and catches, and
 * nothing later depends on them: merging them loses some exit and catch locations of the
 * messages, never a transition.
 */
const DETAILED_STATES = 32;

/** How long a list of exits grows before it is merged (Walker.bound). */
const OUTCOME_MERGE_AT = 256;

const OUTCOME_LISTS = ['normal', 'returned', 'thrown', 'escaped', 'broke', 'continued'] as const;

/** Where and how an exit step leaves: one mark per step, shared by every path that takes it. */
const exitMark = perObject((step: Extract<Step, { t: 'exit' }>): ExitMark => ({
  kind: step.kind,
  location: locationOf(step.node),
  returnsMessage: !!step.returnsMessage,
}));

/**
 * Applies a domain transfer to each path, keeping what the path knows of its flags. A path the
 * transfer leaves as it was (leaving a try whose catch it never entered, an exit mark it already
 * has) is kept as it was, keys and all: a copy was a new object to key and merge.
 */
function lift<S>(states: Tagged<S>[], transfer: (state: S) => S): Tagged<S>[] {
  return states.map((tagged) => {
    const next = transfer(tagged.s);
    return next === tagged.s ? tagged : { ...tagged, s: next, keys: undefined };
  });
}

const unwrapped = <S>(states: Tagged<S>[]): S[] => states.map((tagged) => tagged.s);

export interface WalkResult<S> {
  /** States that fall off the end of the handler. */
  normal: S[];
  returned: S[];
  thrown: S[];
  /** `break`/`continue` at the top of a loop-style handler end the handling of that message. */
  ended: S[];
}

export function walk<S>(
  steps: readonly Step[],
  initial: S,
  domain: Domain<S>,
  registry: OccurrenceRegistry,
  /** Ticked with every state a step is applied to: a pathological handler runs out of it. */
  budget?: Budget,
): WalkResult<S> {
  const walker = new Walker(domain, budget);
  const outcome = walker.run(steps, [{ s: initial, flags: '' }], {
    inTry: false,
    catching: false,
    caller: { inTry: false, catching: false },
    wrapperGuarded: false,
    returnEndsScope: false,
    calls: [],
    registry,
  });
  // The exits are not merged: each keeps where it leaves (the domain's key need not say).
  return {
    normal: unwrapped(outcome.normal),
    returned: unwrapped(outcome.returned),
    thrown: unwrapped([...outcome.thrown, ...outcome.escaped]),
    ended: unwrapped([...outcome.broke, ...outcome.continued]),
  };
}

class Walker<S> {
  private readonly flags = new FlagTable();

  constructor(
    private readonly domain: Domain<S>,
    private readonly budget: Budget | undefined,
  ) {}

  run(steps: readonly Step[], input: Tagged<S>[], context: WalkContext): Outcome<S> {
    let states = input;
    const outcome: Outcome<S> = { normal: [], returned: [], thrown: [], escaped: [], broke: [], continued: [] };
    for (const step of steps) {
      if (!states.length) break;
      this.budget?.tick(states.length);
      states = this.merge(this.step(step, states, context, outcome));
      this.bound(outcome);
    }
    outcome.normal.push(...states);
    return outcome;
  }

  /**
   * The exits gathered so far (every effect in a try adds every state to `thrown`) are merged once
   * a list passes OUTCOME_MERGE_AT, as they would be where they are caught: unmerged, a long try
   * body held thousands of them.
   */
  private bound(outcome: Outcome<S>): void {
    for (const name of OUTCOME_LISTS)
      if (outcome[name].length > OUTCOME_MERGE_AT) outcome[name] = this.merge(outcome[name]);
  }

  /** Merges states with equal keys, keeping the first one's position (and witness). */
  private merge(states: Tagged<S>[]): Tagged<S>[] {
    if (states.length < 2) return states;
    let merged = this.forgetCrowdedFlags(this.mergeBy(states, (keys) => keys.key));
    if (merged.length > DETAILED_STATES && this.keysOf(merged[0]).coarse !== undefined)
      merged = this.mergeBy(merged, (keys) => keys.coarse!);
    const cap = this.domain.cap;
    if (cap !== undefined && merged.length > cap) {
      this.domain.overflowed?.();
      return merged.slice(0, cap);
    }
    return merged;
  }

  /**
   * Paths kept apart only by what they know of tested flags can multiply with every flagged call
   * and return. Where more than FLAGGED_STATES paths hold one typestate (StateKeys.coarse) and some
   * know flags, they forget those they do not all share (both sides of a later test that reads one
   * are taken, as without them); what all of them know alike is kept. Counted
   * per typestate: a caught failure that alone knows `if (!result) throw` hands it on keeps that,
   * however many other paths reach the same point.
   */
  private forgetCrowdedFlags(states: Tagged<S>[]): Tagged<S>[] {
    if (states.length <= FLAGGED_STATES || !states.some((state) => state.flags || state.returning)) return states;
    const typestate = (state: Tagged<S>): string => {
      const keys = this.keysOf(state);
      return keys.coarse ?? keys.key;
    };
    const groups = new Map<string, { size: number; flagged: boolean }>();
    for (const state of states) {
      const key = typestate(state);
      const group = groups.get(key) ?? { size: 0, flagged: false };
      group.size++;
      group.flagged ||= !!state.flags || !!state.returning;
      groups.set(key, group);
    }
    const crowded = new Set(
      [...groups].filter(([, group]) => group.flagged && group.size > FLAGGED_STATES).map(([key]) => key),
    );
    if (!crowded.size) return states;
    // What every path of a crowded typestate knows alike splits none of them: that is kept.
    const shared = new Map<string, { flags: Set<string>; returning: Truth | undefined | null }>();
    for (const state of states) {
      const key = typestate(state);
      if (!crowded.has(key)) continue;
      const entries = this.flags.linesOf(state.flags);
      const known = shared.get(key);
      if (!known) shared.set(key, { flags: new Set(entries), returning: state.returning });
      else {
        for (const entry of known.flags) if (!entries.includes(entry)) known.flags.delete(entry);
        if (known.returning !== state.returning) known.returning = null;
      }
    }
    const joined = new Map<string, string>();
    const forgotten = states.map((state): Tagged<S> => {
      const key = typestate(state);
      const known = shared.get(key);
      if (!known) return state;
      let flags = joined.get(key);
      if (flags === undefined) joined.set(key, (flags = [...known.flags].join('\n')));
      return known.returning
        ? { s: state.s, flags, returning: known.returning, keys: state.keys }
        : { s: state.s, flags, keys: state.keys };
    });
    return this.mergeBy(forgotten, (keys) => keys.key);
  }

  /**
   * Joins the states that share a key, flags and returned value, in order of first appearance.
   * One map by key: the key and flag strings are shared between states and hash once, where a
   * concatenation of them would hash again on every lookup (the largest self time of the CLI on
   * real monorepos). The few states of one key are told apart by flags and returned value in a
   * list: a map per key for them was a ninth of what a run on langfuse allocated (396 of 3,643 MB).
   */
  private mergeBy(states: Tagged<S>[], key: (keys: StateKeys) => string): Tagged<S>[] {
    const byKey = new Map<string, number | number[]>();
    const merged: Tagged<S>[] = [];
    for (const state of states) {
      const stateKey = key(this.keysOf(state));
      const known = byKey.get(stateKey);
      const index = known === undefined ? undefined : sameTags(merged, known, state);
      if (index !== undefined) {
        const previous = merged[index];
        const joined = this.domain.join(previous.s, state.s);
        if (joined !== previous.s) merged[index] = { ...previous, s: joined };
        continue;
      }
      if (known === undefined) byKey.set(stateKey, merged.length);
      else if (typeof known === 'number') byKey.set(stateKey, [known, merged.length]);
      else known.push(merged.length);
      merged.push(state);
    }
    return merged;
  }

  /** A path's keys, asked of the domain once for its state. */
  private keysOf(state: Tagged<S>): StateKeys {
    return (state.keys ??= this.domain.keys(state.s));
  }

  private step(step: Step, states: Tagged<S>[], context: WalkContext, outcome: Outcome<S>): Tagged<S>[] {
    const domain = this.domain;
    switch (step.t) {
      case 'effect': {
        const next = lift(states, (state) => domain.effect(state, step, context));
        // An effect inside a try may throw: the catch is entered after it started.
        if (context.inTry) outcome.thrown.push(...next);
        return next;
      }
      case 'settle':
        return lift(states, (state) => domain.settle(state, step, context));
      case 'unknown':
        return lift(states, (state) => domain.unknown(state, step, context));
      case 'assign':
        return states.map((state) => {
          const flags = this.flags.with(state.flags, step.id, step.value);
          return flags === state.flags ? state : { ...state, flags };
        });
      case 'exit': {
        const mark = exitMark(step);
        const marks = step.kind !== 'return' || !context.returnEndsScope;
        // One copy per path: the domain's mark, and the truth of the value a `return` leaves with.
        const exited = states.map((state): Tagged<S> => {
          const s = marks ? domain.mark(state.s, mark) : state.s;
          const returning =
            step.kind === 'return'
              ? (step.value ?? (step.valueFlag ? this.flags.truthOf(state.flags, step.valueFlag) : undefined))
              : state.returning;
          if (s === state.s && returning === state.returning) return state;
          return { s, flags: state.flags, returning, keys: s === state.s ? state.keys : undefined };
        });
        const target =
          step.kind === 'return'
            ? outcome.returned
            : step.kind === 'throw'
              ? outcome.thrown
              : step.kind === 'break'
                ? outcome.broke
                : outcome.continued;
        target.push(...exited);
        return [];
      }
      case 'if': {
        let thenInput = states;
        let elseInput = states;
        if (step.guard) {
          const guard: GuardStep = { source: 'if', step };
          const pass = lift(states, (state) => domain.guardOutcome(state, guard, 'pass', context));
          const skip = lift(states, (state) => domain.guardOutcome(state, guard, 'skip', context));
          [thenInput, elseInput] = step.guard.thenMeans === 'new' ? [pass, skip] : [skip, pass];
        }
        const flag = step.flag;
        if (flag) {
          // A path that knows the flag takes only the side its truth decides.
          const side = (state: Tagged<S>): Side => {
            const truth = this.flags.truthOf(state.flags, flag.id);
            return truth === 'truthy' ? flag.whenTruthy : truth === 'falsy' ? flag.whenFalsy : 'both';
          };
          thenInput = thenInput.filter((state) => side(state) !== 'else');
          elseInput = elseInput.filter((state) => side(state) !== 'then');
        }
        const thenOut = this.run(step.then, thenInput, context);
        const elseOut = this.run(step.else, elseInput, context);
        this.passExits(outcome, thenOut, 'all');
        this.passExits(outcome, elseOut, 'all');
        return [...thenOut.normal, ...elseOut.normal];
      }
      case 'loop': {
        const body = this.run(step.body, states, context);
        this.passExits(outcome, body, 'none');
        // An endless loop (`while (true)`) is left by `break` only: the turn that runs off its end
        // goes round again, as a retry loop does until the work succeeds.
        if (step.endless) return body.broke;
        return [...states, ...body.normal, ...body.continued, ...body.broke];
      }
      case 'switch': {
        const results: Tagged<S>[] = step.hasDefault ? [] : [...states];
        for (const body of step.cases) {
          const out = this.run(body, states, context);
          this.passExits(outcome, out, 'continue');
          results.push(...out.normal, ...out.broke);
        }
        return results;
      }
      case 'scope': {
        if (step.returnedPromise) {
          // `return promise` (without await) in a try: a rejection passes this function's try/catch
          // and reaches its caller, as a failure of the call.
          const out = this.run(step.body, states, {
            ...context,
            ...context.caller,
            returnEndsScope: true,
            calls: step.call ? [...context.calls, step.call] : context.calls,
          });
          outcome.escaped.push(...out.thrown, ...out.escaped);
          return [
            ...out.normal,
            ...lift(
              out.returned.map(({ returning: _, ...state }) => state),
              (state) => domain.mark(state, undefined),
            ),
          ];
        }
        const detached = step.detached === true;
        const out = this.leftFunction(
          this.run(step.body, states, {
            ...context,
            ...(detached && { inTry: false, catching: false }),
            caller: detached ? { inTry: false, catching: false } : { inTry: context.inTry, catching: context.catching },
            returnEndsScope: true,
            calls: step.call ? [...context.calls, step.call] : context.calls,
          }),
          step.locals,
        );
        // What escaped the callee's catches (a promise it returned from a try) is thrown at its call;
        // a failure of un-awaited work reaches no catch of the caller's.
        out.thrown.push(...out.escaped);
        if (detached) out.thrown.length = 0;
        const transaction = step.transaction;
        const leave = (group: Tagged<S>[]): Tagged<S>[] =>
          transaction && domain.leaveTransaction
            ? lift(group, (state) => domain.leaveTransaction!(state, transaction))
            : group;
        // Merged here: a callee's exits would otherwise pile up, unmerged, along the whole call chain.
        outcome.thrown.push(...this.merge(leave(out.thrown)));
        // A callee's return ends the callee, not the handler: its mark goes (in the same copy as the
        // domain's note of the call, where it keeps one).
        const cameBack = (group: Tagged<S>[], byReturn: boolean): Tagged<S>[] =>
          domain.returnedFrom && step.call
            ? lift(group, (state) => domain.returnedFrom!(state, step, byReturn))
            : byReturn
              ? lift(group, (state) => domain.mark(state, undefined))
              : group;
        const returned = this.merge(cameBack(leave(out.returned), true));
        // Falling off the callee's end returns `undefined`; a `return <literal>` says its truth.
        const result = step.result;
        const back = [
          ...cameBack(leave(out.normal), false).map((state) =>
            result ? { ...state, flags: this.flags.with(state.flags, result, 'falsy') } : state,
          ),
          // A result the callee's return does not tell forgets what an earlier call said.
          ...returned.map((state): Tagged<S> => {
            if (result)
              return { s: state.s, flags: this.flags.with(state.flags, result, state.returning), keys: state.keys };
            return state.returning === undefined ? state : { s: state.s, flags: state.flags, keys: state.keys };
          }),
        ];
        return [...back, ...leave(out.broke), ...leave(out.continued)];
      }
      case 'guarded': {
        const guard: GuardStep = { source: 'guarded', step };
        const entered = lift(states, (state) => domain.guardOutcome(state, guard, 'pass', context));
        const valid = isIdentityGuard(step.guard);
        const out = this.run(step.body, entered, {
          ...context,
          wrapperGuarded: context.wrapperGuarded || valid,
          returnEndsScope: false,
        });
        outcome.thrown.push(...out.thrown);
        outcome.escaped.push(...out.escaped);
        return [...out.normal, ...out.returned.map(({ returning: _, ...state }) => state)];
      }
      case 'try':
        return this.tryStep(step, states, context, outcome);
      default:
        return states;
    }
  }

  private tryStep(
    step: Extract<Step, { t: 'try' }>,
    states: Tagged<S>[],
    context: WalkContext,
    outcome: Outcome<S>,
  ): Tagged<S>[] {
    const domain = this.domain;
    const entered = domain.enterTry ? lift(states, (state) => domain.enterTry!(state, step)) : states;
    const body = this.run(step.body, entered, {
      ...context,
      inTry: true,
      catching: context.catching || !!step.handler,
    });
    outcome.escaped.push(...body.escaped);
    // Something in the try (parsing, validation) may throw before any effect; a chained `.catch`
    // sees only the failures of the work it is called on.
    const bodyThrown = step.chained ? body.thrown : [...entered, ...body.thrown];
    let normal = body.normal;
    if (step.claim) {
      const guard: GuardStep = { source: 'claim', step };
      normal = lift(normal, (state) => domain.guardOutcome(state, guard, 'pass', context));
    }
    let returned = body.returned;
    let thrown: Tagged<S>[];
    let broke = body.broke;
    let continued = body.continued;
    if (step.handler) {
      const site = catchSiteOf(step.catchNode);
      const location = site ? locationOf(site.node, site.keyword.start, site.keyword.end) : undefined;
      const entering = location
        ? lift(this.merge(bodyThrown), (state) => domain.caught(state, { step, location }, context))
        : this.merge(bodyThrown);
      const handled = this.run(step.handler, entering, context);
      outcome.escaped.push(...handled.escaped);
      const left = (group: Tagged<S>[]): Tagged<S>[] =>
        domain.leftCatch && group.length ? lift(group, (state) => domain.leftCatch!(state, step)) : group;
      normal = [...normal, ...left(handled.normal)];
      returned = [...returned, ...left(handled.returned)];
      thrown = left(handled.thrown);
      broke = [...broke, ...left(handled.broke)];
      continued = [...continued, ...left(handled.continued)];
    } else {
      thrown = bodyThrown;
    }
    if (step.finalizer) {
      const finalize = (group: Tagged<S>[]): Tagged<S>[] => {
        if (!group.length) return group;
        // The finally block runs, then the group leaves as it was leaving (return, throw).
        const out = this.run(step.finalizer!, group, { ...context, inTry: false });
        return out.normal;
      };
      normal = finalize(normal);
      returned = finalize(returned);
      thrown = finalize(thrown);
    }
    const leave = (group: Tagged<S>[]): Tagged<S>[] =>
      domain.leftTry && group.length ? this.merge(lift(group, (state) => domain.leftTry!(state, step))) : group;
    outcome.returned.push(...leave(returned));
    outcome.broke.push(...leave(broke));
    outcome.continued.push(...leave(continued));
    outcome.thrown.push(...leave(thrown));
    return leave(normal);
  }

  /**
   * Paths leaving a function forget what they knew of its flags: its `const`s and `let`s are gone,
   * and paths that differed only in them (a helper's `if (saved)` on each side) become one.
   */
  private leftFunction(out: Outcome<S>, locals: FunctionText | undefined): Outcome<S> {
    if (!locals) return out;
    const forget = (state: Tagged<S>): Tagged<S> => {
      const flags = this.flags.without(state.flags, locals);
      return flags === state.flags ? state : { ...state, flags };
    };
    for (const name of OUTCOME_LISTS) out[name] = out[name].map(forget);
    return out;
  }

  /** Exits of a nested construct go on to the enclosing one: `all`, only `continue`s (switch), or `none` of break/continue (loop). */
  private passExits(into: Outcome<S>, from: Outcome<S>, loopExits: 'all' | 'continue' | 'none'): void {
    into.returned.push(...from.returned);
    into.thrown.push(...from.thrown);
    into.escaped.push(...from.escaped);
    if (loopExits === 'all') {
      into.broke.push(...from.broke);
      into.continued.push(...from.continued);
    } else if (loopExits === 'continue') {
      into.continued.push(...from.continued);
    }
  }
}
