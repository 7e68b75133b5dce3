/**
 * Builds the control-flow skeleton of a handler: effects, settles and guards in execution order,
 * with branches, loops, try/catch/finally and early exits kept, and calls into the project's own
 * functions inlined (across files, to a bounded depth, cycles cut). `await` decides whether a
 * promise completes before the next step or is left running ("dropped").
 */
import { ts } from 'ts-morph';
import type { CallChainLink } from '../../model';
import type { ResolvedConfig } from '../../config/resolved-config';
import { classifyChain, classifyTaggedTemplate, isInnerChainLink, type MatchContext } from '../effects';
import { IdentityRules, findConditionGuard, judgeGuardKey, wrapperGuard } from './guards';
import { busDispatch } from './cqrs';
import { MessageValues } from '../source/message-values';
import { catchCallback, isSettledAll } from '../source/catches';
import {
  FunctionWithBody,
  calledName,
  chainCalls,
  combinatorArgument,
  containsNode,
  forEachDescendant,
  functionName,
  isAsyncFunction,
  isFunctionWithBody,
  isProjectCode,
  iteratesMessageBatch,
  locationOf,
  propertyFunctionNode,
  staticText,
  symbolOf,
  unwrap,
  blockAlwaysExits,
  unwrapAwait,
  isEndlessLoop,
} from '../source/ast';
import {
  type ParameterBinding,
  calledFunction,
  constObjectLiteral,
  implementationsOf,
  resolveCallable,
  resolveFunction,
  subscribersOf,
  type Subscribers,
} from '../source/symbols';
import { escapeRegExp } from '../source/project-sources';
import { CALLBACK_TRANSACTION, callTransaction, transactionOf } from './transactions';
import {
  dependOn,
  holdsAt,
  noDependencies,
  readsCallerArguments,
  shareable,
  objectId,
  sharedSummaries,
  type CallPoint,
  type SharedSummaries,
  type Summary,
  type SummaryDependencies,
} from './summaries';
import { captured, readCaptureOf, type CapturedReads } from '../source/read-capture';
import { objectLiteral as objectLiteralOf } from '../effects/objects';
import type { EffectDescription } from '../../model';
import {
  POSITIVE_SETTLE_KINDS,
  flagId,
  forEachStep,
  functionText,
  isIdentityGuard,
  mapSteps,
  type Completion,
  type EffectTemplate,
  type GuardTemplate,
  type SettleRecognizer,
  type FlagTest,
  type Side,
  type Step,
  type Truth,
} from './steps';

/** How a loop-style consumer's body sits in the function around it (FlowBuilder.loopBodySteps). */
export interface LoopBodyOptions {
  /** The body is the rest of its block from this statement (`const m = await consumer.next()`). */
  from?: ts.Statement;
  /** Calls after the loop that settle every message of the batch. */
  settlesAfter?: readonly ts.CallExpression[];
  /** The loop does not wait for the body (`forEach(async …)`). */
  detached?: boolean;
  /** The library acks when the function holding the loop returns (Lambda). */
  implicitAck?: boolean;
}

export interface FlowOptions {
  checker: ts.TypeChecker;
  /**
   * The program: the project's classes behind an interface or an abstract method, and the handlers
   * a NestJS CQRS bus dispatches to (handler/cqrs.ts).
   */
  program?: ts.Program;
  config: ResolvedConfig;
  library: SettleRecognizer;
  identity: IdentityRules;
  /** Counts units of work (one by default) against the consumer's budget (dataflow/budget.ts); may throw. */
  tick?: (count?: number) => void;
  /** The installed package that registers the handler, when it is registered outside the project. */
  brokerPackage?: string;
  /** The consumer reads a dead-letter queue: what it publishes is a redrive (failure routing). */
  redrive?: boolean;
}

const DEFERRING_CALLS = new Set([
  'on',
  'once',
  'addListener',
  'addEventListener',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'nextTick',
  'queueMicrotask',
  'subscribe',
]);
const ARRAY_CALLBACKS = new Set([
  'forEach',
  'map',
  'flatMap',
  'filter',
  'some',
  'every',
  'find',
  'findIndex',
  'reduce',
  'reduceRight',
]);
const PROMISE_COMBINATORS = new Set(['all', 'allSettled']);
const RACE_COMBINATORS = new Set(['race', 'any']);

/** Function names whose callback argument is removed, not run. */
const CALLBACK_REMOVERS = new Set([
  'off',
  'removeListener',
  'removeEventListener',
  'removeAllListeners',
  'unsubscribe',
  'clearTimeout',
  'clearInterval',
]);

interface BoundArgument {
  callback: FunctionWithBody;
  /** The values of the function that passed it (the callback's closure). */
  values: MessageValues;
  /**
   * A callback the user wrote, handed to a wrapper (bindCallback): what happens in it is located in
   * it, and its depth counts afresh (docs/model.md, "Wrappers, dispatch tables and where findings go").
   */
  anchored?: boolean;
  /**
   * A function of an object literal the caller passed (`message.ack()` running `ack: () => …`): the
   * call that runs it leads into it, as a call of a helper does (its chain starts at that call).
   */
  linked?: boolean;
}

/** An object literal passed for a parameter, with the values of the function that wrote it. */
interface BoundObject {
  object: ts.ObjectLiteralExpression;
  values: MessageValues;
}

interface WalkState {
  values: MessageValues;
  /** Statements of the function being walked, for finding a later `await p`. */
  fn: FunctionWithBody;
}

/** A function build under way (FlowBuilder.summary). */
interface OpenBuild {
  dependencies: SummaryDependencies;
  /** The depth it started at (FlowBuilder.depth). */
  depth: number;
  /** What names it among the summaries other consumers may share: its function and key. */
  shared?: string;
  /** The message values of the function it builds (their reads of its call's arguments are noted here). */
  values: MessageValues;
  /** Where the function it builds is on the call stack (FlowBuilder.stack). */
  stackAt: number;
}

export class FlowBuilder {
  private readonly summaryCache = new Map<string, Summary>();
  /** Summaries the program's other consumers built, and where this one's go (handler/summaries.ts). */
  private readonly shared: SharedSummaries;
  /** What every step built here depends on besides the code: the config and the library's recognisers. */
  private readonly contextKey: string;
  /**
   * The function builds under way, innermost last. What a build reads is noted on the innermost
   * one, which passes it on to the one around it as it ends.
   */
  private readonly open: OpenBuild[] = [];
  /** Budget ticks so far (a build's share is replayed where it is reused). */
  private ticks = 0;
  private readonly functionIds = new WeakMap<ts.Node, number>();
  private nextFunctionId = 0;
  private readonly stack: ts.Node[] = [];
  /**
   * Wrapper callbacks (bindCallback) and a factory's parameters bound to the arguments that made
   * its closure (bindParameters): the whole analysis long.
   */
  private readonly callbacks = new Map<ts.ParameterDeclaration, FunctionWithBody>();
  /** Calls bound to the function they run (a wrapper's callback reached through a field or an options object). */
  private readonly boundCalls = new Map<ts.CallExpression, FunctionWithBody>();
  /**
   * Callbacks passed to the project function being inlined, by its parameter: `withRetry(() => …)`
   * runs the arrow where `withRetry` calls `fn()`. Scoped to the inlining of that call.
   */
  private readonly boundArguments = new Map<ts.ParameterDeclaration, BoundArgument>();
  /**
   * Object literals with functions in them passed to the project function being inlined, by its
   * parameter: `listener({ data, ack: () => channel.ack(raw) })` runs that arrow where the listener
   * calls `message.ack()`. Scoped as boundArguments are.
   */
  private readonly boundObjects = new Map<ts.ParameterDeclaration, BoundObject>();
  /** Part of every summary key: a body built with callbacks bound is not the body without them. */
  private bindingKey = '';
  private readonly promiseReturning = new WeakMap<ts.Node, boolean>();
  /** Where the depth limit counts from: a callback the user wrote, run by a wrapper, starts afresh. */
  private depthBase = 0;
  /** The calls inlineCall is inside, with the callbacks bound to their parameters (reenters). */
  private readonly entries: { target: FunctionWithBody; callbacks: string; at: number }[] = [];
  /** Steps copied into call sites so far (each call site gets its own copy of the callee's steps). */
  private copiedSteps = 0;
  /** Above zero while the steps of an `if` condition are built (an unseen call there may be a check). */
  private conditionDepth = 0;
  /** The files whose code the steps were built from: the handler's and every function inlined. */
  readonly files = new Set<string>();

  constructor(private readonly options: FlowOptions) {
    this.shared = sharedSummaries(options.checker);
    this.contextKey = [
      objectId(options.config),
      objectId(options.library),
      objectId(options.identity),
      options.brokerPackage ?? '',
      options.redrive ? 'redrive' : '',
    ].join(':');
  }

  /**
   * Steps of a handler whose message-bearing bindings are already in `values`. `detachedAck`: the
   * library acks when the handler returns without awaiting its promise (an async callback of an
   * auto-acking subscription): nothing it starts has completed at the ack.
   */
  handlerSteps(fn: FunctionWithBody, values: MessageValues, options: { detachedAck?: boolean } = {}): Step[] {
    values.propagateThrough(fn.body);
    const steps = judgeGuards(this.functionSteps(fn, values));
    return options.detachedAck ? dropAll(steps) : steps;
  }

  /**
   * Steps of a loop-style consumer (SQS receive loop, JetStream fetch, xreadgroup): the handler
   * is the body that processes one message; `continue` ends the handling of that message. The
   * body may be an array callback's (`Messages.map(async (m) => …)`), where `return` ends it too.
   * Batch settles after the loop (`settlesAfter`) follow the body on the paths that finish the
   * message (normally, `continue`, `break`; a `return` in a `for…of` body leaves the function
   * before them); when the loop does not wait for the body (`detached`) they come before it, and
   * with `implicitAck` (the library acks when the function returns) the body's work is left running.
   */
  loopBodySteps(
    fn: FunctionWithBody,
    body: ts.Statement | ts.Expression,
    values: MessageValues,
    options: LoopBodyOptions = {},
  ): Step[] {
    values.propagateThrough(body);
    const owner = isFunctionWithBody(body.parent) && body.parent.body === body ? body.parent : fn;
    this.files.add(fn.getSourceFile().fileName);
    this.stack.push(fn);
    if (owner !== fn) this.stack.push(owner);
    try {
      const state: WalkState = { values, fn: owner };
      let steps: Step[];
      if (options.from && ts.isBlock(body))
        steps = this.block(body.statements.slice(Math.max(0, body.statements.indexOf(options.from))), state);
      else if (owner !== fn && !ts.isBlock(body))
        steps = this.expression(body, state, 'awaited'); // a concise arrow returns its value
      else steps = this.statement(body as ts.Statement, state);
      steps = judgeGuards(steps);
      // `await Promise.allSettled(records.map(async (record) => …))`, its results unread: a
      // failure of one message's work is caught there and dropped.
      const settledAllCall = owner !== fn ? unreadSettledAllAround(owner) : undefined;
      if (settledAllCall) steps = settledAll(steps, settledAllCall);
      const settles: Step[] = (options.settlesAfter ?? []).flatMap((call): Step[] => {
        const settle = this.options.library.settleOf(call, values, this.options.checker);
        return settle
          ? [
              {
                t: 'settle',
                completion: isAwaited(call) ? 'awaited' : 'dropped',
                settle: { ...settle, node: call, chain: [] },
              },
            ]
          : [];
      });
      if (options.detached) {
        if (settles.length) return [...settles, ...steps];
        return options.implicitAck ? dropAll(steps) : steps;
      }
      if (!settles.length) return steps;
      return [owner === fn ? { t: 'loop', body: steps } : { t: 'scope', body: steps }, ...settles];
    } finally {
      if (owner !== fn) this.stack.pop();
      this.stack.pop();
    }
  }

  /**
   * Wrappers (docs/model.md, "Wrappers, dispatch tables and where findings go"): when the code calls `parameter` (a callback the wrapper was given),
   * the function passed at this call site runs there, as part of the handler itself.
   */
  bindCallback(parameter: ts.ParameterDeclaration, callback: FunctionWithBody): void {
    this.callbacks.set(parameter, callback);
  }

  /** The callback a wrapper's call site passes runs where the handler makes this call (`this.onMessage(m)`, `opts.handler(m)`). */
  bindCall(call: ts.CallExpression, callback: FunctionWithBody): void {
    this.boundCalls.set(call, callback);
  }

  /**
   * A factory's parameters bound to the arguments of the call that made a closure
   * (`createWorkerHandler(executeEmail)`): where the closure calls them, those functions run.
   */
  bindParameters(bindings: readonly ParameterBinding[]): void {
    for (const binding of bindings) {
      const callback = this.resolveValue(binding.argument);
      if (!callback) continue;
      // Bound while a function is built (a factory's result passed on): later builds of this
      // consumer see it, a reuse of this one elsewhere would not.
      this.dependsOnConsumer();
      this.callbacks.set(binding.parameter, callback);
    }
  }

  /** The function an expression stands for, through parameters already bound to functions. */
  private resolveValue(expression: ts.Expression): FunctionWithBody | undefined {
    const value = unwrap(expression);
    if (ts.isIdentifier(value)) {
      const declaration = symbolOf(value, this.options.checker)?.valueDeclaration;
      if (declaration && ts.isParameter(declaration)) return this.consumerCallback(declaration);
    }
    const resolved = resolveCallable(value, this.options.checker);
    if (!resolved || !isProjectCode(resolved.fn)) return undefined;
    this.bindParameters(resolved.bindings);
    return resolved.fn;
  }

  private functionSteps(fn: FunctionWithBody, values: MessageValues): Step[] {
    this.files.add(fn.getSourceFile().fileName);
    this.innermost()?.dependencies.entered.add(fn);
    this.stack.push(fn);
    try {
      const state: WalkState = { values, fn };
      if (ts.isBlock(fn.body)) return this.block(fn.body.statements, state);
      return [...this.expression(fn.body, state, 'awaited')];
    } finally {
      this.stack.pop();
    }
  }

  private matchContext(values: MessageValues): MatchContext {
    return {
      checker: this.options.checker,
      config: this.options.config,
      values,
      brokerPackage: this.options.brokerPackage,
      redrive: this.options.redrive,
    };
  }

  // ---- statements ------------------------------------------------------------------------

  private block(statements: readonly ts.Statement[], state: WalkState): Step[] {
    const built = statements.map((statement) => this.statement(statement, state));
    // A memoised initialisation (`if (this.client) return this.client; …`) runs once per process,
    // not once per message: what follows the memo check is not processing (docs/model.md, "Effects").
    const memo = statements.findIndex((statement, index) =>
      isMemoCheck(statement, statements.slice(index + 1), this.options.checker),
    );
    if (memo >= 0)
      for (let index = memo + 1; index < built.length; index++) built[index] = oncePerProcess(built[index]);
    statements.forEach((statement, index) => {
      const initialised = memoInitialisation(statement, this.options.checker);
      if (initialised) built[index] = initialised === 'all' ? oncePerProcess(built[index]) : built[index];
    });
    return built.flat();
  }

