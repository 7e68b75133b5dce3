/**
 * The step tree: a handler's control-flow skeleton as FlowBuilder (flow.ts) builds it and the
 * dataflow (analysis/dataflow/) walks it. Effects, settles and guards are templates here (a node and
 * the call chain that reached it); the walk turns them into the model's occurrences.
 */
import type { ts } from 'ts-morph';
import type { CallChainLink, EffectDescription, GuardKind, SettleOccurrence, TransactionScope } from '../../model';
import type { MessageValues } from '../source/message-values';

export type Completion = 'awaited' | 'dropped';

export interface EffectTemplate {
  description: EffectDescription;
  node: ts.Node;
  keyText?: string;
  keyedByMessage: boolean;
  /**
   * The entity-level checks that gate it (their "new" side, or the rest of a list they leave
   * early): it is protected by them (get-or-create), not by the handler's guard.
   */
  gatedBy?: readonly GuardTemplate[];
  /** An insert keyed by the message that fails on a duplicate (effects/matcher.ts, ClassifiedCall). */
  uniqueInsert?: boolean;
  chain: CallChainLink[];
  /**
   * A database write inside a callback transaction (`sequelize.transaction(async () => …)`): it is
   * durable only when that transaction commits, as its callback returns.
   */
  commitsWith?: TransactionScope;
  /**
   * The connection the call runs on when it is one (a transaction's): queries on one connection run
   * in order, so a later awaited query or the commit on it completes this one too.
   */
  connection?: string;
}

/** Ack, commit, resolve an offset, delete, complete: the broker will not deliver the message again. */
export const POSITIVE_SETTLE_KINDS: ReadonlySet<SettleOccurrence['kind']> = new Set<SettleOccurrence['kind']>([
  'ack',
  'commit',
  'resolve-offset',
  'delete',
  'complete',
]);

export interface SettleTemplate {
  kind: SettleOccurrence['kind'];
  label: string;
  requeue?: boolean;
  node: ts.Node;
  chain: CallChainLink[];
}

/**
 * A guard that counts as a dedup check of this message: keyed by its identity, with no reason
 * against it (an in-memory Set, a key made fresh). Its scope says whether it is the handler's.
 */
export function isIdentityGuard(guard: { keyedByIdentity: boolean; invalidReason?: string }): boolean {
  return guard.keyedByIdentity && !guard.invalidReason;
}

export interface GuardTemplate {
  kind: GuardKind;
  label: string;
  keyText?: string;
  leaseSeconds?: number;
  node: ts.Node;
  keyedByIdentity: boolean;
  invalidReason?: string;
  scope: 'message' | 'entity';
  chain: CallChainLink[];
}

/** Whether a value is truthy or falsy when a condition tests it. */
export type Truth = 'truthy' | 'falsy';

/** Which side of an `if` a path takes: one, or both when the value tested does not decide. */
export type Side = 'then' | 'else' | 'both';

/**
 * Where a flag is declared: its `const` or tracked `let` (`file:start`), or the `return <call>`
 * whose result it is (`file:return:start`). The position says which function owns it.
 */
export function flagId(node: ts.Node, kind?: 'return'): string {
  return `${node.getSourceFile().fileName}:${kind ? `${kind}:` : ''}${node.getStart()}`;
}

/** A function's text: the flags declared in it die when it returns (scope `locals`). */
export interface FunctionText {
  fileName: string;
  pos: number;
  end: number;
}

export function functionText(fn: ts.Node): FunctionText {
  return { fileName: fn.getSourceFile().fileName, pos: fn.pos, end: fn.end };
}

/** Whether a flag (flagId) is declared inside a function's text. */
export function isFlagIn(id: string, text: FunctionText): boolean {
  const at = id.lastIndexOf(':');
  const position = Number(id.slice(at + 1));
  if (position < text.pos || position >= text.end) return false;
  const owner = id.slice(0, at);
  return owner === text.fileName || owner === `${text.fileName}:return`;
}

/**
 * A condition on a flag (a `const` holding a project function's result, or a `let` assigned only
 * in the function that declares it): the side a path takes when it knows the flag is truthy, or
 * falsy. `if (saved)` decides both; `if (response?.ok)` and `if (saved && ok)` only the falsy one.
 */
export interface FlagTest {
  id: string;
  whenTruthy: Side;
  whenFalsy: Side;
}