  private statement(statement: ts.Statement, state: WalkState): Step[] {
    this.tick();
    if (ts.isBlock(statement)) return this.block(statement.statements, state);
    if (ts.isExpressionStatement(statement)) {
      const steps = this.expression(statement.expression, state, 'statement');
      // `response = await fetch(…)` of a tracked `let`: what the path knew of it is replaced.
      const assigned = unwrap(statement.expression);
      if (
        ts.isBinaryExpression(assigned) &&
        assigned.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isIdentifier(assigned.left)
      ) {
        const declaration = symbolOf(assigned.left, this.options.checker)?.valueDeclaration;
        const id =
          declaration && ts.isVariableDeclaration(declaration)
            ? trackedLetId(declaration, this.options.checker)
            : undefined;
        if (id && !setsResult(steps, id)) steps.push({ t: 'assign', id, value: literalTruth(assigned.right) });
      }
      return steps;
    }
    if (ts.isVariableStatement(statement)) {
      return statement.declarationList.declarations.flatMap((declaration): Step[] => {
        const steps = declaration.initializer
          ? this.expression(declaration.initializer, state, this.variableCompletion(declaration, state))
          : [];
        // `let response;` (undefined) or `let ok = false`: a tracked `let` starts with what it holds.
        const id = trackedLetId(declaration, this.options.checker);
        if (!id || setsResult(steps, id)) return steps;
        return [...steps, { t: 'assign', id, value: literalTruth(declaration.initializer) }];
      });
    }
    if (ts.isReturnStatement(statement)) {
      const returnsMessage = !!statement.expression && state.values.derivesFrom(statement.expression);
      const value = statement.expression ? this.expression(statement.expression, state, 'awaited') : [];
      // `try { return db.save(x) } catch {…}`: the promise is returned, not awaited, so its
      // rejection reaches the caller past this catch (`return await` would be caught).
      const escapes = value.length && mayReturnPromise(statement.expression!) && insideTryBlock(statement, state.fn);
      return [
        ...(escapes ? returnedPromise(value) : value),
        {
          t: 'exit',
          kind: 'return',
          node: statement,
          returnsMessage,
          value: literalTruth(statement.expression),
          valueFlag:
            statement.expression &&
            (flagIdOf(statement.expression, this.options.checker) ??
              (ts.isCallExpression(unwrapAwait(statement.expression)) ? returnedResultId(statement) : undefined)),
        },
      ];
    }
    if (ts.isThrowStatement(statement)) {
      return [
        ...this.expression(statement.expression, state, 'awaited'),
        { t: 'exit', kind: 'throw', node: statement },
      ];
    }
    if (ts.isIfStatement(statement)) return this.ifStatement(statement, state);
    if (ts.isTryStatement(statement)) return this.tryStatement(statement, state);
    if (ts.isForOfStatement(statement) || ts.isForInStatement(statement)) {
      const overItems = ts.isForInStatement(statement) || !iteratesMessageBatch(statement);
      return [
        ...this.expression(statement.expression, state, 'awaited'),
        { t: 'loop', body: this.statement(statement.statement, state), ...(overItems && { overItems }) },
      ];
    }
    if (ts.isForStatement(statement)) {
      const header = [statement.initializer, statement.condition].filter(
        (node): node is ts.Expression => !!node && ts.isExpression(node),
      );
      const endless = isEndlessLoop(statement);
      return [
        ...header.flatMap((node) => this.expression(node, state, 'awaited')),
        { t: 'loop', body: this.statement(statement.statement, state), ...(endless && { endless }) },
      ];
    }
    if (ts.isWhileStatement(statement) || ts.isDoStatement(statement)) {
      const endless = isEndlessLoop(statement);
      return [
        ...this.expression(statement.expression, state, 'awaited'),
        { t: 'loop', body: this.statement(statement.statement, state), ...(endless && { endless }) },
      ];
    }
    if (ts.isSwitchStatement(statement)) {
      const cases = statement.caseBlock.clauses.map((clause) => this.block(clause.statements, state));
      const hasDefault = statement.caseBlock.clauses.some((clause) => ts.isDefaultClause(clause));
      return [...this.expression(statement.expression, state, 'awaited'), { t: 'switch', cases, hasDefault }];
    }
    if (ts.isBreakStatement(statement)) return [{ t: 'exit', kind: 'break', node: statement }];
    if (ts.isContinueStatement(statement)) return [{ t: 'exit', kind: 'continue', node: statement }];
    if (ts.isLabeledStatement(statement)) return this.statement(statement.statement, state);
    return [];
  }

  private ifStatement(statement: ts.IfStatement, state: WalkState): Step[] {
    // `if (!this.client) { this.client = await connect(); }`: initialised once per process.
    if (!statement.elseStatement && isMemoInit(statement, this.options.checker)) return [];
    this.conditionDepth++;
    let condition: Step[];
    try {
      condition = this.expression(statement.expression, state, 'awaited');
    } finally {
      this.conditionDepth--;
    }
    let thenSteps = this.statement(statement.thenStatement, state);
    // `if (!this.agents[userId]) { …; this.agents[userId] = … }`: set up once per key for the
    // process's life. With a key from the message it is an in-memory dedup instead (not this).
    if (isKeyedMemoInit(statement, this.options.checker, (key) => state.values.derivesFrom(key)))
      thenSteps = oncePerProcess(thenSteps);
    let elseSteps = statement.elseStatement ? this.statement(statement.elseStatement, state) : [];
    // `if (msg) { … }`, `if (!msg) return`, `if (isNull(msg)) return`: on the side where the library
    // gave no message (a cancelled amqplib consumer's `null`) there is nothing to settle.
    const present = messagePresenceTest(statement.expression, state.values);
    if (present === 'then') elseSteps = [noMessage(statement), ...elseSteps];
    else if (present === 'else') thenSteps = [noMessage(statement), ...thenSteps];
    // `if (event.requestId) { …check by it… }`: a message without the key has nothing to be checked by.
    if (!statement.elseStatement && checksByPresentKey(statement.expression, thenSteps))
      elseSteps = [noIdentity(statement)];
    // `if (options.autoAck) msg.ack()`: whether the message is settled here is the callers' choice.
    const settlesThen = hasSettle(thenSteps);
    if (settlesThen !== hasSettle(elseSteps) && this.isConfiguration(statement.expression, state)) {
      const skip = configured(statement.expression, statement.expression.getText().replace(/\s+/g, ' ').slice(0, 60));
      if (settlesThen) elseSteps = [skip, ...elseSteps];
      else thenSteps = [skip, ...thenSteps];
    }
    const flag = flagTest(statement.expression, this.options.checker);
    const found = findConditionGuard(statement.expression, this.matchContext(state.values));
    if (!found) return [...condition, { t: 'if', ...(flag && { flag }), then: thenSteps, else: elseSteps }];
    // A claim whose key a `finally` releases is a lock: it keeps two copies from running at once, but
    // a redelivery after the release passes it again. No dedup check, and its SET no dedup record.
    if (found.signal.kind === 'claim' && found.signal.key && releasedInFinally(statement, found.signal.key))
      return [...asLock(condition), { t: 'if', ...(flag && { flag }), then: thenSteps, else: elseSteps }];
    if (found.stateProperty) {
      // A business-state check (docs/model.md, "Guards"): "seen" is the side that skips the work,
      // and it is a guard only when the work then records that state.
      const thenMeans = stateSense(thenSteps, elseSteps);
      const newSide = thenMeans === 'seen' ? statement.elseStatement : statement.thenStatement;
      if (!thenMeans || !recordsState(statement, newSide, found.stateProperty, this.options.checker))
        return [...condition, { t: 'if', ...(flag && { flag }), then: thenSteps, else: elseSteps }];
      found.thenMeans = thenMeans;
    }
    const judgement = judgeGuardKey(
      found.signal,
      state.values,
      this.options.config,
      this.options.checker,
      this.options.identity,
    );
    const guard: GuardTemplate = {
      kind: found.signal.kind,
      label: found.stateProperty ? `${found.label}: ${found.stateProperty}` : found.label,
      // A state check is the condition on what the read loaded (the read may feed other checks).
      node: found.stateProperty ? statement.expression : found.call,
      keyText: found.signal.key?.getText().slice(0, 200),
      leaseSeconds: ts.isCallExpression(found.call) ? leaseOf(found.call) : undefined,
      keyedByIdentity: judgement.keyedByIdentity,
      invalidReason: judgement.invalidReason,
      scope: 'message',
      chain: [],
    };
    const guarded: Step = {
      t: 'if',
      guard: { guard, thenMeans: found.thenMeans },
      ...(flag && { flag }),
      then: thenSteps,
      else: elseSteps,
    };
    // `if (row.status === status && status === 'DELAYED') return`: the check only runs for that
    // kind of message; the others go on without passing it (docs/model.md, "Guards").
    const forOneKind =
      found.thenMeans === 'seen' &&
      !statement.elseStatement &&
      picksMessageKind(statement.expression, state.values, this.matchContext(state.values));
    if (forOneKind) return [...condition, { t: 'if', then: [guarded], else: elseSteps }];
    return [...condition, guarded];
  }

  /**
   * A condition on configuration the handler is given, not on the message or the handler's own
   * state: it reads only `this` fields, and names declared outside the handler (the registering
   * function's parameters, module constants).
   */
  private isConfiguration(condition: ts.Expression, state: WalkState): boolean {
    this.dependsOnConsumer(); // the handler the consumer's analysis started from
    const handler = this.stack[0];
    // `options.ack && message.ack`: whether the message has the settle method is not a choice.
    const choices = conjuncts(condition).filter((part) => !settleMethodPresence(part, state.values));
    if (!handler || !choices.length || choices.some((part) => state.values.derivesFrom(part))) return false;
    let configuration = true;
    let reads = 0;
    const visit = (node: ts.Node): void => {
      if (!configuration || ts.isFunctionLike(node)) return;
      if (node.kind === ts.SyntaxKind.ThisKeyword) reads++;
      if (ts.isPropertyAccessExpression(node)) {
        visit(node.expression); // the name after the dot is not a variable
        return;
      }
      if (ts.isIdentifier(node)) {
        if (node.text === 'undefined') return;
        const declaration = symbolOf(node, this.options.checker)?.declarations?.[0];
        if (!declaration || containsNode(handler, declaration)) configuration = false;
        else reads++;
        return;
      }
      if (ts.isCallExpression(node)) configuration = false; // a call may read anything
      ts.forEachChild(node, visit);
    };
    for (const part of choices) visit(part);
    return configuration && reads > 0;
  }

  private tryStatement(statement: ts.TryStatement, state: WalkState): Step[] {
    const body = this.block(statement.tryBlock.statements, state);
    const handler = statement.catchClause ? this.block(statement.catchClause.block.statements, state) : undefined;
    const finalizer = statement.finallyBlock ? this.block(statement.finallyBlock.statements, state) : undefined;
    // try { insert the message ID (unique) } catch { return } : a claim by unique violation.
    let claim: GuardTemplate | undefined;
    const record = firstRecord(body);
    if (
      record &&
      handler &&
      alwaysReturns(handler) &&
      !hasProcessing(body.filter((step) => !(step.t === 'effect' && step.effect === record)))
    ) {
      claim = {
        kind: 'claim',
        label: `${record.description.label} (unique)`,
        node: record.node,
        keyedByIdentity: true,
        scope: 'message',
        chain: record.chain,
      };
    }
    return [
      {
        t: 'try',
        body,
        handler,
        finalizer,
        claim,
        catchNode: statement.catchClause,
        // A promise returned from the try is not caught by it.
        enclosesProcessing: hasCaughtProcessing(body),
      },
    ];
  }

  private variableCompletion(declaration: ts.VariableDeclaration, state: WalkState): Completion | 'statement' {
    // const p = send(); … await p  — the promise completes where it is awaited; treat as awaited.
    if (!ts.isIdentifier(declaration.name)) return 'awaited';
    const name = declaration.name.text;
    const init = unwrap(declaration.initializer!);
    if (ts.isAwaitExpression(init)) return 'awaited';
    let awaitedLater = false;
    const visit = (node: ts.Node): void => {
      if (awaitedLater) return;
      if (ts.isIdentifier(node) && node.text === name && node !== declaration.name) {
        let child: ts.Node = node;
        let parent: ts.Node = node.parent;
        for (;;) {
          // `p.finally(cb)`, `p.then(cb)`: the chain on the promise completes after it.
          if (
            ts.isPropertyAccessExpression(parent) &&
            PROMISE_CHAIN_METHODS.test(parent.name.text) &&
            ts.isCallExpression(parent.parent) &&
            parent.parent.expression === parent
          ) {
            child = parent.parent;
            parent = parent.parent.parent;
            continue;
          }
          // `return r instanceof Promise ? r : Promise.resolve(r)`: either branch is the value.
          if (ts.isConditionalExpression(parent) && parent.condition !== child) {
            child = parent;
            parent = parent.parent;
            continue;
          }
          if (!(
            ts.isArrayLiteralExpression(parent) ||
            ts.isParenthesizedExpression(parent) ||
            ts.isAsExpression(parent) ||
            ts.isNonNullExpression(parent) ||
            ts.isSpreadElement(parent) ||
            ts.isCallExpression(parent)
          ))
            break;
          if (ts.isCallExpression(parent) && !PROMISE_COMBINATORS.has(calledName(parent) ?? '')) break;
          child = parent;
          parent = parent.parent;
        }
        if (parent && (ts.isAwaitExpression(parent) || ts.isReturnStatement(parent))) awaitedLater = true;
      }
      ts.forEachChild(node, visit);
    };
    visit(state.fn.body);
    return awaitedLater ? 'awaited' : 'statement';
  }

  // ---- expressions -----------------------------------------------------------------------

  /**
   * Steps of an expression in evaluation order. `mode` says how its value is used: `awaited`
   * (awaited, returned or otherwise completed before the next step) or `statement` (a promise
   * produced here is dropped unless awaited inside the expression).
   */
  private expression(node: ts.Node, state: WalkState, mode: Completion | 'statement'): Step[] {
    const steps: Step[] = [];
    const completionOf = (call: ts.Node): Completion => (mode === 'awaited' || isAwaited(call) ? 'awaited' : 'dropped');
    const visit = (current: ts.Node): void => {
      if (isFunctionWithBody(current)) return; // callbacks are handled at their call
      if (ts.isConditionalExpression(current)) {
        visit(current.condition);
        steps.push({
          t: 'if',
          then: this.expression(current.whenTrue, state, mode),
          else: this.expression(current.whenFalse, state, mode),
        });
        return;
      }
      // this.client ??= await connect(): evaluated once per process.
      if (
        ts.isBinaryExpression(current) &&
        (current.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken ||
          current.operatorToken.kind === ts.SyntaxKind.BarBarEqualsToken) &&
        memoTarget(current.left, this.options.checker)
      )
        return;
      if (ts.isBinaryExpression(current) && isShortCircuit(current.operatorToken.kind)) {
        visit(current.left);
        const right = this.expression(current.right, state, mode);
        if (right.length) steps.push({ t: 'if', then: right, else: [] });
        return;
      }
      if (ts.isTaggedTemplateExpression(current)) {
        ts.forEachChild(current, visit);
        const classified = classifyTaggedTemplate(current, this.matchContext(state.values));
        if (classified) steps.push(this.effectStep(classified, state, completionOf(current)));
        return;
      }
      if (ts.isCallExpression(current) && !isInnerChainLink(current)) {
        steps.push(...this.callChain(current, state, completionOf(current)));
        return;
      }
      // new Promise((resolve, reject) => { … }): the executor runs at once, settling the promise.
      if (ts.isNewExpression(current) && ts.isIdentifier(current.expression) && current.expression.text === 'Promise') {
        const executor = current.arguments?.[0] && unwrap(current.arguments[0]);
        // The promise settles when the executor's work calls resolve: its effects complete with it.
        if (executor && isFunctionWithBody(executor)) {
          const settled = completionOf(current);
          steps.push(
            ...mapSteps(this.inlineCallback(executor, state, settled), (step) =>
              step.t === 'effect' || step.t === 'settle' ? { ...step, completion: settled } : step,
            ),
          );
        }
        return;
      }
      // `this.pending[id] = msg`: the message is kept for code the analysis does not see.
      if (
        ts.isBinaryExpression(current) &&
        current.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        (ts.isPropertyAccessExpression(current.left) || ts.isElementAccessExpression(current.left)) &&
        state.values.carriesMessage(current.right)
      ) {
        visit(current.right);
        steps.push(handoff(current, current.left.getText().slice(0, 60)));
        return;
      }
      ts.forEachChild(current, visit);
    };
    visit(node);
    return steps;
  }

  private effectStep(
    classified: ReturnType<typeof classifyChain> & object,
    state: WalkState,
    completion: Completion,
  ): Step {
    void state;
    return {
      t: 'effect',
      completion: classified.description.synchronous ? 'awaited' : completion,
      effect: {
        description: classified.description,
        node: classified.node,
        keyText: ts.isCallExpression(classified.node)
          ? classified.node.arguments[0]?.getText().slice(0, 200)
          : undefined,
        keyedByMessage: classified.keyedByMessage,
        uniqueInsert: classified.uniqueInsert,
        chain: [],
        connection: connectionOf(classified.node, this.options.checker),
      },
    };
  }

  /** An outermost call of a chain: an effect, a settle, a call into the project, or a callback runner. */
  private callChain(call: ts.CallExpression, state: WalkState, completion: Completion): Step[] {
    const steps: Step[] = [];
    const context = this.matchContext(state.values);
    // A CQRS bus call is followed into its handlers (singleCall), not classified as a publish.
    const dispatched = !!this.options.program && !!busDispatch(call, this.options.checker, this.options.program);
    const classified = dispatched ? undefined : classifyChain(call, context);
    // Arguments (and receivers' arguments) run before the call itself.
    for (const link of chainCalls(call)) {
      for (const argument of link.arguments) {
        // A promise passed to a call is taken to be settled by it (Promise.all, prisma.$transaction([...])):
        // it completes when the call does.
        // Promise.race/any settle with the first input: the others may still be running.
        if (isFunctionWithBody(unwrap(argument))) continue;
        const mode = isRaceCombinator(link) ? 'dropped' : pushedToAwaitedArray(link, state.fn) ? 'awaited' : completion;
        const elements = unwrap(argument);
        const argumentSteps =
          isPromiseCombinator(link) && ts.isArrayLiteralExpression(elements)
            ? this.combined(elements, state, mode)
            : this.expression(argument, state, mode);
        steps.push(...(link === call && settlesAllUnread(call) ? settledAll(argumentSteps, call) : argumentSteps));
      }
      const callee = unwrap(link.expression);
      if (ts.isPropertyAccessExpression(callee) && !ts.isCallExpression(unwrap(callee.expression))) {
        steps.push(...this.expression(callee.expression, state, 'statement'));
      }
    }
    if (classified) {
      let chained: Step[] = [...steps, this.effectStep(classified, state, completion)];
      // Callbacks of the links after the effect (.then(() => channel.ack(msg))) run after it.
      for (const link of chainCalls(call)) {
        if (link.pos > classified.node.pos || (link.pos === classified.node.pos && link.end > classified.node.end))
          chained = this.chainLink(chained, link, state, completion, call);
      }
      return chained;
    }
    const links = chainCalls(call);
    // `handle(msg).catch(log).finally(() => channel.ack(msg))` left running: inside the chain each
    // callback runs after the promise before it, so the chain keeps its own order (and, when it
    // settles, is judged as one un-awaited scope that settles: docs/model.md, "Order").
    if (completion === 'dropped' && links.length > 1 && links.slice(1).some(isPromiseCallbackLink)) {
      const chained = links.reduce<Step[]>((before, link) => this.chainLink(before, link, state, 'awaited', call), []);
      return [...steps, { t: 'scope', ...leftRunning(chained) }];
    }
    return links.reduce((before, link) => this.chainLink(before, link, state, completion, call), steps);
  }

  /**
   * One link of a call chain, after the steps of what it is called on. A `.catch(cb)` catches the
   * failures of the work before it, as a `try` around that work would, its callback the catch
   * (analysis/source/catches.ts); any other link runs after it.
   */
  private chainLink(
    before: Step[],
    link: ts.CallExpression,
    state: WalkState,
    completion: Completion,
    outermost: ts.CallExpression,
  ): Step[] {
    const after = this.singleCall(link, state, completion, outermost);
    const callback = catchCallback(link);
    if (!callback || turnsFailureIntoValue(callback, outermost)) return [...before, ...after];
    // `const response = await post(…).catch(log)`: on the failure path the constant holds what the
    // callback returned (nothing, when it only logs), so `if (!response) throw …` hands the failure on.
    const kept = link === outermost ? keptIn(outermost) : undefined;
    const id = kept && constantId(kept);
    const handler: Step[] = id ? [...after, { t: 'assign', id, value: callbackResultTruth(callback) }] : after;
    // Work the analysis does not see (a library call it does not classify) fails too, or not: the
    // callback runs on one side only, never on every path.
    if (!before.length) return [{ t: 'if', then: handler, else: [] }];
    return [caughtBy(before, handler, callback)];
  }

  /**
   * The promises of `Promise.all([...])` run together (docs/model.md, "Order"): each element starts
   * (and runs to its first `await`) before the next one starts, and none waits for another. So
   * when an element settles the message positively (`Promise.all([saveState(batch),
   * deleteMessages(batch)])`), the work of the elements started before it is still running at that
   * settle, as if started without `await`. Without such a settle the elements complete together
   * when the combinator does.
   */
  private combined(elements: ts.ArrayLiteralExpression, state: WalkState, mode: Completion): Step[] {
    let parts = elements.elements.map((element) => this.expression(element, state, mode));
    // The elements run at the same time: a check in one that leaves early skips that element's
    // work only, so it is that element's own check, never the handler's guard (docs/model.md, "Guards").
    if (parts.filter((part) => hasProcessing(part)).length > 1)
      parts = parts.map((part) => judgeGuards(part, functionBoundary(true)));
    if (mode !== 'awaited') return parts.flat();
    const settling = parts.findIndex((part) => settlesPositively(part));
    if (settling <= 0) return parts.flat();
    return [...dropAll(parts.slice(0, settling).flat()), ...parts.slice(settling).flat()];
  }

  private singleCall(
    call: ts.CallExpression,
    state: WalkState,
    completion: Completion,
    outermost: ts.CallExpression,
  ): Step[] {
    const settle = this.options.library.settleOf(call, state.values, this.options.checker);
    if (settle) return [{ t: 'settle', completion, settle: { ...settle, node: call, chain: [] } }];
    // `reject(err)` of a promise the caller awaits fails that await, as a `throw` would.
    if (rejectsPromise(call, this.options.checker)) return [{ t: 'exit', kind: 'throw', node: call }];

    const wrapper = wrapperGuard(call, this.options.config);
    if (wrapper && isFunctionWithBody(wrapper.callback)) {
      const judgement = wrapper.key
        ? judgeGuardKey(
            { kind: 'claim', key: wrapper.key, truthyMeans: 'new' },
            state.values,
            this.options.config,
            this.options.checker,
            this.options.identity,
          )
        : { keyedByIdentity: false, invalidReason: 'it has no key' };
      const guard: GuardTemplate = {
        kind: 'wrapper',
        label: wrapper.label,
        node: call,
        keyedByIdentity: judgement.keyedByIdentity,
        invalidReason: judgement.invalidReason,
        scope: 'message',
        chain: [],
      };
      return [{ t: 'guarded', guard, body: this.inlineCallback(wrapper.callback, state, completion) }];
    }

    const bound = this.boundCallback(call);
    if (bound) return this.inlineCall(call, bound, state, completion, false);
    const argument = this.boundArgumentCalled(call) ?? this.boundMemberCalled(call);
    if (argument) return this.inlineBoundArgument(call, argument, state, completion);
    const dispatch = this.options.program && busDispatch(call, this.options.checker, this.options.program);
    if (dispatch) {
      // An event reaches every handler, each started without waiting; a command or query reaches its one handler.
      if (dispatch.detached)
        return dispatch.targets.flatMap((target) => this.inlineCall(call, target, state, 'dropped'));
      const cases = dispatch.targets.map((target) => this.inlineCall(call, target, state, completion));
      return cases.length === 1 ? cases[0] : [{ t: 'switch', cases, hasDefault: false }];
    }
    // An interface's or an abstract method: one of the project's implementations runs.
    const implementations = implementationsOf(call, this.options.checker, this.options.program);
    if (implementations) {
      const cases = implementations.map((implementation) => this.inlineCall(call, implementation, state, completion));
      return cases.length === 1 ? cases[0] : [{ t: 'switch', cases, hasDefault: true }];
    }
    const target = calledFunction(call, this.options.checker);
    if (target && isProjectCode(target)) return this.inlineCall(call, target, state, completion);
    const dispatched = this.dispatchTable(call, state, completion);
    if (dispatched) return dispatched;
    const subscribers = subscribersOf(call, this.options.checker, this.options.program);
    if (subscribers) return this.inlineSubscribers(call, subscribers, state, completion);

    const steps: Step[] = [];
    const name = calledName(call) ?? '';
    for (const argument of call.arguments) {
      const callback = unwrap(argument);
      if (isFunctionWithBody(callback)) {
        const inlined = this.inlineCallback(
          callback,
          state,
          this.callbackCompletion(call, name, callback, completion, outermost, state),
        );
        // A unique insert that opens a transaction claims the message for the rest of it (docs/model.md).
        steps.push(
          ...(CALLBACK_TRANSACTION.test(name)
            ? claimByUniqueInsert(this.inTransaction(call, callback, inlined))
            : inlined),
        );
        continue;
      }
      // A function passed by name to a library call that runs it: a context runner
      // (`storage.run(store, fn)`), a promise callback (`.then(this.next)`), an array callback.
      if (CALLBACK_REMOVERS.has(name)) continue;
      const bound = this.boundArgumentOf(callback);
      if (bound) {
        const runs = this.callbackCompletion(call, name, bound.callback, completion, outermost, state);
        const inlined = this.inlineBoundArgument(undefined, bound, state, runs);
        steps.push(
          ...(CALLBACK_TRANSACTION.test(name)
            ? claimByUniqueInsert(this.inTransaction(call, bound.callback, inlined))
            : inlined),
        );
        continue;
      }
      const named = this.projectCallable(callback);
      if (named)
        steps.push(
          ...this.inlineCallback(
            named,
            state,
            this.callbackCompletion(call, name, named, completion, outermost, state),
          ),
        );
    }
    // The message handed to code the analysis does not see (`batch.push({ message })`,
    // `resolve(msg)`, `opts.onMessage(msg)`): it may be settled there.
    if (!observesOnly(call) && call.arguments.some((argument) => state.values.carriesMessage(argument)))
      steps.push(handoff(call, `${calleeText(call)}()`));
    return steps;
  }

  private callbackCompletion(
    call: ts.CallExpression,
    name: string,
    callback: FunctionWithBody,
    completion: Completion,
    outermost: ts.CallExpression,
    state: WalkState,
  ): Completion {
    if (DEFERRING_CALLS.has(name)) return 'dropped';
    if (ARRAY_CALLBACKS.has(name) && isAsyncFunction(callback)) {
      // items.map(async …) inside an awaited Promise.all completes (also through a variable awaited
      // so later: `const ps = items.map(async …); await Promise.all(ps)`); forEach(async …) never does.
      return name === 'map' || name === 'flatMap'
        ? isAwaitedThroughCombinator(outermost) ||
          (completion === 'awaited' && isAwaitedThroughCombinator(call)) ||
          assignedToAwaitedArray(outermost, state.fn)
          ? 'awaited'
          : 'dropped'
        : 'dropped';
    }
    return completion;
  }

  private inlineCallback(callback: FunctionWithBody, state: WalkState, completion: Completion): Step[] {
    if (this.callbackUnderWay(callback)) return this.cut();
    const values = state.values;
    values.propagateThrough(callback.body);
    const body = this.functionSteps(callback, values);
    return [
      { t: 'scope', ...(completion === 'dropped' ? leftRunning(body) : { body }), locals: functionText(callback) },
    ];
  }

  /**
   * A callback the project passed into the function being inlined, run where that function calls
   * it (`call`; undefined when a library call runs it). It reads the caller's values (a closure),
   * and the arguments of `call` bind its parameters.
   */
  private inlineBoundArgument(
    call: ts.CallExpression | undefined,
    bound: BoundArgument,
    state: WalkState,
    completion: Completion,
  ): Step[] {
    const callback = bound.callback;
    if (this.stack.includes(callback)) return this.cut();
    const values = new MessageValues(this.options.checker);
    values.include(bound.values);
    if (call) state.values.bindCallee(call, callback, values);
    values.propagateThrough(callback.body);
    const base = this.depthBase;
    if (bound.anchored) this.restartDepth();
    let body: Step[];
    try {
      body = this.functionSteps(callback, values);
    } finally {
      this.depthBase = base;
    }
    const async = isAsyncFunction(callback) || this.returnsPromise(callback);
    if (call && bound.linked)
      body = prefixChain(body, { location: locationOf(call), callee: functionName(callback) }, state.fn, callback);
    return [
      {
        t: 'scope',
        ...(async && completion === 'dropped' ? leftRunning(body) : { body }),
        ...(bound.anchored ? { anchored: true } : {}),
        locals: functionText(callback),
      },
    ];
  }

  /**
   * In-process dispatch (docs/model.md, "Following the work"): `subject.next(value)` and
   * `emitter.emit('event', value)` run the project's subscribers there and then, one after the other;
   * what they do asynchronously is left running (`emitAsync` waits for them).
   */
  private inlineSubscribers(
    call: ts.CallExpression,
    subscribers: Subscribers,
    state: WalkState,
    completion: Completion,
  ): Step[] {
    const steps: Step[] = [];
    for (const subscriber of subscribers.functions) {
      if (this.stack.includes(subscriber)) {
        this.dependsOnConsumer(); // a cycle cut where this consumer's call chain puts it
        continue;
      }
      if (this.tooDeep()) {
        const reason = `${functionName(subscriber)}() is more than ${this.options.config.maxDepth} calls deep and was not followed`;
        steps.push({ t: 'unknown', node: call, reason, inCondition: this.conditionDepth > 0 });
        continue;
      }
      const values = new MessageValues(this.options.checker);
      const parameter = subscriber.parameters[0];
      if (parameter && subscribers.payload && state.values.derivesFrom(subscribers.payload))
        values.addBinding(parameter.name);
      values.propagateThrough(subscriber.body);
      const body = this.functionSteps(subscriber, values);
      if (!hasEvents(body)) continue;
      const linked = prefixChain(
        body,
        { location: locationOf(call), callee: functionName(subscriber) },
        state.fn,
        subscriber,
      );
      const waited = subscribers.awaited && completion === 'awaited';
      steps.push({
        t: 'scope',
        ...(waited ? { body: linked } : leftRunning(linked)),
        locals: functionText(subscriber),
      });
    }
    return steps;
  }

  /** The callback bound to the parameter (or the call) a call invokes (`handler(payload)` inside a wrapper). */
  private boundCallback(call: ts.CallExpression): FunctionWithBody | undefined {
    const bound = this.boundCalls.get(call);
    if (bound) {
      this.dependsOnConsumer();
      return bound;
    }
    if (!this.callbacks.size) return undefined;
    const declaration = this.calledParameter(call);
    return declaration ? this.consumerCallback(declaration) : undefined;
  }

  /**
   * The project function an argument names (a function, a method, `x.bind(this)`), not an inline
   * one; a factory's result (`createHandler(send)`) with the factory's parameters bound (bindParameters).
   */
  private projectCallable(argument: ts.Expression): FunctionWithBody | undefined {
    if (!ts.isIdentifier(argument) && !ts.isPropertyAccessExpression(argument) && !ts.isCallExpression(argument))
      return undefined;
    return this.resolveValue(argument);
  }

  /** The callback the caller passed for the parameter a call invokes (`fn()` inside `withRetry(fn)`). */
  private boundArgumentCalled(call: ts.CallExpression): BoundArgument | undefined {
    if (!this.boundArguments.size) return undefined;
    const declaration = this.calledParameter(call);
    return declaration ? this.boundArguments.get(declaration) : undefined;
  }

  /** The function of an object literal bound to a parameter that a call runs (`message.ack()`). */
  private boundMemberCalled(call: ts.CallExpression): BoundArgument | undefined {
    if (!this.boundObjects.size) return undefined;
    const callee = unwrap(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    const holder = unwrap(callee.expression);
    if (!ts.isIdentifier(holder)) return undefined;
    const declaration = symbolOf(holder, this.options.checker)?.valueDeclaration;
    const bound = declaration && ts.isParameter(declaration) ? this.boundObjects.get(declaration) : undefined;
    if (!bound) return undefined;
    const member = resolveFunction(propertyFunctionNode(bound.object, callee.name.text), this.options.checker);
    return member && isProjectCode(member) ? { callback: member, values: bound.values, linked: true } : undefined;
  }

  /** The object literals with functions in them that a call passes to a project function, by its parameter. */
  private objectBindings(
    call: ts.CallExpression,
    target: FunctionWithBody,
    state: WalkState,
  ): [ts.ParameterDeclaration, BoundObject][] {
    const bindings: [ts.ParameterDeclaration, BoundObject][] = [];
    for (const [parameter, argument] of passedArguments(call, target)) {
      const object = constObjectLiteral(argument, this.options.checker);
      if (object?.properties.some((property) => isFunctionMember(property)))
        bindings.push([parameter, { object, values: state.values }]);
    }
    return bindings;
  }

  private calledParameter(call: ts.CallExpression): ts.ParameterDeclaration | undefined {
    let callee = unwrap(call.expression);
    // fn.call(this, …) and fn.apply(this, …) invoke fn.
    if (ts.isPropertyAccessExpression(callee) && /^(call|apply)$/.test(callee.name.text))
      callee = unwrap(callee.expression);
    if (!ts.isIdentifier(callee)) return undefined;
    const declaration = symbolOf(callee, this.options.checker)?.valueDeclaration;
    return declaration && ts.isParameter(declaration) ? declaration : undefined;
  }

  /**
   * The bound callback an argument names: a parameter of the function being inlined, or a
   * parameter a wrapper's callback (or a factory's argument) is bound to.
   */
  private boundArgumentOf(argument: ts.Expression): BoundArgument | undefined {
    if ((!this.boundArguments.size && !this.callbacks.size) || !ts.isIdentifier(argument)) return undefined;
    const declaration = symbolOf(argument, this.options.checker)?.valueDeclaration;
    if (!declaration || !ts.isParameter(declaration)) return undefined;
    const bound = this.boundArguments.get(declaration);
    if (bound) return bound;
    const callback = this.consumerCallback(declaration);
    return callback && { callback, values: new MessageValues(this.options.checker), anchored: true };
  }

  /**
   * The callbacks a call passes to the project function it calls, by that function's parameter:
   * an inline function, a function of the project named by the argument, or a callback the caller
   * was given itself (passed on).
   */
  private argumentBindings(
    call: ts.CallExpression,
    target: FunctionWithBody,
    state: WalkState,
  ): [ts.ParameterDeclaration, BoundArgument][] {
    const bindings: [ts.ParameterDeclaration, BoundArgument][] = [];
    for (const [parameter, argument] of passedArguments(call, target)) {
      const value = unwrap(argument);
      if (isFunctionWithBody(value)) {
        bindings.push([parameter, { callback: value, values: state.values }]);
        continue;
      }
      const passedOn = this.boundArgumentOf(value);
      if (passedOn) {
        bindings.push([parameter, passedOn]);
        continue;
      }
      // A function of the project by name, a method, or a factory's result (`createHandler(send)`,
      // its parameters bound to the factory call's arguments).
      const named = this.projectCallable(value);
      if (named) bindings.push([parameter, { callback: named, values: state.values }]);
    }
    return bindings;
  }

  /**
   * Dispatch tables: `handlers[event.type](event)` where `handlers` is an object literal of the
   * project's functions. Every entry may run, so each is a branch; unresolved tables stay quiet.
   */
  private dispatchTable(call: ts.CallExpression, state: WalkState, completion: Completion): Step[] | undefined {
    const callee = unwrap(call.expression);
    if (!ts.isElementAccessExpression(callee) || ts.isStringLiteralLike(callee.argumentExpression)) return undefined;
    const table = objectLiteralOf(callee.expression, this.options.checker);
    if (!table) return undefined;
    const targets = table.properties
      .map((property) =>
        ts.isMethodDeclaration(property)
          ? property
          : ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)
            ? resolveFunction(
                ts.isPropertyAssignment(property) ? property.initializer : property.name,
                this.options.checker,
              )
            : undefined,
      )
      .filter((target): target is FunctionWithBody => !!target && isFunctionWithBody(target) && isProjectCode(target));
    if (!targets.length) return undefined;
    const cases = targets.map((target) => this.inlineCall(call, target, state, completion));
    return [{ t: 'switch', cases, hasDefault: false }];
  }