export type Step =
  | { t: 'effect'; effect: EffectTemplate; completion: Completion }
  | { t: 'settle'; settle: SettleTemplate; completion: Completion }
  | {
      t: 'if';
      guard?: { guard: GuardTemplate; thenMeans: 'seen' | 'new' };
      /** A test of a `const` holding a project function's result (`if (processed)`, see `scope.result`) or of a tracked `let` (`assign`). */
      flag?: FlagTest;
      then: Step[];
      else: Step[];
    }
  | {
      t: 'exit';
      kind: 'return' | 'throw' | 'break' | 'continue';
      node: ts.Node;
      returnsMessage?: boolean;
      /** `return false`, `return true`, `return null`: what a test of the returned value decides. */
      value?: Truth;
      /** `return response` of a flag (`assign`): the returned value's truth is what the path knows of it. */
      valueFlag?: string;
    }
  /**
   * An assignment of a tracked `let` (declared in this function, assigned only here by plain
   * statements): `value` is the truth of a literal (`let ok = false`, `let response;`), absent when
   * the value assigned is not a literal (`response = await fetch(…)`), which forgets what was known.
   */
  | { t: 'assign'; id: string; value?: Truth }
  | {
      t: 'try';
      body: Step[];
      handler?: Step[];
      finalizer?: Step[];
      claim?: GuardTemplate;
      catchNode?: ts.Node;
      enclosesProcessing: boolean;
      /**
       * A `.catch(cb)` of a promise chain (analysis/source/catches.ts): only failures of the work it is
       * called on reach it, none from before that work started (a `try` block's parsing can throw).
       */
      chained?: boolean;
    }
  /**
   * `overItems`: a `for…of`/`for…in` over the items of one message, not over a batch of messages.
   * `endless`: `while (true)`, `do … while (true)`, `for (;;)`: a retry or poll loop, left only by
   * `break` (or a return or throw), never skipped and never left by running off its body's end.
   */
  | { t: 'loop'; body: Step[]; overItems?: boolean; endless?: boolean }
  | { t: 'switch'; cases: Step[][]; hasDefault: boolean }
  /**
   * A callee's or a callback's body; `call` is the call of the project function it inlines, and
   * `callee` that function's name. `transaction`: a callback transaction's body, which commits (or
   * rolls back) as it is left. `anchored`: the body of a callback the user wrote, run by a wrapper
   * (docs/model.md, "Wrappers, dispatch tables and where findings go"): what happens in it is
   * located in it, not at the wrapper's calls that lead there.
   */
  | {
      t: 'scope';
      body: Step[];
      transaction?: TransactionScope;
      call?: ts.CallExpression;
      callee?: string;
      /**
       * The steps of a promise a function returns without `await` from inside a `try`: its failure
       * passes that function's catches to its caller's (docs/model.md, "Order").
       */
      returnedPromise?: boolean;
      /**
       * Un-awaited work that settles the message itself (flow.ts `leftRunning`): a failure in it
       * rejects a promise nobody awaits, so no catch around the call sees it and the caller goes on.
       */
      detached?: boolean;
      /**
       * The call's result is kept in a `const` (`const processed = await handle(msg)`): a path
       * that leaves the callee by `return false` takes only the matching side of a later
       * `if (processed)`. A helper that catches and returns a flag hands the failure on this way.
       */
      result?: string;
      anchored?: boolean;
      /**
       * The inlined function's text: what paths know of the flags declared in it is forgotten as they
       * leave it (nothing after its return reads its locals), so paths that differ only there merge.
       */
      locals?: FunctionText;
    }
  | { t: 'guarded'; guard: GuardTemplate; body: Step[] }
  /**
   * A call whose target could not be followed (too deep): it may do anything the analysis cannot
   * see. `inCondition`: its result decides a branch, so it may be a dedup check.
   */
  | {
      t: 'unknown';
      node: ts.Node;
      reason: string;
      inCondition: boolean;
      /**
       * Not a call too deep to follow, but the message object itself handed to code the analysis
       * does not see (an external call, a stored reference): a settle may happen there.
       */
      handoff?: boolean;
      /**
       * With `handoff`: the side of `if (options.ack) msg.ack()` that does not settle here; the
       * configuration decides whether the message is settled at all, so its delivery, and whether
       * what follows can run twice, is the configuration's too.
       */
      configured?: boolean;
      /**
       * Not a call either: the side of `if (event.requestId) { …check by it… }` where the message
       * has no such key. It has nothing to be checked by, so the dedup rules do not judge it.
       */
      noIdentity?: boolean;
    };

/** What a library contributes to reading a handler: which calls settle the message. */
export interface SettleRecognizer {
  settleOf(
    call: ts.CallExpression,
    values: MessageValues,
    checker: ts.TypeChecker,
  ): { kind: SettleOccurrence['kind']; label: string; requeue?: boolean } | undefined;
}

export function mapSteps(steps: Step[], mapStep: (step: Step) => Step): Step[] {
  return steps.map((step) => {
    switch (step.t) {
      case 'if':
        return mapStep({ ...step, then: mapSteps(step.then, mapStep), else: mapSteps(step.else, mapStep) });
      case 'try':
        return mapStep({
          ...step,
          body: mapSteps(step.body, mapStep),
          handler: step.handler && mapSteps(step.handler, mapStep),
          finalizer: step.finalizer && mapSteps(step.finalizer, mapStep),
        });
      case 'loop':
      case 'scope':
      case 'guarded':
        return mapStep({ ...step, body: mapSteps(step.body, mapStep) });
      case 'switch':
        return mapStep({ ...step, cases: step.cases.map((body) => mapSteps(body, mapStep)) });
      default:
        return mapStep(step);
    }
  });
}

export function forEachStep(steps: Step[], visit: (step: Step) => void): void {
  for (const step of steps) {
    visit(step);
    switch (step.t) {
      case 'if':
        forEachStep(step.then, visit);
        forEachStep(step.else, visit);
        break;
      case 'try':
        forEachStep(step.body, visit);
        if (step.handler) forEachStep(step.handler, visit);
        if (step.finalizer) forEachStep(step.finalizer, visit);
        break;
      case 'loop':
      case 'scope':
      case 'guarded':
        forEachStep(step.body, visit);
        break;
      case 'switch':
        step.cases.forEach((body) => forEachStep(body, visit));
        break;
      default:
        break;
    }
  }
}

/** Protected by an entity-level check around it (`gatedBy`), not by the handler's guard. */
export function locallyGuarded(effect: EffectTemplate): boolean {
  return !!effect.gatedBy?.length;
}