  private inlineCall(
    call: ts.CallExpression,
    target: FunctionWithBody,
    state: WalkState,
    completion: Completion,
    link = true,
  ): Step[] {
    const bindings = this.argumentBindings(call, target, state);
    const objects = this.objectBindings(call, target, state);
    const callbacks = this.callbacksKey(bindings, objects);
    if (this.reenters(target, callbacks)) return this.cutCycle(target, callbacks);
    this.tick();
    if (this.tooDeep()) {
      // Not the end of the analysis: an unknown step on this path (docs/model.md, "What the analysis cannot see").
      const reason = `${functionName(target)}() is more than ${this.options.config.maxDepth} calls deep and was not followed`;
      return [{ t: 'unknown', node: call, reason, inCondition: this.conditionDepth > 0 }];
    }
    const calleeValues = new MessageValues(this.options.checker, state.values);
    const flags = state.values.bindCallee(call, target, calleeValues);
    // A body built with the caller's callbacks bound in it holds the caller's closures: not shared.
    // Those bound further up are parameters of functions under way, which this body cannot name.
    const passesCallbacks = bindings.length > 0 || objects.length > 0;
    const previousKey = this.bindingKey;
    const previous = bindings.map(([parameter]) => [parameter, this.boundArguments.get(parameter)] as const);
    const previousObjects = objects.map(([parameter]) => [parameter, this.boundObjects.get(parameter)] as const);
    for (const [parameter, bound] of bindings) this.boundArguments.set(parameter, bound);
    for (const [parameter, bound] of objects) this.boundObjects.set(parameter, bound);
    if (bindings.length || objects.length || this.boundArguments.size || this.boundObjects.size)
      this.bindingKey = this.currentBindingKey();
    // A closure reads from its caller: its body is built per call. Another function's body is the
    // same at every call unless its build reads what this call passed (summary()).
    const callSite = `@${call.getSourceFile().fileName}:${call.pos}`;
    const perCall = isClosure(target) ? callSite : '';
    // A callback the user wrote, run by a wrapper, counts its depth afresh.
    const base = this.depthBase;
    if (!link) this.restartDepth();
    let body: Step[];
    this.entries.push({ target, callbacks, at: this.stack.length });
    try {
      const key = `${this.functionId(target)}:${flags.join('')}${this.bindingKey}${perCall}`;
      const sharedKey = passesCallbacks ? undefined : this.sharedKey(flags, perCall);
      const atCall = perCall
        ? undefined
        : { key: `${key}${callSite}`, sharedKey: passesCallbacks ? undefined : this.sharedKey(flags, callSite) };
      body = this.summary(target, calleeValues, key, sharedKey, atCall).steps;
    } finally {
      this.entries.pop();
      for (const [parameter, bound] of previous) {
        if (bound) this.boundArguments.set(parameter, bound);
        else this.boundArguments.delete(parameter);
      }
      for (const [parameter, bound] of previousObjects) {
        if (bound) this.boundObjects.set(parameter, bound);
        else this.boundObjects.delete(parameter);
      }
      this.bindingKey = previousKey;
      this.depthBase = base;
    }
    const async = isAsyncFunction(target) || this.returnsPromise(target);
    // A concise arrow body returns its expression, not `undefined`, when it ends.
    const result = ts.isBlock(target.body) ? resultConstant(call, async, this.options.checker) : undefined;
    // A helper with nothing to see is left out, unless it throws (an explicit throw in an effect-free
    // helper, a payload check, leaves the handler like one written in it: docs/model.md, "NestJS")
    // or its result is tested later (what it returns decides that test).
    if (!hasEvents(body) && !throwsExplicitly(body) && !result) return [];
    // Each call site gets its own copy of the callee's steps (its chain differs). A chain of
    // functions that each call the next twice doubles them at every level: past the limit a call
    // is an unknown step, as one too deep is, and what was seen is still judged.
    if (link) {
      const size = stepCount(body);
      if (this.copiedSteps + size > COPIED_STEPS_LIMIT) {
        this.dependsOnConsumer(); // where the limit falls depends on what this consumer copied before
        const reason = `${functionName(target)}() was not followed: the handler's calls, each followed where it is made, add up to more than ${COPIED_STEPS_LIMIT.toLocaleString('en-US')} steps`;
        return [{ t: 'unknown', node: call, reason, inCondition: this.conditionDepth > 0 }];
      }
      this.copiedSteps += size;
      this.tick(size);
    }
    // A wrapper's callback is the handler itself: its effects are reported where they are.
    const linked = link
      ? prefixChain(
          bindDestinations(body, call, target, this.options.checker),
          { location: locationOf(call), callee: functionName(target) },
          state.fn,
          target,
        )
      : body;
    return [
      {
        t: 'scope',
        ...(async && completion === 'dropped' ? leftRunning(linked) : { body: linked }),
        call,
        callee: functionName(target),
        ...(result && { result }),
        ...(link ? {} : { anchored: true }),
        locals: functionText(target),
      },
    ];
  }

  /**
   * The steps of `target`'s body for a call: this consumer's build for the same key, another
   * consumer's that holds at this call (`sharedKey`: the body reads nothing of its caller), or a
   * new build, kept for both (handler/summaries.ts). `atCall` names the builds of this call alone:
   * a new build is kept under it when it read what the call passed for a parameter.
   */
  private summary(
    target: FunctionWithBody,
    values: MessageValues,
    key: string,
    sharedKey?: string,
    atCall?: { key: string; sharedKey?: string },
  ): Summary {
    const depth = this.depth();
    const own = this.summaryCache.get(key) ?? (atCall && this.summaryCache.get(atCall.key));
    if (own) {
      // Reused as before; a build around it that another consumer could take is now this consumer's
      // when a build of its own here would differ (a cycle or the depth limit cut elsewhere).
      this.reused(own, depth, !holdsAt(own, this.callPoint(depth)));
      // The builds under way note what it read, as they would had they built it.
      if (own.reads && this.open.length) readCaptureOf(this.options.checker)?.replay(own.reads);
      return own;
    }
    const foundFor = (shared: string | undefined): Summary | undefined =>
      shared ? this.shared.find(target, shared, this.callPoint(depth)) : undefined;
    const anyCall = foundFor(sharedKey);
    const found = anyCall ?? (atCall && foundFor(atCall.sharedKey));
    if (found) {
      this.reused(found, depth, false);
      this.tick(found.ticks);
      this.copiedSteps += found.copied;
      for (const fn of found.dependencies.entered) this.files.add(fn.getSourceFile().fileName);
      if (found.reads) readCaptureOf(this.options.checker)?.replay(found.reads);
      this.summaryCache.set(anyCall ? key : atCall!.key, found);
      return found;
    }
    const dependencies = noDependencies();
    const ticks = this.ticks;
    const copied = this.copiedSteps;
    this.open.push({
      dependencies,
      depth,
      shared: sharedKey && `${objectId(target)}/${sharedKey}`,
      values,
      stackAt: this.stack.length,
    });
    values.onArgumentRead = () => this.argumentRead(values);
    let built: { value: Step[]; reads?: CapturedReads };
    try {
      built = captured(this.options.checker, () => {
        values.propagateThrough(target.body);
        return this.functionSteps(target, values);
      });
    } finally {
      this.open.pop();
    }
    const around = this.innermost();
    if (around) dependOn(around.dependencies, dependencies, depth - around.depth);
    const summary: Summary = {
      steps: built.value,
      dependencies,
      ticks: this.ticks - ticks,
      copied: this.copiedSteps - copied,
      reads: built.reads,
    };
    // Built from what a caller's call passed: the caller's next call may pass something else.
    if (readsCallerArguments(dependencies)) return summary;
    // Built from what this call passed: it holds at this call only.
    const kept = atCall && dependencies.argumentLevels ? atCall : { key, sharedKey };
    this.summaryCache.set(kept.key, summary);
    if (kept.sharedKey && shareable(dependencies)) this.shared.add(target, kept.sharedKey, summary);
    return summary;
  }

  /**
   * What the call that `values` are bound at passed was read: the build of that call depends on it,
   * and each build under way inside it on its caller's call, a level further up.
   */
  private argumentRead(values: MessageValues): void {
    const at = this.open.findIndex((build) => build.values === values);
    if (at < 0) return; // read after its build: what was kept was built without it
    // Past 30 levels a read is noted as 30 up: still a caller's, never (by wrapping) the build's own.
    for (let level = at; level < this.open.length; level++)
      this.open[level].dependencies.argumentLevels |= 1 << Math.min(level - at, 30);
  }

  /**
   * The key of a body other consumers may share: its binding, whether it is built inside a
   * condition (an unseen call there may be a check), and the consumer's config and library. A body
   * that reads its call site (`perCall`) is shared only inside a shared build of its caller, whose
   * key then fixes what the call site passes.
   */
  private sharedKey(flags: readonly number[], perCall: string): string | undefined {
    const enclosing = perCall ? this.innermost()?.shared : '';
    if (enclosing === undefined) return undefined;
    return `${flags.join('')}:${this.conditionDepth > 0 ? 'condition' : ''}:${this.contextKey}${enclosing && ` in ${enclosing}${perCall}`}`;
  }

  /** A summary reused at `depth`: the build under way depends on what it depended on. */
  private reused(summary: Summary, depth: number, differsHere: boolean): void {
    const build = this.innermost();
    if (!build) return;
    dependOn(build.dependencies, summary.dependencies, depth - build.depth);
    // A cycle cut inside it closed where this consumer's chain was then: here it may close elsewhere.
    if (differsHere || summary.dependencies.cycleLevels > 0) build.dependencies.ownConsumer = true;
  }

  private innermost(): OpenBuild | undefined {
    return this.open[this.open.length - 1];
  }

  private callPoint(depth: number): CallPoint {
    return {
      depth,
      maxDepth: this.options.config.maxDepth,
      stack: this.stack,
      bound: [...this.callbacks.keys(), ...this.boundCalls.keys()],
      copyable: COPIED_STEPS_LIMIT - this.copiedSteps,
    };
  }

  /** Calls between the handler (or the callback a wrapper runs) and the function being built. */
  private depth(): number {
    return this.stack.length - this.depthBase;
  }

  /** Whether a call here is past the depth limit; the build under way notes how deep it went. */
  private tooDeep(): boolean {
    const depth = this.depth();
    const build = this.innermost();
    if (build) build.dependencies.deepest = Math.max(build.dependencies.deepest, depth - build.depth);
    if (depth <= this.options.config.maxDepth) return false;
    this.dependsOnConsumer(); // where the limit falls depends on the consumer's call chain
    return true;
  }

  /** The depth counts afresh from here (a callback the user wrote, run by a wrapper). */
  private restartDepth(): void {
    this.dependsOnConsumer();
    this.depthBase = this.stack.length;
  }

  /**
   * A recursion into `target` is not followed. The builds under way since `target` was entered
   * would follow it where it is not under way: they are this consumer's. The build of `target`
   * and those around it hold the whole cycle, and other consumers may reuse them.
   */
  private cutCycle(target: FunctionWithBody, callbacks: string): Step[] {
    const entry = callbacks
      ? this.entries.find((entry) => entry.target === target && entry.callbacks === callbacks)
      : undefined;
    const entered = entry ? entry.at : this.stack.indexOf(target);
    // The innermost build begun before `target` was entered (builds begin deeper on the stack inward).
    let holding = this.open.length - 1;
    while (holding >= 0 && this.open[holding].stackAt > entered) holding--;
    if (holding < 0) return this.cut(); // entered by the handler or a callback, not a build
    const innermost = this.open.length - 1;
    const dependencies = this.open[innermost].dependencies;
    dependencies.cycleLevels = Math.max(dependencies.cycleLevels, innermost - holding);
    return [];
  }

  /** Nothing is followed here: a cycle cut where this consumer's call chain closes it. */
  private cut(): Step[] {
    this.dependsOnConsumer();
    return [];
  }

  /** The callback this consumer bound to a parameter (a wrapper's, a factory's), if any. */
  private consumerCallback(declaration: ts.ParameterDeclaration): FunctionWithBody | undefined {
    const callback = this.callbacks.get(declaration);
    if (callback) this.dependsOnConsumer();
    return callback;
  }

  /** The build under way read what only this consumer has: it (and every build around it) is not shared. */
  private dependsOnConsumer(): void {
    const build = this.innermost();
    if (build) build.dependencies.ownConsumer = true;
  }

  private tick(count = 1): void {
    this.ticks += count;
    this.options.tick?.(count);
  }

  /**
   * A callback transaction (docs/model.md, "Transactions"): `sequelize.transaction(async () => …)`,
   * `prisma.$transaction(async (tx) => …)`, `knex.transaction(async (trx) => …)`. Its database
   * writes are durable only when it commits, as the callback returns. Those counted: every database
   * write when the callback takes no transaction parameter (a managed transaction found through
   * continuation-local storage), otherwise the writes made through that parameter, directly or in a
   * project function it is passed to.
   */
  private inTransaction(call: ts.CallExpression, callback: FunctionWithBody, inlined: Step[]): Step[] {
    const scope = callTransaction(call);
    const parameter = callback.parameters[0];
    const handle =
      parameter && ts.isIdentifier(parameter.name) ? symbolOf(parameter.name, this.options.checker) : undefined;
    const passesHandle = (node: ts.Node): boolean => {
      let found = false;
      forEachDescendant(node, (child) => {
        if (!found && ts.isIdentifier(child) && symbolOf(child, this.options.checker) === handle) found = true;
      });
      return found;
    };
    const mark = (steps: Step[], all: boolean): Step[] =>
      steps.map((step): Step => {
        switch (step.t) {
          case 'effect':
            return isDatabaseWrite(step.effect.description) && (all || step.effect.connection === scope.id)
              ? { ...step, effect: { ...step.effect, commitsWith: scope, connection: scope.id } }
              : step;
          case 'scope':
            if (step.transaction) return step; // a transaction of its own
            return { ...step, body: mark(step.body, all || (!!step.call && passesHandle(step.call))) };
          case 'if':
            return { ...step, then: mark(step.then, all), else: mark(step.else, all) };
          case 'try':
            return {
              ...step,
              body: mark(step.body, all),
              handler: step.handler && mark(step.handler, all),
              finalizer: step.finalizer && mark(step.finalizer, all),
            };
          case 'loop':
          case 'guarded':
            return { ...step, body: mark(step.body, all) };
          case 'switch':
            return { ...step, cases: step.cases.map((body) => mark(body, all)) };
          default:
            return step;
        }
      });
    return inlined.map((step) =>
      step.t === 'scope' ? { ...step, body: mark(step.body, !handle), transaction: scope } : step,
    );
  }

  /**
   * Whether calling `target` with these callbacks repeats a call under way: the same function with
   * the same callbacks bound (a callback-free function already on the stack). A helper entered again
   * with another callback is not a cycle: `runInSpan('handler', () => handle(msg))` inside the
   * callback an outer `runInSpan` runs does the handler's work.
   */
  private reenters(target: FunctionWithBody, callbacks: string): boolean {
    if (!this.stack.includes(target)) return false;
    return !callbacks || this.entries.some((entry) => entry.target === target && entry.callbacks === callbacks);
  }

  /**
   * Whether a callback written in the code is already being run: since the last entry into the
   * function it is written in, when that function is inlined (entered again with other callbacks,
   * its own callbacks run again: `startActiveSpan(name, async (span) => func(span))` in a helper
   * that each call gives another `func`).
   */
  private callbackUnderWay(callback: FunctionWithBody): boolean {
    const at = this.stack.lastIndexOf(callback);
    if (at < 0) return false;
    const enclosing = [...this.entries].reverse().find((entry) => containsNode(entry.target, callback));
    return !enclosing || at >= enclosing.at;
  }

  private callbacksKey(
    bindings: [ts.ParameterDeclaration, BoundArgument][],
    objects: [ts.ParameterDeclaration, BoundObject][] = [],
  ): string {
    return [
      ...bindings.map(([parameter, bound]) => `${this.functionId(parameter)}=${this.functionId(bound.callback)}`),
      ...objects.map(([parameter, bound]) => `${this.functionId(parameter)}={${this.functionId(bound.object)}}`),
    ]
      .sort()
      .join(',');
  }

  private currentBindingKey(): string {
    if (!this.boundArguments.size && !this.boundObjects.size) return '';
    return `|${this.callbacksKey([...this.boundArguments], [...this.boundObjects])}`;
  }

  /**
   * Whether calling this function gives a promise: it is async, its signature says Promise, or
   * (when types are absent) what it returns is one: a call of an effect API, a promise chain,
   * `new Promise`, or a call of another function of the project that returns a promise.
   */
  private returnsPromise(fn: FunctionWithBody, depth = 0): boolean {
    const cached = this.promiseReturning.get(fn);
    if (cached !== undefined) return cached;
    if (depth > 4) return false;
    this.promiseReturning.set(fn, false); // recursion: cut the cycle
    const result =
      isAsyncFunction(fn) || returnsPromiseType(fn, this.options.checker) || this.returnsPromiseValue(fn, depth);
    this.promiseReturning.set(fn, result);
    return result;
  }

  private returnsPromiseValue(fn: FunctionWithBody, depth: number): boolean {
    const returned: ts.Expression[] = [];
    if (!ts.isBlock(fn.body)) returned.push(fn.body);
    else
      forEachDescendant(fn.body, (node) => {
        if (ts.isReturnStatement(node) && node.expression) returned.push(node.expression);
      });
    return returned.some((expression) => {
      const value = unwrap(expression);
      if (ts.isNewExpression(value)) return ts.isIdentifier(value.expression) && value.expression.text === 'Promise';
      if (!ts.isCallExpression(value)) return false;
      const name = calledName(value) ?? '';
      if (PROMISE_CHAIN_METHODS.test(name) || isPromiseCombinator(value) || isPromiseFactory(value)) return true;
      try {
        const classified = classifyChain(value, this.matchContext(new MessageValues(this.options.checker)));
        if (classified && !classified.description.synchronous) return true;
      } catch {
        // an effect matcher that throws on odd code counts as no match
      }
      const target = calledFunction(value, this.options.checker);
      return !!target && isProjectCode(target) && this.returnsPromise(target, depth + 1);
    });
  }

  private functionId(node: ts.Node): number {
    let id = this.functionIds.get(node);
    if (id === undefined) {
      id = this.nextFunctionId++;
      this.functionIds.set(node, id);
    }
    return id;
  }
}

/**
 * A publish whose destination is a parameter of the function called (`send(topic, …)` publishing to
 * `topic`) goes where the call's argument says: `handleError` calling `publish(this.topics.error, …)`
 * publishes to an error topic, which is failure routing (docs/model.md, "Failure routing and handing
 * failures on").
 */
function bindDestinations(
  steps: Step[],
  call: ts.CallExpression,
  target: FunctionWithBody,
  checker: ts.TypeChecker,
): Step[] {
  // A destination may name the exchange and the routing key (`exchange/routingKey`): each part is bound.
  const parts = (step: Step): string[] =>
    step.t === 'effect' && step.effect.description.category === 'publish'
      ? (step.effect.description.destination ?? '').split('/')
      : [];
  const passed = new Map(
    passedArguments(call, target).map(([parameter, argument]) => [parameter.name.getText(), argument] as const),
  );
  let bound = false;
  if (passed.size) forEachStep(steps, (step) => void (bound ||= parts(step).some((part) => passed.has(part))));
  if (!bound) return steps;
  return mapSteps(steps, (step) => {
    if (step.t !== 'effect' || !parts(step).some((part) => passed.has(part))) return step;
    let label = step.effect.description.label;
    const destination = parts(step)
      .map((part) => {
        const argument = passed.get(part);
        if (!argument) return part;
        const text = staticText(argument, checker) ?? unwrap(argument).getText();
        label = label.replace(` → ${part}`, ` → ${text}`);
        return text;
      })
      .join('/');
    return { ...step, effect: { ...step.effect, description: { ...step.effect.description, destination, label } } };
  });
}

const PROMISE_CHAIN_METHODS = /^(then|catch|finally)$/;

/** Whether a node is inside a `catch` block of the function it is written in. */
function inCatchOfOwnFunction(node: ts.Node): boolean {
  for (let current = node.parent; current && !isFunctionWithBody(current); current = current.parent)
    if (ts.isCatchClause(current)) return true;
  return false;
}

/**
 * A call of a promise executor's `reject` in a `catch` (`catch (e) { reject(e) }`): the executor's
 * second parameter (`new Promise((resolve, reject) => …)`), or a parameter named `reject` it was
 * handed to (`this.runTask(task, resolve, reject)`). Elsewhere (an `error` listener's callback)
 * it is left as a call: the listener runs only if that event comes.
 */
function rejectsPromise(call: ts.CallExpression, checker: ts.TypeChecker): boolean {
  const callee = unwrap(call.expression);
  if (!ts.isIdentifier(callee) || !inCatchOfOwnFunction(call)) return false;
  const declaration = symbolOf(callee, checker)?.valueDeclaration;
  if (!declaration || !ts.isParameter(declaration) || !ts.isIdentifier(declaration.name)) return false;
  if (declaration.name.text === 'reject') return true;
  const executor = declaration.parent;
  const created = executor.parent;
  return (
    isFunctionWithBody(executor) &&
    executor.parameters.indexOf(declaration) === 1 &&
    ts.isNewExpression(created) &&
    ts.isIdentifier(created.expression) &&
    created.expression.text === 'Promise'
  );
}

/** `.then(cb)`, `.catch(cb)`, `.finally(cb)` with a function written there: it runs after the promise it is called on. */
function isPromiseCallbackLink(link: ts.CallExpression): boolean {
  const callee = unwrap(link.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    PROMISE_CHAIN_METHODS.test(callee.name.text) &&
    link.arguments.some((argument) => isFunctionWithBody(unwrap(argument)))
  );
}

/** The call's argument for each named (not rest) parameter of the function it runs. */
function passedArguments(
  call: ts.CallExpression,
  target: FunctionWithBody,
): [ts.ParameterDeclaration, ts.Expression][] {
  const passed: [ts.ParameterDeclaration, ts.Expression][] = [];
  target.parameters.forEach((parameter, index) => {
    const argument = call.arguments[index];
    if (argument && !parameter.dotDotDotToken && ts.isIdentifier(parameter.name)) passed.push([parameter, argument]);
  });
  return passed;
}

/** A function written in an object literal: `ack() {…}`, `ack: () => …`. */
function isFunctionMember(property: ts.ObjectLiteralElementLike): boolean {
  if (ts.isMethodDeclaration(property)) return !!property.body;
  return ts.isPropertyAssignment(property) && isFunctionWithBody(unwrap(property.initializer));
}

// ---- returned flags -----------------------------------------------------------------------

/** What a test of `return <expression>`'s value decides, when the expression is a literal. */
function literalTruth(expression: ts.Expression | undefined): Truth | undefined {
  if (!expression) return 'falsy';
  const value = unwrap(expression);
  switch (value.kind) {
    case ts.SyntaxKind.TrueKeyword:
    case ts.SyntaxKind.ObjectLiteralExpression:
    case ts.SyntaxKind.ArrayLiteralExpression:
      return 'truthy';
    case ts.SyntaxKind.FalseKeyword:
    case ts.SyntaxKind.NullKeyword:
      return 'falsy';
  }
  if (ts.isIdentifier(value) && value.text === 'undefined') return 'falsy';
  if (ts.isNumericLiteral(value)) return Number(value.text) === 0 ? 'falsy' : 'truthy';
  if (ts.isStringLiteral(value) || ts.isNoSubstitutionTemplateLiteral(value)) return value.text ? 'truthy' : 'falsy';
  return undefined;
}

/**
 * A name for the `const` (or tracked `let`, see trackedLetId) a call's result is kept in (awaited
 * when the callee is async).
 */
function resultConstant(call: ts.CallExpression, async: boolean, checker: ts.TypeChecker): string | undefined {
  let node: ts.Node = call;
  let awaited = false;
  for (;;) {
    const parent: ts.Node = node.parent;
    if (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isNonNullExpression(parent)) {
      node = parent;
    } else if (ts.isAwaitExpression(parent)) {
      awaited = true;
      node = parent;
    } else break;
  }
  const declaration = node.parent;
  // `return handle(m)`: the function returns what the callee returns (a returned promise is
  // unwrapped by whoever awaits the function), so the callee's exits set the returned flag.
  if (ts.isReturnStatement(declaration) && declaration.expression === node) return returnedResultId(declaration);
  if (async && !awaited) return undefined; // the promise itself, always truthy
  // `ok = await publish(…)` of a tracked `let`.
  if (
    ts.isBinaryExpression(declaration) &&
    declaration.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    declaration.right === node &&
    ts.isIdentifier(declaration.left)
  ) {
    const assigned = symbolOf(declaration.left, checker)?.valueDeclaration;
    return assigned && ts.isVariableDeclaration(assigned) ? trackedLetId(assigned, checker) : undefined;
  }
  if (!ts.isVariableDeclaration(declaration) || declaration.initializer !== node) return undefined;
  return constantId(declaration) ?? trackedLetId(declaration, checker);
}

/**
 * Whether the steps of a value end in the call of a project function that sets this flag from
 * what it returns (`scope.result`): then the variable holds that, not something unknown.
 */
function setsResult(steps: readonly Step[], id: string): boolean {
  return steps.some((step) => step.t === 'scope' && step.result === id);
}

/** The flag a `return <call>` sets from the callee's exits, and returns (see resultConstant). */
function returnedResultId(statement: ts.ReturnStatement): string {
  return flagId(statement, 'return');
}

function constantId(declaration: ts.VariableDeclaration): string | undefined {
  const list = declaration.parent;
  if (!ts.isIdentifier(declaration.name) || !ts.isVariableDeclarationList(list)) return undefined;
  if (!(list.flags & ts.NodeFlags.Const)) return undefined;
  return flagId(declaration);
}

/**
 * A `.catch(cb)` whose callback returns a value (`.catch(() => ({ status: 'failure', id }))`) on a
 * chain whose value the code goes on to use: the failure becomes a value that code reads (a Lambda
 * batch response built from it, say), which the flow does not follow, so the callback is not judged
 * as a catch; it stays a step after the work, as any other link.
 */
function turnsFailureIntoValue(callback: FunctionWithBody, outermost: ts.CallExpression): boolean {
  if (ts.isExpressionStatement(valueOf(outermost).parent)) return false;
  if (!ts.isBlock(callback.body))
    return !ts.isCallExpression(unwrap(callback.body)) && literalTruth(callback.body) !== 'falsy'; // `(e) => log(e)` is no value
  // Some return gives a value: a callback that only logs or rethrows (`{ throw new Error(…) }`) is a catch.
  let returnsValue = false;
  const visit = (node: ts.Node): void => {
    if (returnsValue || ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node)) returnsValue = literalTruth(node.expression) !== 'falsy';
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(callback.body, visit);
  return returnsValue;
}

/**
 * `await Promise.allSettled(promises)` as a statement: nobody reads the results, so a failure of
 * any of the promises is caught there and dropped, as by a catch that does nothing (docs/model.md,
 * "Order"). Results kept or chained on (`.then(report)`) are read: the flow does not judge them.
 */
function settlesAllUnread(call: ts.CallExpression): boolean {
  return isSettledAll(call) && ts.isExpressionStatement(valueOf(call).parent);
}

/** The unread `Promise.allSettled` an array callback's promises go to (`allSettled(items.map(cb))`). */
function unreadSettledAllAround(callback: FunctionWithBody): ts.CallExpression | undefined {
  let node: ts.Node = callback;
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  const iteration = node.parent;
  if (!ts.isCallExpression(iteration) || !iteration.arguments.some((argument) => argument === node)) return undefined;
  const combinator = combinatorArgument(iteration);
  return combinator && settlesAllUnread(combinator) ? combinator : undefined;
}

/** The steps of allSettled's promises inside a `try` whose catch is the call and does nothing. */
function settledAll(promises: Step[], call: ts.CallExpression): Step[] {
  return promises.length ? [caughtBy(promises, [], call)] : promises;
}

/**
 * The `try` step of a catch written on a promise (`.catch(cb)`, an unread `allSettled`): it catches
 * only the failures of the work it is called on (`chained`), never one before that work started.
 */
function caughtBy(work: Step[], handler: Step[], catchNode: ts.Node): Step {
  return { t: 'try', body: work, handler, catchNode, enclosesProcessing: hasCaughtProcessing(work), chained: true };
}

/** The expression that holds a call's value: the call, or the `await` (in parentheses) around it. */
function valueOf(call: ts.CallExpression): ts.Expression {
  let node: ts.Expression = call;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAwaitExpression(node.parent)) node = node.parent;
  return node;
}

/** The declaration whose initializer is this call, awaited or not (`const x = await call`). */
function keptIn(call: ts.CallExpression): ts.VariableDeclaration | undefined {
  const value = valueOf(call);
  return ts.isVariableDeclaration(value.parent) && value.parent.initializer === value ? value.parent : undefined;
}

/**
 * The truth of what a function returns, when every way out agrees: a body that never returns a
 * value returns `undefined` (falsy); `() => null` is falsy. Otherwise unknown.
 */
function callbackResultTruth(fn: FunctionWithBody): Truth | undefined {
  if (!ts.isBlock(fn.body)) return literalTruth(fn.body) ?? (isLoggingCall(fn.body) ? 'falsy' : undefined);
  const truths = new Set<Truth | undefined>();
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node)) truths.add(literalTruth(node.expression));
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  if (!blockAlwaysExits(fn.body)) truths.add('falsy');
  return truths.size === 1 ? [...truths][0] : undefined;
}

/**
 * The flag an expression names: a `const` (its value set by a project function's return, see
 * `scope.result`) or a tracked `let`.
 */
function flagIdOf(expression: ts.Expression, checker: ts.TypeChecker): string | undefined {
  const value = unwrap(expression);
  if (!ts.isIdentifier(value)) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  if (!declaration || !ts.isVariableDeclaration(declaration)) return undefined;
  return constantId(declaration) ?? trackedLetId(declaration, checker);
}

/**
 * A test of a flag: which side a path takes when it knows the flag truthy or falsy. `if (saved)`
 * and `if (!saved)` decide both ways; a falsy flag makes `saved && more` and `response?.ok`
 * falsy, and a truthy one makes `saved || more` truthy, the other truth deciding nothing.
 */
function flagTest(condition: ts.Expression, checker: ts.TypeChecker): FlagTest | undefined {
  const value = unwrap(condition);
  if (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = flagTest(value.operand, checker);
    const swap = (side: Side): Side => (side === 'then' ? 'else' : side === 'else' ? 'then' : 'both');
    return inner && { id: inner.id, whenTruthy: swap(inner.whenTruthy), whenFalsy: swap(inner.whenFalsy) };
  }
  if (ts.isBinaryExpression(value)) {
    const operator = value.operatorToken.kind;
    if (operator !== ts.SyntaxKind.AmpersandAmpersandToken && operator !== ts.SyntaxKind.BarBarToken) return undefined;
    const inner = flagTest(value.left, checker) ?? flagTest(value.right, checker);
    if (!inner) return undefined;
    // `a && b` is falsy when either is, and only then decided; `a || b` truthy when either is.
    const decided: Side = operator === ts.SyntaxKind.AmpersandAmpersandToken ? 'else' : 'then';
    const narrow = (side: Side): Side => (side === decided ? side : 'both');
    return { id: inner.id, whenTruthy: narrow(inner.whenTruthy), whenFalsy: narrow(inner.whenFalsy) };
  }
  // `response?.ok`, `response?.body.status`: an optional chain from the flag is undefined when it is.
  let link: ts.Expression = value;
  while (
    (ts.isPropertyAccessExpression(link) || ts.isElementAccessExpression(link) || ts.isCallExpression(link)) &&
    link.flags & ts.NodeFlags.OptionalChain
  ) {
    const base = unwrap(link.expression);
    if (link.questionDotToken && ts.isIdentifier(base)) {
      const id = flagIdOf(base, checker);
      return id ? { id, whenTruthy: 'both', whenFalsy: 'else' } : undefined;
    }
    if (base !== link.expression) return undefined; // `(a?.b).c` ends the chain
    link = base;
  }
  const id = flagIdOf(value, checker);
  return id ? { id, whenTruthy: 'then', whenFalsy: 'else' } : undefined;
}

const trackedLets = new WeakMap<ts.TypeChecker, WeakMap<ts.VariableDeclaration, string | null>>();

/**
 * A `let` whose value a path can know (docs/model.md, "Failure routing and handing failures on"):
 * declared by a statement inside a function, and assigned only by plain `name = value` statements
 * of that function, never in a callback, by `+=`, `++` or destructuring, so every change of its
 * value is a step of the function's own flow. Its id, or undefined.
 */
function trackedLetId(declaration: ts.VariableDeclaration, checker: ts.TypeChecker): string | undefined {
  const list = declaration.parent;
  if (!ts.isIdentifier(declaration.name) || !ts.isVariableDeclarationList(list)) return undefined;
  if (!(list.flags & ts.NodeFlags.Let) || !ts.isVariableStatement(list.parent)) return undefined;
  let cache = trackedLets.get(checker);
  if (!cache) trackedLets.set(checker, (cache = new WeakMap()));
  const known = cache.get(declaration);
  if (known !== undefined) return known ?? undefined;
  let fn: ts.Node | undefined = list.parent.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  const body = fn && ts.isFunctionLike(fn) ? (fn as ts.FunctionLikeDeclaration).body : undefined;
  const name = declaration.name;
  const symbol = symbolOf(name, checker);
  let tracked = !!body && !!symbol;
  if (body && symbol)
    forEachDescendant(
      body,
      (node) => {
        if (!tracked || !ts.isIdentifier(node) || node === name || node.text !== name.text) return;
        if (symbolOf(node, checker) !== symbol) return;
        const write = writeOf(node);
        if (!write) return;
        let owner: ts.Node | undefined = node.parent;
        while (owner && !ts.isFunctionLike(owner)) owner = owner.parent;
        if (write !== 'plain' || owner !== fn) tracked = false;
      },
      true,
    );
  const id = tracked ? flagId(declaration) : undefined;
  cache.set(declaration, id ?? null);
  return id;
}

/** How an identifier is written: a plain `name = value;` statement, some other write, or not at all. */
function writeOf(identifier: ts.Identifier): 'plain' | 'other' | undefined {
  const parent = identifier.parent;
  if (
    (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) &&
    (parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken)
  )
    return 'other';
  if ((ts.isForOfStatement(parent) || ts.isForInStatement(parent)) && parent.initializer === identifier) return 'other';
  // Destructuring: `[a, name] = …`, `({ name } = …)`.
  let node: ts.Node = identifier;
  while (
    ts.isArrayLiteralExpression(node.parent) ||
    ts.isObjectLiteralExpression(node.parent) ||
    ts.isShorthandPropertyAssignment(node.parent) ||
    (ts.isPropertyAssignment(node.parent) && node.parent.initializer === node) ||
    ts.isSpreadElement(node.parent) ||
    ts.isSpreadAssignment(node.parent) ||
    ts.isParenthesizedExpression(node.parent)
  )
    node = node.parent;
  const assignment = node.parent;
  if (
    !ts.isBinaryExpression(assignment) ||
    assignment.left !== node ||
    assignment.operatorToken.kind < ts.SyntaxKind.FirstAssignment ||
    assignment.operatorToken.kind > ts.SyntaxKind.LastAssignment
  )
    return undefined;
  return node === identifier &&
    assignment.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isExpressionStatement(assignment.parent)
    ? 'plain'
    : 'other';
}

// ---- helpers over steps ------------------------------------------------------------------

/** Whether a function is declared inside another one: it may read that one's values (a closure). */
function isClosure(fn: FunctionWithBody): boolean {
  for (let parent = fn.parent; parent && !ts.isSourceFile(parent); parent = parent.parent)
    if (ts.isFunctionLike(parent)) return true;
  return false;
}

function isShortCircuit(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.AmpersandAmpersandToken ||
    kind === ts.SyntaxKind.BarBarToken ||
    kind === ts.SyntaxKind.QuestionQuestionToken
  );
}

/** Which side of `if (msg)` / `if (!msg)` / `if (msg !== null)` has the message object itself. */
function messagePresenceTest(condition: ts.Expression, values: MessageValues): 'then' | 'else' | undefined {
  const value = unwrap(condition);
  if (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = messagePresenceTest(value.operand, values);
    return inner === 'then' ? 'else' : inner === 'else' ? 'then' : undefined;
  }
  if (ts.isIdentifier(value)) return values.carriesMessage(value) ? 'then' : undefined;
  // A null-test predicate of a utility library or the project: `isNull(msg)`, `_.isNil(msg)`.
  if (ts.isCallExpression(value)) {
    const [argument] = value.arguments;
    const nullTest = NULL_PREDICATES.test(calledName(value) ?? '') && value.arguments.length === 1;
    return nullTest && ts.isIdentifier(unwrap(argument)) && values.carriesMessage(argument) ? 'else' : undefined;
  }
  if (!ts.isBinaryExpression(value)) return undefined;
  const absent = (side: ts.Expression): boolean =>
    side.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(side) && side.text === 'undefined');
  const [message, other] = absent(value.right) ? [value.left, value.right] : [value.right, value.left];
  if (!absent(other) || !ts.isIdentifier(unwrap(message)) || !values.carriesMessage(message)) return undefined;
  const operator = value.operatorToken.kind;
  if (operator === ts.SyntaxKind.ExclamationEqualsEqualsToken || operator === ts.SyntaxKind.ExclamationEqualsToken)
    return 'then';
  if (operator === ts.SyntaxKind.EqualsEqualsEqualsToken || operator === ts.SyntaxKind.EqualsEqualsToken) return 'else';
  return undefined;
}

/** Predicates that test for null or undefined (lodash's `isNil`, a project's `isNull`). */
const NULL_PREDICATES = /^is(Null|Nil|Nullish|Undefined)$/;

/**
 * Whether a check's `&&` condition has a conjunct that compares the message with a value and reads
 * no check of its own (`status === EmailStatus.DELIVERY_DELAYED`): it picks the kind of message the
 * check is for. Not a bare truthiness test (`event.id && seen(event.id)`), which only asks whether
 * the key is there.
 */
function picksMessageKind(condition: ts.Expression, values: MessageValues, context: MatchContext): boolean {
  const value = unwrap(condition);
  if (!ts.isBinaryExpression(value) || value.operatorToken.kind !== ts.SyntaxKind.AmpersandAmpersandToken) return false;
  return conjuncts(value).some((part) => {
    const test = unwrap(part);
    return (
      ts.isBinaryExpression(test) &&
      COMPARISONS.has(test.operatorToken.kind) &&
      values.derivesFrom(test) &&
      !findConditionGuard(test, context)
    );
  });
}

const COMPARISONS: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

/**
 * Whether an `if` tests that the message carries a key (`if (event.requestId)`, a value read from
 * the message) and its side where it does holds a check of the message's identity by that key
 * (docs/model.md, "Guards"). A check by another value (a cache keyed by a tenant) is no such check.
 */
function checksByPresentKey(condition: ts.Expression, thenSteps: Step[]): boolean {
  const key = unwrap(condition);
  if (!ts.isIdentifier(key) && !ts.isPropertyAccessExpression(key)) return false;
  const keyTexts: string[] = [];
  forEachStep(thenSteps, (step) => {
    const guard = step.t === 'if' ? step.guard?.guard : undefined;
    if (guard?.keyText && isIdentityGuard(guard) && (guard.kind === 'check' || guard.kind === 'claim'))
      keyTexts.push(guard.keyText);
  });
  // A check keyed by the message's identity whose key names the tested value: that value is the key.
  if (!keyTexts.length) return false;
  const keyName = new RegExp(`(^|[^\\w$.])${escapeRegExp(key.getText())}(?![\\w$])`);
  return keyTexts.some((text) => keyName.test(text));
}

/** A side of a test on which the analysis knows something of the message, not of a call. */
function sideOfTest(
  node: ts.Node,
  reason: string,
  marks: Pick<Extract<Step, { t: 'unknown' }>, 'handoff' | 'configured' | 'noIdentity'>,
): Step {
  return { t: 'unknown', node, reason, inCondition: false, ...marks };
}

/** The side of a key-presence test where the message has no key: nothing to check it by. */
function noIdentity(statement: ts.IfStatement): Step {
  return sideOfTest(statement, 'the message has no key to be checked by on this side of the test', {
    noIdentity: true,
  });
}

/** The side of a test where there is no message: nothing is there to settle (unsettled-message). */
function noMessage(statement: ts.IfStatement): Step {
  return sideOfTest(statement, 'there is no message on this side of the test', { handoff: true });
}

/** The methods of a logger, which return nothing. */
const LOGGING_METHODS = /^(log|info|warn|warning|error|debug|trace|fatal|verbose|silly)$/;

/** `console.error(e)`, `this.logger.warn(…)`: a call whose value is nothing (`.catch((e) => logger.error(e))`). */
function isLoggingCall(expression: ts.Expression): boolean {
  const call = unwrap(expression);
  if (!ts.isCallExpression(call)) return false;
  const callee = unwrap(call.expression);
  return ts.isPropertyAccessExpression(callee) && LOGGING_METHODS.test(callee.name.text) && observesOnly(call);
}

/** Roots of calls that only look at a value (logging, metrics, error trackers, built-ins): not a hand-off. */
const OBSERVERS =
  /^(console|logger|log|Logger|this\.logger|this\.log|Sentry|sentry|bugsnag|Bugsnag|rollbar|newrelic|metrics|this\.metrics|statsd|tracer|span|JSON|Object|Array|String|Number|Boolean|Buffer|Promise|Math|Date|Reflect|util|assert)$/;
const OBSERVING_METHODS =
  /^(log|info|warn|warning|error|debug|trace|fatal|verbose|silly|captureException|captureMessage|addBreadcrumb|setContext|setTag|setExtra|increment|decrement|gauge|histogram|timing|inspect|stringify|format)$/;

function observesOnly(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
  if (OBSERVING_METHODS.test(method)) return true;
  let root: ts.Expression = callee;
  while (ts.isPropertyAccessExpression(root) || ts.isCallExpression(root) || ts.isElementAccessExpression(root)) {
    const inner: ts.Expression = root.expression;
    if (inner.kind === ts.SyntaxKind.ThisKeyword && ts.isPropertyAccessExpression(root)) break;
    root = inner;
  }
  return OBSERVERS.test(root.getText());
}

function calleeText(call: ts.CallExpression): string {
  const text = unwrap(call.expression).getText().replace(/\s+/g, '');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function handoff(node: ts.Node, target: string): Step {
  return {
    t: 'unknown',
    node,
    reason: `the message is handed to ${target}, which the analysis does not follow`,
    inCondition: false,
    handoff: true,
  };
}

/** The parts of `a && b && c`, or the condition itself. */
function conjuncts(condition: ts.Expression): ts.Expression[] {
  const value = unwrap(condition);
  if (ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
    return [...conjuncts(value.left), ...conjuncts(value.right)];
  return [value];
}

const SETTLE_METHOD = /^(ack|nack|reject|complete|abandon|term|nak|delete|commit)/i;

/** `message.ack`, `message?.ack`: a test that the message has a settle method (not a call of it). */
function settleMethodPresence(part: ts.Expression, values: MessageValues): boolean {
  return (
    ts.isPropertyAccessExpression(part) && SETTLE_METHOD.test(part.name.text) && values.derivesFrom(part.expression)
  );
}

/** Whether the message is settled on this side depends on what the handler's callers configure. */
function configured(node: ts.Node, condition: string): Step {
  return sideOfTest(node, `whether the message is settled depends on the configuration it is given (${condition})`, {
    handoff: true,
    configured: true,
  });
}

function isRaceCombinator(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Promise' &&
    RACE_COMBINATORS.has(callee.name.text)
  );
}

function isPromiseCombinator(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Promise' &&
    PROMISE_COMBINATORS.has(callee.name.text)
  );
}

/** Whether the value of this node is awaited, returned, or awaited as part of Promise.all. */
function isAwaited(node: ts.Node): boolean {
  let current: ts.Node = node;
  for (;;) {
    const parent: ts.Node | undefined = current.parent;
    if (!parent) return false;
    if (ts.isAwaitExpression(parent) || ts.isReturnStatement(parent)) return true;
    if (ts.isArrowFunction(parent) && parent.body === current) return true; // concise body is returned
    if (
      ts.isParenthesizedExpression(parent) ||
      ts.isAsExpression(parent) ||
      ts.isNonNullExpression(parent) ||
      ts.isArrayLiteralExpression(parent) ||
      ts.isSpreadElement(parent)
    ) {
      current = parent;
      continue;
    }
    // x.then(...).catch(...): the chain is awaited if its outermost call is.
    if (
      (ts.isPropertyAccessExpression(parent) && parent.expression === current) ||
      (ts.isCallExpression(parent) && parent.expression === current)
    ) {
      current = parent;
      continue;
    }
    if (ts.isCallExpression(parent) && isPromiseCombinator(parent)) {
      current = parent;
      continue;
    }
    return false;
  }
}

/**
 * Whether the array a variable holds is awaited later in the function through `Promise.all` or
 * `Promise.allSettled` (`await Promise.all(promises)`, `await Promise.all([...promises])`).
 */
function awaitedLaterThroughCombinator(name: string, fn: FunctionWithBody): boolean {
  let found = false;
  forEachDescendant(fn.body, (node) => {
    if (found || !ts.isIdentifier(node) || node.text !== name) return;
    let current: ts.Node = node;
    while (
      current.parent &&
      (ts.isArrayLiteralExpression(current.parent) ||
        ts.isSpreadElement(current.parent) ||
        ts.isParenthesizedExpression(current.parent) ||
        ts.isAsExpression(current.parent))
    )
      current = current.parent;
    const parent = current.parent;
    if (parent && ts.isCallExpression(parent) && parent.arguments.includes(current as ts.Expression))
      found = isPromiseCombinator(parent) && isAwaited(parent);
  });
  return found;
}

/** `const promises = items.map(async …)` later awaited through a combinator. */
function assignedToAwaitedArray(call: ts.CallExpression, fn: FunctionWithBody): boolean {
  let current: ts.Node = call;
  while (current.parent && (ts.isParenthesizedExpression(current.parent) || ts.isAsExpression(current.parent)))
    current = current.parent;
  const declaration = current.parent;
  return (
    !!declaration &&
    ts.isVariableDeclaration(declaration) &&
    declaration.initializer === current &&
    ts.isIdentifier(declaration.name) &&
    awaitedLaterThroughCombinator(declaration.name.text, fn)
  );
}

/** `promises.push(send(…))` where `promises` is awaited later through a combinator. */
function pushedToAwaitedArray(call: ts.CallExpression, fn: FunctionWithBody): boolean {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !/^(push|unshift)$/.test(callee.name.text)) return false;
  const array = unwrap(callee.expression);
  return ts.isIdentifier(array) && awaitedLaterThroughCombinator(array.text, fn);
}

function isAwaitedThroughCombinator(call: ts.CallExpression): boolean {
  let current: ts.Node = call;
  while (
    current.parent &&
    (ts.isArrayLiteralExpression(current.parent) ||
      ts.isParenthesizedExpression(current.parent) ||
      ts.isSpreadElement(current.parent))
  )
    current = current.parent;
  const parent = current.parent;
  return !!parent && ts.isCallExpression(parent) && isPromiseCombinator(parent) && isAwaited(parent);
}

/**
 * Whether a returned value may be the promise of work in it, whose rejection then passes the try's
 * catch: not `await x`, not a property of an awaited value (`(await this.delete(row)).deleted`),
 * which settled inside the try, nor a literal; either side of `??`, `||`, `&&` and `? :` may be.
 */
function mayReturnPromise(expression: ts.Expression): boolean {
  const value = unwrap(expression);
  if (ts.isAwaitExpression(value)) return false;
  if (ts.isPropertyAccessExpression(value) || ts.isElementAccessExpression(value))
    return !ts.isAwaitExpression(unwrap(value.expression));
  if (ts.isConditionalExpression(value)) return mayReturnPromise(value.whenTrue) || mayReturnPromise(value.whenFalse);
  if (ts.isBinaryExpression(value) && isShortCircuit(value.operatorToken.kind))
    return mayReturnPromise(value.left) || mayReturnPromise(value.right);
  return !ts.isLiteralExpression(value);
}

/**
 * The steps of a value returned without `await` from a try: what rejects the returned promise goes in
 * `returnedPromise` scopes, which pass the try's catch. A synchronous effect (`channel.publish`,
 * `appendFileSync`) throws at the `return` itself, into that catch.
 */
function returnedPromise(steps: Step[]): Step[] {
  const out: Step[] = [];
  for (const step of steps) {
    const last = out[out.length - 1];
    if (step.t === 'effect' && step.effect.description.synchronous) out.push(step);
    else if (last?.t === 'scope' && last.returnedPromise) last.body.push(step);
    else out.push({ t: 'scope', body: [step], returnedPromise: true });
  }
  return out;
}

/** Whether a statement sits in the `try` block of a `try` with a `catch`, in the function itself. */
function insideTryBlock(statement: ts.Statement, fn: FunctionWithBody): boolean {
  for (let node: ts.Node = statement; node.parent && node !== fn; node = node.parent) {
    if (isFunctionWithBody(node)) return false;
    const parent = node.parent;
    if (ts.isTryStatement(parent) && parent.tryBlock === node && parent.catchClause) return true;
  }
  return false;
}

/** A write a database transaction holds until it commits. */
function isDatabaseWrite(description: EffectDescription): boolean {
  return (
    /^(sql|orm|mongo|firestore)$/.test(description.category) &&
    (description.processing || description.class === 'dedup-record')
  );
}

/** The transaction (one connection) a call runs on, when it can be read. */
function connectionOf(node: ts.Node, checker: ts.TypeChecker): string | undefined {
  return transactionOf(node, checker)?.id;
}

// ---- once-per-process initialisation (docs/model.md, "Effects") -----------------------------------

/**
 * Process-level state a memo is kept in: a field of `this` (or a static one), or a variable declared
 * at the top of a module. A value there outlives the message.
 */
function memoTarget(expression: ts.Expression, checker: ts.TypeChecker): string | undefined {
  const value = unwrap(expression);
  if (ts.isPropertyAccessExpression(value)) {
    const holder = unwrap(value.expression);
    if (holder.kind === ts.SyntaxKind.ThisKeyword) return `this.${value.name.text}`;
    const declaration = ts.isIdentifier(holder) ? symbolOf(holder, checker)?.valueDeclaration : undefined;
    return declaration && ts.isClassDeclaration(declaration) ? `${holder.getText()}.${value.name.text}` : undefined;
  }
  if (!ts.isIdentifier(value)) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  return declaration &&
    ts.isVariableDeclaration(declaration) &&
    ts.isVariableStatement(declaration.parent.parent) &&
    ts.isSourceFile(declaration.parent.parent.parent)
    ? value.text
    : undefined;
}

/** The memo a condition tests: `this.x`, `this.x !== undefined`, `x != null`; `negated` for `!x`, `x === undefined`. */
function testedMemo(condition: ts.Expression, checker: ts.TypeChecker): { memo: string; negated: boolean } | undefined {
  const value = unwrap(condition);
  if (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = testedMemo(value.operand, checker);
    return inner && { memo: inner.memo, negated: !inner.negated };
  }
  if (ts.isBinaryExpression(value)) {
    const operator = value.operatorToken.kind;
    const nullish = (side: ts.Expression): boolean => {
      const unwrapped = unwrap(side);
      return (
        unwrapped.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(unwrapped) && unwrapped.text === 'undefined')
      );
    };
    const equal =
      operator === ts.SyntaxKind.EqualsEqualsEqualsToken || operator === ts.SyntaxKind.EqualsEqualsToken
        ? true
        : operator === ts.SyntaxKind.ExclamationEqualsEqualsToken || operator === ts.SyntaxKind.ExclamationEqualsToken
          ? false
          : undefined;
    if (equal === undefined || !nullish(value.right)) return undefined;
    const memo = memoTarget(value.left, checker);
    return memo ? { memo, negated: equal } : undefined;
  }
  const memo = memoTarget(value, checker);
  return memo ? { memo, negated: false } : undefined;
}

/** Whether `node` assigns the memo (`this.client = …`, `client ??= …`). */
function assignsMemo(node: ts.Node, memo: string, checker: ts.TypeChecker): boolean {
  let found = false;
  const visit = (current: ts.Node): void => {
    if (found) return;
    if (
      ts.isBinaryExpression(current) &&
      (current.operatorToken.kind === ts.SyntaxKind.EqualsToken ||
        current.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken ||
        current.operatorToken.kind === ts.SyntaxKind.BarBarEqualsToken) &&
      memoTarget(current.left, checker) === memo
    ) {
      found = true;
      return;
    }
    ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}

/** `if (!this.client) { …; this.client = … }`: the block initialises the memo it tests. */
function isMemoInit(statement: ts.IfStatement, checker: ts.TypeChecker): boolean {
  const tested = testedMemo(statement.expression, checker);
  return !!tested && tested.negated && assignsMemo(statement.thenStatement, tested.memo, checker);
}

/**
 * A per-key memo read: `holder[key]`, `holder.get(key)` or `holder.has(key)`, with the holder kept
 * for the process's life (a field of `this`, a module variable).
 */
function keyedMemo(
  expression: ts.Expression,
  checker: ts.TypeChecker,
): { holder: string; key: ts.Expression } | undefined {
  const value = unwrap(expression);
  if (ts.isElementAccessExpression(value)) {
    const holder = memoTarget(value.expression, checker);
    return holder ? { holder, key: value.argumentExpression } : undefined;
  }
  if (ts.isCallExpression(value) && ts.isPropertyAccessExpression(value.expression) && value.arguments.length === 1) {
    if (!/^(get|has)$/.test(value.expression.name.text)) return undefined;
    const holder = memoTarget(value.expression.expression, checker);
    return holder ? { holder, key: value.arguments[0] } : undefined;
  }
  return undefined;
}

/** A per-key memo write: `holder[key] = …` or `holder.set(key, …)`. */
function keyedMemoWrite(node: ts.Node, checker: ts.TypeChecker): { holder: string; key: ts.Expression } | undefined {
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    return keyedMemo(node.left, checker);
  if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === 'set' &&
    node.arguments.length === 2
  ) {
    const holder = memoTarget(node.expression.expression, checker);
    return holder ? { holder, key: node.arguments[0] } : undefined;
  }
  return undefined;
}

/**
 * `if (!this.agents[userId]) { …; this.agents[userId] = … }` or `if (!this.clients.has(tenant)) {
 * …; this.clients.set(tenant, …) }`: what the block does runs once per key while the process
 * lives, not once per message, unless the key comes from the message (`perMessage`).
 */
function isKeyedMemoInit(
  statement: ts.IfStatement,
  checker: ts.TypeChecker,
  perMessage: (key: ts.Expression) => boolean,
): boolean {
  const condition = unwrap(statement.expression);
  if (!ts.isPrefixUnaryExpression(condition) || condition.operator !== ts.SyntaxKind.ExclamationToken) return false;
  const tested = keyedMemo(condition.operand, checker);
  if (!tested || perMessage(tested.key)) return false;
  const key = tested.key.getText();
  let assigns = false;
  const visit = (node: ts.Node): void => {
    if (assigns) return;
    const written = keyedMemoWrite(node, checker);
    if (written && written.holder === tested.holder && written.key.getText() === key) assigns = true;
    else ts.forEachChild(node, visit);
  };
  visit(statement.thenStatement);
  return assigns;
}

const RELEASE_NAME = /^(del|unlink|release|unlock)/i;

/**
 * Whether a `finally` releases the key a claim in `statement` takes: a call named as a release
 * (`redis.del(key)`, `releaseLock(redis, key, token)`, `unlock(key)`) given the same key, in the
 * finally of a try around the statement or of one after it in its block.
 */
function releasedInFinally(statement: ts.Statement, key: ts.Node): boolean {
  const keyText = key.getText().replace(/\s+/g, '');
  const releases = (finallyBlock: ts.Block | undefined): boolean => {
    let found = false;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (
        ts.isCallExpression(node) &&
        RELEASE_NAME.test(calledName(node) ?? '') &&
        node.arguments.some((argument) => argument.getText().replace(/\s+/g, '') === keyText)
      )
        found = true;
      else ts.forEachChild(node, visit);
    };
    if (finallyBlock) visit(finallyBlock);
    return found;
  };
  for (let node: ts.Node = statement; node.parent && !ts.isFunctionLike(node); node = node.parent) {
    const parent = node.parent;
    if (ts.isTryStatement(parent) && parent.tryBlock === node && releases(parent.finallyBlock)) return true;
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      const after = parent.statements.slice(parent.statements.indexOf(node as ts.Statement) + 1);
      if (after.some((sibling) => ts.isTryStatement(sibling) && releases(sibling.finallyBlock))) return true;
    }
  }
  return false;
}

/** The condition's steps with the lock's claim made a plain write: no record of the message. */
function asLock(steps: Step[]): Step[] {
  return relabelEffects(
    steps,
    (description) => description.class === 'dedup-record',
    (description) => ({ class: 'idempotent', processing: false, label: `${description.label} (lock)` }),
  );
}

/** The steps with each effect whose description passes `test` changed by `change`. */
function relabelEffects(
  steps: Step[],
  test: (description: EffectDescription) => boolean,
  change: (description: EffectDescription) => Partial<EffectDescription>,
): Step[] {
  return mapSteps(steps, (step) =>
    step.t === 'effect' && test(step.effect.description)
      ? {
          ...step,
          effect: { ...step.effect, description: { ...step.effect.description, ...change(step.effect.description) } },
        }
      : step,
  );
}

/** `Promise.resolve(…)`, `Promise.reject(…)`. */
function isPromiseFactory(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Promise' &&
    /^(resolve|reject|race|any|all|allSettled)$/.test(callee.name.text)
  );
}

/**
 * Un-awaited work (docs/model.md, "Order"): what a dropped promise does completes at some unknown
 * later time. Awaitedness is judged against the settle: when the dropped scope itself settles the
 * message positively after its own awaited work (`void this.process(msg)` where `process` awaits
 * the write, then acks), that work has completed at the ack, so the scope keeps its own order; its
 * failures reject a promise nobody awaits, which no catch around the call sees (`detached`).
 */
function leftRunning(steps: Step[]): { body: Step[]; detached?: true } {
  return settlesPositively(steps) ? { body: steps, detached: true } : { body: dropAll(steps) };
}

function settlesPositively(steps: Step[]): boolean {
  let found = false;
  forEachStep(steps, (step) => {
    if (step.t === 'settle' && POSITIVE_SETTLE_KINDS.has(step.settle.kind)) found = true;
  });
  return found;
}

function returnsPromiseType(fn: FunctionWithBody, checker: ts.TypeChecker): boolean {
  const declared = fn.type;
  if (declared && ts.isTypeReferenceNode(declared) && /^(Promise|PromiseLike)$/.test(declared.typeName.getText()))
    return true;
  try {
    const signature = checker.getSignatureFromDeclaration(fn);
    const type = signature && checker.getReturnTypeOfSignature(signature);
    return !!type && type.getSymbol()?.getName() === 'Promise';
  } catch {
    return false;
  }
}

function dropAll(steps: Step[]): Step[] {
  return mapSteps(steps, (step) =>
    step.t === 'effect' || step.t === 'settle' ? { ...step, completion: 'dropped' } : step,
  );
}

/**
 * The steps of a callee, reached through `link`. What is written in the caller itself outside the
 * callee (a callback it passed to the callee: `withRetry(() => db.insert(…))`) is reached without
 * a chain: its node is where the caller's reader sees it. So is what happens in a callback the user
 * wrote, run by a wrapper (an anchored scope): the chain stops there.
 */
function prefixChain(steps: Step[], link: CallChainLink, caller: ts.Node, callee: ts.Node): Step[] {
  const chain = (node: ts.Node, rest: CallChainLink[]): CallChainLink[] =>
    containsNode(caller, node) && !containsNode(callee, node) ? [] : [link, ...rest];
  const visit = (list: Step[]): Step[] =>
    list.map((step): Step => {
      switch (step.t) {
        case 'effect':
          return { ...step, effect: { ...step.effect, chain: chain(step.effect.node, step.effect.chain) } };
        case 'settle':
          return { ...step, settle: { ...step.settle, chain: chain(step.settle.node, step.settle.chain) } };
        case 'if':
          return {
            ...step,
            guard: step.guard && {
              ...step.guard,
              guard: { ...step.guard.guard, chain: chain(step.guard.guard.node, step.guard.guard.chain) },
            },
            then: visit(step.then),
            else: visit(step.else),
          };
        case 'guarded':
          return {
            ...step,
            guard: { ...step.guard, chain: chain(step.guard.node, step.guard.chain) },
            body: visit(step.body),
          };
        case 'try':
          return {
            ...step,
            claim: step.claim && { ...step.claim, chain: chain(step.claim.node, step.claim.chain) },
            body: visit(step.body),
            handler: step.handler && visit(step.handler),
            finalizer: step.finalizer && visit(step.finalizer),
          };
        case 'scope':
          return step.anchored ? step : { ...step, body: visit(step.body) };
        case 'loop':
          return { ...step, body: visit(step.body) };
        case 'switch':
          return { ...step, cases: step.cases.map(visit) };
        default:
          return step;
      }
    });
  return visit(steps);
}

/** The steps one consumer's calls may copy into their call sites (inlineCall). */
const COPIED_STEPS_LIMIT = 200_000;

function stepCount(steps: Step[]): number {
  let count = 0;
  forEachStep(steps, () => count++);
  return count;
}

function markLocallyGuarded(steps: Step[], gates: readonly GuardTemplate[]): Step[] {
  return mapSteps(steps, (step) =>
    step.t === 'effect'
      ? { ...step, effect: { ...step.effect, gatedBy: [...(step.effect.gatedBy ?? []), ...gates] } }
      : step,
  );
}

type ExitKind = 'return' | 'throw' | 'break' | 'continue';

/** How these steps always leave, when they do: the kinds of exit every path ends in. */
function exitsOf(steps: Step[]): Set<ExitKind> | undefined {
  for (const step of steps) {
    if (step.t === 'exit') return new Set([step.kind]);
    if (step.t === 'if' && step.then.length) {
      const then = exitsOf(step.then);
      const otherwise = then && exitsOf(step.else);
      if (then && otherwise) return new Set([...then, ...otherwise]);
    }
    if (step.t === 'scope' && step.body.some((inner) => inner.t === 'exit' && inner.kind === 'throw'))
      return new Set(['throw']);
  }
  return undefined;
}

interface Continuation {
  /** Processing can follow on a path that falls out of the current list. */
  afterList: boolean;
  /** Processing can follow after the current function returns (the caller goes on). */
  afterFunction: boolean;
  /** Processing can follow a `break` out of the nearest loop or switch. */
  afterBreak: boolean;
  /**
   * A `continue` goes on with the next item of a loop inside the handler: it skips one item's work,
   * not the message's (the consumer's own message loop is not such a loop: its body is the handler).
   */
  afterContinue: boolean;
  /**
   * A `return` of this truth makes the caller leave without more processing: the caller keeps the
   * function's result and returns on it (`const seen = await isDuplicate(id); if (seen) return;`).
   */
  skipsOnReturn?: Truth;
}

/** Inside a function: processing follows when it leaves (a `return`) exactly when it follows the call. */
function functionBoundary(after: boolean): Continuation {
  return { afterList: after, afterFunction: after, afterBreak: false, afterContinue: false };
}

/**
 * Decides, over the whole handler, which identity checks are the handler's guard (docs/model.md,
 * "Guards"): a check is message-level when its "seen" outcome skips the processing of the message,
 * that is when no processing follows it on the seen side: the seen side leaves the handler (or a
 * helper after which the handler does nothing more), or all the processing sits on the "new" side.
 * A check that gates only part of the processing (get-or-create inside larger work, a check in a
 * helper after which the caller goes on) is entity-level: that part's own check, and the writes it
 * gates count as protected by it.
 */
function judgeGuards(steps: Step[], continuation: Continuation = functionBoundary(false)): Step[] {
  const judged: Step[] = [];
  // An entity-level check whose "seen" side leaves early gates the rest of its list.
  const gatesRest: GuardTemplate[] = [];
  steps.forEach((step, index) => {
    const after = continuation.afterList || steps.slice(index + 1).some((rest) => hasProcessing([rest]));
    const inner: Continuation = { ...continuation, afterList: after };
    const skipsOnReturn =
      step.t === 'scope' && step.result ? leavesOnResult(steps, index, step.result, continuation) : undefined;
    let next = judgeStep(step, after, continuation, inner, skipsOnReturn);
    if (gatesRest.length) next = markLocallyGuarded([next], gatesRest)[0];
    if (
      next.t === 'if' &&
      next.guard?.guard.scope === 'entity' &&
      next.guard.guard.keyedByIdentity &&
      !next.guard.guard.invalidReason
    ) {
      const seenSide = next.guard.thenMeans === 'seen' ? next.then : next.else;
      if (exitsOf(seenSide)) gatesRest.push(next.guard.guard);
    }
    judged.push(next);
  });
  return judged;
}

function judgeStep(
  step: Step,
  after: boolean,
  continuation: Continuation,
  inner: Continuation,
  skipsOnReturn?: Truth,
): Step {
  switch (step.t) {
    case 'if': {
      const then = judgeGuards(step.then, inner);
      const otherwise = judgeGuards(step.else, inner);
      if (!step.guard) return { ...step, then, else: otherwise };
      const seenIsThen = step.guard.thenMeans === 'seen';
      const seenSide = seenIsThen ? then : otherwise;
      let newSide = seenIsThen ? otherwise : then;
      const exits = exitsOf(seenSide);
      const seenContinues = exits
        ? (exits.has('return') &&
            continuation.afterFunction &&
            !(continuation.skipsOnReturn && returnedTruth(seenSide) === continuation.skipsOnReturn)) ||
          (exits.has('break') && continuation.afterBreak) ||
          (exits.has('continue') && continuation.afterContinue)
        : after;
      // `if (response) { const result = await findResult(response.id); if (result) return result }`:
      // a message check nested in the found side is the second step of one check, whose "new" is
      // either step's (docs/model.md, "Guards").
      const firstOfTwo = !exits && !hasProcessing(newSide) && isValidCheck(step) && holdsMessageCheck(seenSide);
      // A lookup whose found side only uses what it found and whose other side does nothing
      // (`if (contact) subject = contact.name`) skips nothing and gates nothing: no check at all.
      if (!exits && !hasProcessing(newSide) && !firstOfTwo) return { ...step, guard: undefined, then, else: otherwise };
      // A check whose "seen" side skips nothing (`if (seen) log(…)`, a lookup used by what follows)
      // protects nothing: it is not the handler's guard.
      const messageLevel =
        firstOfTwo || (!!exits && !seenContinues) || (hasProcessing(newSide) && !after && !hasProcessing(seenSide));
      let guard = step.guard;
      if (!messageLevel) {
        guard = { ...guard, guard: { ...guard.guard, scope: 'entity' } };
        if (isIdentityGuard(guard.guard)) newSide = markLocallyGuarded(newSide, [guard.guard]);
      }
      return { ...step, guard, then: seenIsThen ? seenSide : newSide, else: seenIsThen ? newSide : seenSide };
    }
    case 'scope':
      // A function boundary: a `return` inside resumes after it (unless the caller leaves on what it returned).
      return { ...step, body: judgeGuards(step.body, { ...functionBoundary(after), skipsOnReturn }) };
    case 'guarded':
      return { ...step, body: judgeGuards(step.body, inner) };
    case 'loop':
      return {
        ...step,
        body: judgeGuards(step.body, { ...inner, afterBreak: after, afterContinue: !!step.overItems }),
      };
    case 'switch':
      return { ...step, cases: step.cases.map((body) => judgeGuards(body, { ...inner, afterBreak: after })) };
    case 'try': {
      const finalizer = step.finalizer && judgeGuards(step.finalizer, inner);
      const afterBody: Continuation = { ...inner, afterList: after || hasProcessing(step.finalizer ?? []) };
      return {
        ...step,
        body: judgeGuards(step.body, afterBody),
        handler: step.handler && judgeGuards(step.handler, afterBody),
        finalizer,
      };
    }
    default:
      return step;
  }
}

/** An `if` on a check of the message's identity (isIdentityGuard). */
function isValidCheck(step: Step): step is Extract<Step, { t: 'if' }> {
  return step.t === 'if' && step.guard?.guard.kind === 'check' && isIdentityGuard(step.guard.guard);
}

/** A judged list that holds, at its top level, a valid message-level check of the message. */
function holdsMessageCheck(steps: Step[]): boolean {
  return steps.some((step) => isValidCheck(step) && step.guard?.guard.scope !== 'entity');
}

/**
 * The truth of a function's result on which its caller leaves with no more processing: the caller
 * keeps the result (`scope.result`) and, before any processing, tests it with a side that returns
 * (and nothing after the caller's return goes on).
 */
function leavesOnResult(steps: Step[], index: number, result: string, continuation: Continuation): Truth | undefined {
  if (continuation.afterFunction) return undefined;
  for (const step of steps.slice(index + 1)) {
    if (step.t === 'if' && step.flag?.id === result) {
      const leaves = (side: 'then' | 'else'): boolean => {
        const taken = side === 'then' ? step.then : step.else;
        return !!exitsOf(taken)?.has('return') && !hasProcessing(taken);
      };
      if (step.flag.whenTruthy !== 'both' && leaves(step.flag.whenTruthy)) return 'truthy';
      if (step.flag.whenFalsy !== 'both' && leaves(step.flag.whenFalsy)) return 'falsy';
      return undefined;
    }
    if (hasProcessing([step])) return undefined;
  }
  return undefined;
}

/** The truth of the literal every `return` ending these steps returns, when they all agree. */
function returnedTruth(steps: Step[]): Truth | undefined {
  for (const step of steps) {
    if (step.t === 'exit') return step.kind === 'return' ? step.value : undefined;
    if (step.t === 'if' && step.then.length) {
      const then = exitsOf(step.then) && returnedTruth(step.then);
      const otherwise = then && exitsOf(step.else) && returnedTruth(step.else);
      if (then && otherwise) return then === otherwise ? then : undefined;
    }
  }
  return undefined;
}

/**
 * Which side of a business-state check means "seen": the side that skips the work (leaves by
 * `return`, `continue` or `break`; a `throw` is a failure, not a skip) while the other goes on, or,
 * when neither leaves, the side without processing.
 */
function stateSense(thenSteps: Step[], elseSteps: Step[]): 'seen' | 'new' | undefined {
  const skips = (exits: Set<ExitKind> | undefined): boolean => !!exits && !exits.has('throw');
  const thenExits = exitsOf(thenSteps);
  const elseExits = exitsOf(elseSteps);
  if (skips(thenExits) && !elseExits && !hasProcessing(thenSteps)) return 'seen';
  if (skips(elseExits) && !thenExits && !hasProcessing(elseSteps)) return 'new';
  if (!thenExits && !elseExits) {
    if (hasProcessing(thenSteps) && !hasProcessing(elseSteps)) return 'new';
    if (hasProcessing(elseSteps) && !hasProcessing(thenSteps)) return 'seen';
  }
  return undefined;
}

/**
 * Whether the work after a business-state check records the state it tested: the property is set
 * (`x.status = …`, `{ status: … }`, `SET status = …`, a DynamoDB `#status` name) on the "new" side
 * or later in the same function, or in a project function called there.
 */
function recordsState(
  statement: ts.IfStatement,
  newSide: ts.Statement | undefined,
  property: string,
  checker: ts.TypeChecker,
): boolean {
  const name = property.toLowerCase();
  // `SET status = …`, `SET "latestStatus" = …`, a DynamoDB `#status`.
  const inText = new RegExp(`(^|[^\\w])[#"\`]?${property.replace(/[$]/g, '\\$')}["\`]?\\s*=`, 'i');
  let fn: ts.Node | undefined = statement.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  const scopes: ts.Node[] = [];
  if (newSide) scopes.push(newSide);
  const body = fn && ts.isFunctionLike(fn) ? (fn as ts.FunctionLikeDeclaration).body : undefined;
  let found = false;
  const followed = new Set<ts.Node>();
  const visit = (node: ts.Node, depth: number): void => {
    if (found) return;
    // `select: { status: true }`, `where: { status }`: a query's shape reads the property, it records nothing.
    if (ts.isObjectLiteralExpression(node) && inQueryShape(node)) return;
    if (
      ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) &&
        node.name.getText().replace(/['"]/g, '').toLowerCase() === name) ||
      (ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(node.left) &&
        node.left.name.text.toLowerCase() === name) ||
      ((ts.isStringLiteralLike(node) ||
        ts.isTemplateHead(node) ||
        ts.isTemplateMiddle(node) ||
        ts.isTemplateTail(node)) &&
        (node.text.toLowerCase() === name || inText.test(node.text)))
    ) {
      found = true;
      return;
    }
    if (ts.isCallExpression(node) && depth < 2) {
      const target = calledFunction(node, checker);
      if (target && isProjectCode(target) && !followed.has(target)) {
        followed.add(target);
        visit(target.body, depth + 1);
      }
    }
    ts.forEachChild(node, (child) => visit(child, depth));
  };
  for (const scope of scopes) visit(scope, 0);
  if (!found && body && ts.isBlock(body)) {
    for (const later of body.statements) if (later.pos >= statement.end) visit(later, 0);
    // The check nested in a block: the rest of the enclosing blocks counts too.
    for (let block: ts.Node = statement.parent; block && block !== body; block = block.parent)
      if (ts.isBlock(block)) for (const later of block.statements) if (later.pos >= statement.end) visit(later, 0);
  }
  return found;
}

/** The keys of an ORM call's options that say what to read, not what to write. */
const QUERY_SHAPE_KEYS = new Set(['select', 'where', 'include', 'orderBy', 'omit', 'distinct', 'cursor']);

/** An object literal given as a query's `select`, `where`, `include` … */
function inQueryShape(literal: ts.ObjectLiteralExpression): boolean {
  const holder = literal.parent;
  return (
    ts.isPropertyAssignment(holder) && holder.initializer === literal && QUERY_SHAPE_KEYS.has(holder.name.getText())
  );
}

/** The first insert keyed by the message that fails on a duplicate, at the top of these steps (or of a helper they call). */
function leadingUniqueInsert(steps: Step[]): EffectTemplate | undefined {
  for (const step of steps) {
    if (step.t === 'effect' && step.effect.uniqueInsert && step.completion === 'awaited') return step.effect;
    if (step.t === 'scope') {
      const inner = leadingUniqueInsert(step.body);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * In a transaction callback, an insert whose unique key comes from the message claims the message
 * for what follows it in the transaction: a duplicate fails on the key and everything after it rolls
 * back with the transaction (the inbox pattern, docs/model.md, "Transactions"). The claim covers the
 * transaction only, so it is that part's own (entity-level) guard.
 */
function claimByUniqueInsert(steps: Step[]): Step[] {
  return steps.map((step) => {
    if (step.t !== 'scope') return step;
    const index = step.body.findIndex((inner) => !!leadingUniqueInsert([inner]));
    if (index < 0 || index === step.body.length - 1) return step;
    const insert = leadingUniqueInsert([step.body[index]])!;
    const guard: GuardTemplate = {
      kind: 'claim',
      label: `${insert.description.label} (unique key, in a transaction)`,
      node: insert.node,
      keyedByIdentity: true,
      scope: 'entity',
      chain: insert.chain,
    };
    return {
      ...step,
      body: [...step.body.slice(0, index + 1), { t: 'guarded', guard, body: step.body.slice(index + 1) }],
    };
  });
}

/** Effects that run once per process (a memoised initialisation): not processing, not per message. */
function oncePerProcess(steps: Step[]): Step[] {
  return relabelEffects(
    steps,
    (description) => description.processing,
    (description) => ({
      class: description.class === 'duplicate-unsafe' ? 'idempotent' : description.class,
      processing: false,
      onDuplicate: undefined,
      label: `${description.label} (once per process)`,
    }),
  );
}

/**
 * A value kept for the process's lifetime: a field of `this`, a static field, or a module-level
 * variable. Not a local: a local is made again for every message.
 */
function memoHolder(expression: ts.Expression, checker: ts.TypeChecker): string | undefined {
  const value = unwrap(expression);
  if (ts.isPropertyAccessExpression(value)) {
    const root = unwrap(value.expression);
    if (root.kind === ts.SyntaxKind.ThisKeyword) return value.getText();
    if (ts.isIdentifier(root) && ts.isIdentifier(value.name)) {
      const declaration = symbolOf(root, checker)?.valueDeclaration;
      if (declaration && ts.isClassDeclaration(declaration)) return value.getText(); // Cls.instance
    }
    return undefined;
  }
  if (ts.isIdentifier(value)) {
    const declaration = symbolOf(value, checker)?.valueDeclaration;
    if (!declaration || !ts.isVariableDeclaration(declaration)) return undefined;
    const statement = declaration.parent?.parent;
    return statement && ts.isVariableStatement(statement) && ts.isSourceFile(statement.parent) ? value.text : undefined;
  }
  return undefined;
}

/** The holder a condition tests for presence (`this.client`, `client != null`), with its sense. */
function presenceTest(
  condition: ts.Expression,
  checker: ts.TypeChecker,
): { holder: string; present: boolean } | undefined {
  const value = unwrap(condition);
  if (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = presenceTest(value.operand, checker);
    return inner && { holder: inner.holder, present: !inner.present };
  }
  if (ts.isBinaryExpression(value)) {
    const operator = value.operatorToken.kind;
    const nullish = (node: ts.Expression): boolean => {
      const side = unwrap(node);
      return side.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(side) && side.text === 'undefined');
    };
    const other = nullish(value.right) ? value.left : nullish(value.left) ? value.right : undefined;
    if (!other) return undefined;
    const holder = memoHolder(other, checker);
    if (!holder) return undefined;
    if (operator === ts.SyntaxKind.ExclamationEqualsEqualsToken || operator === ts.SyntaxKind.ExclamationEqualsToken)
      return { holder, present: true };
    if (operator === ts.SyntaxKind.EqualsEqualsEqualsToken || operator === ts.SyntaxKind.EqualsEqualsToken)
      return { holder, present: false };
    return undefined;
  }
  const holder = memoHolder(value, checker);
  return holder ? { holder, present: true } : undefined;
}

/** Assignments of a value that is not a literal flag (`this.client = await connect()`) to a holder. */
function assignsHolder(nodes: readonly ts.Node[], holder: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) return;
    if (
      ts.isBinaryExpression(node) &&
      (node.operatorToken.kind === ts.SyntaxKind.EqualsToken ||
        node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken) &&
      unwrap(node.left).getText() === holder
    ) {
      const right = unwrap(node.right);
      const flag =
        right.kind === ts.SyntaxKind.TrueKeyword ||
        right.kind === ts.SyntaxKind.FalseKeyword ||
        right.kind === ts.SyntaxKind.NullKeyword ||
        ts.isNumericLiteral(right) ||
        ts.isStringLiteralLike(right);
      if (!flag) found = true;
    }
    ts.forEachChild(node, visit);
  };
  nodes.forEach(visit);
  return found;
}

function onlyStatement(statement: ts.Statement): ts.Statement | undefined {
  if (ts.isBlock(statement)) return statement.statements.length === 1 ? statement.statements[0] : undefined;
  return statement;
}

/**
 * `if (this.client) return this.client;` followed by code that sets `this.client`: the start of a
 * memoised initialisation, whose rest runs once per process.
 */
function isMemoCheck(statement: ts.Statement, rest: readonly ts.Statement[], checker: ts.TypeChecker): boolean {
  if (!ts.isIfStatement(statement) || statement.elseStatement) return false;
  const test = presenceTest(statement.expression, checker);
  if (!test?.present) return false;
  const returned = onlyStatement(statement.thenStatement);
  if (!returned || !ts.isReturnStatement(returned) || !returned.expression) return false;
  if (!unwrapAwait(returned.expression).getText().startsWith(test.holder)) return false;
  return assignsHolder(rest, test.holder);
}

/**
 * `if (!this.client) { … this.client = … }` or `this.client ??= …`: the initialisation itself runs
 * once per process.
 */
function memoInitialisation(statement: ts.Statement, checker: ts.TypeChecker): 'all' | undefined {
  if (ts.isIfStatement(statement) && !statement.elseStatement) {
    const test = presenceTest(statement.expression, checker);
    if (test && !test.present && assignsHolder([statement.thenStatement], test.holder)) return 'all';
    return undefined;
  }
  if (ts.isExpressionStatement(statement)) {
    const value = unwrap(statement.expression);
    if (
      ts.isBinaryExpression(value) &&
      (value.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken ||
        value.operatorToken.kind === ts.SyntaxKind.BarBarEqualsToken) &&
      memoHolder(value.left, checker)
    )
      return 'all';
  }
  return undefined;
}

function hasEvents(steps: Step[]): boolean {
  let found = false;
  forEachStep(steps, (step) => {
    if (
      step.t === 'effect' ||
      step.t === 'settle' ||
      (step.t === 'if' && step.guard) ||
      step.t === 'guarded' ||
      step.t === 'unknown'
    )
      found = true;
  });
  return found;
}

function throwsExplicitly(steps: Step[]): boolean {
  let found = false;
  forEachStep(steps, (step) => {
    if (step.t === 'exit' && step.kind === 'throw') found = true;
  });
  return found;
}

/** Processing in these steps that a `try` around them catches: not in a promise returned from them. */
function hasCaughtProcessing(steps: Step[]): boolean {
  return steps.some((step) => {
    switch (step.t) {
      case 'effect':
        return step.effect.description.processing && step.effect.description.class !== 'dedup-record';
      case 'scope':
        return !step.returnedPromise && !step.detached && hasCaughtProcessing(step.body);
      case 'if':
        return hasCaughtProcessing(step.then) || hasCaughtProcessing(step.else);
      case 'try':
        return (
          hasCaughtProcessing(step.body) ||
          hasCaughtProcessing(step.handler ?? []) ||
          hasCaughtProcessing(step.finalizer ?? [])
        );
      case 'loop':
      case 'guarded':
        return hasCaughtProcessing(step.body);
      case 'switch':
        return step.cases.some(hasCaughtProcessing);
      default:
        return false;
    }
  });
}

function hasSettle(steps: Step[]): boolean {
  let found = false;
  forEachStep(steps, (step) => {
    if (step.t === 'settle') found = true;
  });
  return found;
}

function hasProcessing(steps: Step[]): boolean {
  let found = false;
  forEachStep(steps, (step) => {
    if (step.t === 'effect' && step.effect.description.processing && step.effect.description.class !== 'dedup-record')
      found = true;
  });
  return found;
}

function firstRecord(steps: Step[]): EffectTemplate | undefined {
  let record: EffectTemplate | undefined;
  forEachStep(steps, (step) => {
    if (
      !record &&
      step.t === 'effect' &&
      step.effect.description.class === 'dedup-record' &&
      step.effect.keyedByMessage
    )
      record = step.effect;
  });
  return record;
}

function alwaysReturns(steps: Step[]): boolean {
  return steps.some((step) => step.t === 'exit' && (step.kind === 'return' || step.kind === 'continue'));
}

export { calledName };

/** The expiry of a Redis claim: `set(key, v, 'EX', 300, 'NX')`, `{ EX: 300, NX: true }`, PX in ms. */
function leaseOf(call: ts.CallExpression): number | undefined {
  const args = call.arguments;
  for (let index = 0; index < args.length; index++) {
    const argument = unwrap(args[index]);
    if (ts.isStringLiteralLike(argument) && /^(EX|PX)$/i.test(argument.text)) {
      const next = args[index + 1] && unwrap(args[index + 1]);
      if (next && ts.isNumericLiteral(next))
        return Number(next.text) / (argument.text.toUpperCase() === 'PX' ? 1000 : 1);
    }
    if (ts.isObjectLiteralExpression(argument)) {
      for (const property of argument.properties) {
        if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) continue;
        const value = unwrap(property.initializer);
        if (/^(EX|PX)$/i.test(property.name.text) && ts.isNumericLiteral(value))
          return Number(value.text) / (property.name.text.toUpperCase() === 'PX' ? 1000 : 1);
      }
    }
  }
  return undefined;
}
