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
import {
  FunctionWithBody,
  calledName,
  chainCalls,
  functionName,
  isAsyncFunction,
  isFunctionWithBody,
  isProjectCode,
  locationOf,
  symbolOf,
  unwrap,
} from '../source/ast';
import { type ParameterBinding, calledFunction, resolveCallable, resolveFunction } from '../source/symbols';
import { objectLiteral as objectLiteralOf } from '../effects/objects';
import {
  forEachStep,
  mapSteps,
  type Completion,
  type EffectTemplate,
  type GuardTemplate,
  type SettleRecognizer,
  type Step,
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
  /** The program, to find the handlers a NestJS CQRS bus dispatches to (handler/cqrs.ts). */
  program?: ts.Program;
  config: ResolvedConfig;
  library: SettleRecognizer;
  identity: IdentityRules;
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

interface WalkState {
  values: MessageValues;
  /** Statements of the function being walked, for finding a later `await p`. */
  fn: FunctionWithBody;
}

export class FlowBuilder {
  private readonly summaryCache = new Map<string, Step[]>();
  private readonly functionIds = new WeakMap<ts.Node, number>();
  private nextFunctionId = 0;
  private readonly stack: ts.Node[] = [];
  /** Functions bound to parameters: a wrapper's callback, a factory's arguments, a function passed to a helper. */
  private readonly callbacks = new Map<ts.ParameterDeclaration, FunctionWithBody>();
  /** Calls bound to the function they run (a wrapper's callback reached through a field or an options object). */
  private readonly boundCalls = new Map<ts.CallExpression, FunctionWithBody>();
  /** Where the depth limit counts from: a callback the user wrote, run by a wrapper, starts afresh. */
  private depthBase = 0;
  /** Above zero while the steps of an `if` condition are built (an unseen call there may be a check). */
  private conditionDepth = 0;

  constructor(private readonly options: FlowOptions) {}

  /**
   * Steps of a handler whose message-bearing bindings are already in `values`. `detachedAck`: the
   * library acks when the handler returns without awaiting its promise (an async callback of an
   * auto-acking subscription): nothing it starts has completed at the ack.
   */
  handlerSteps(fn: FunctionWithBody, values: MessageValues, options: { detachedAck?: boolean } = {}): Step[] {
    values.propagateThrough(fn.body);
    const steps = this.functionSteps(fn, values);
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
      if (callback) this.callbacks.set(binding.parameter, callback);
    }
  }

  /** The function an expression stands for, through parameters already bound to functions. */
  private resolveValue(expression: ts.Expression): FunctionWithBody | undefined {
    const value = unwrap(expression);
    if (ts.isIdentifier(value)) {
      const declaration = symbolOf(value, this.options.checker)?.valueDeclaration;
      if (declaration && ts.isParameter(declaration)) return this.callbacks.get(declaration);
    }
    const resolved = resolveCallable(value, this.options.checker);
    if (!resolved) return undefined;
    this.bindParameters(resolved.bindings);
    return resolved.fn;
  }

  private functionSteps(fn: FunctionWithBody, values: MessageValues): Step[] {
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
    return { checker: this.options.checker, config: this.options.config, values };
  }

  // ---- statements ------------------------------------------------------------------------

  private block(statements: readonly ts.Statement[], state: WalkState): Step[] {
    const built = statements.map((statement) => this.statement(statement, state));
    built.forEach((stepsOfStatement, index) => {
      for (const step of stepsOfStatement) {
        if (step.t !== 'if' || !step.guard) continue;
        // A guard is the handler's (message-level) when "seen" skips the rest of the processing.
        const seenSide = step.guard.thenMeans === 'seen' ? step.then : step.else;
        const newSide = step.guard.thenMeans === 'seen' ? step.else : step.then;
        const processingAfter = built.slice(index + 1).some(hasProcessing);
        // `if (seen) log(...)` with no return is still the handler's check, one that skips nothing.
        const checkWithoutSkip =
          step.guard.thenMeans === 'seen' &&
          processingAfter &&
          !alwaysExits(newSide) &&
          !hasProcessing(newSide) &&
          !hasProcessing(seenSide);
        const messageLevel =
          alwaysExits(seenSide) ||
          (hasProcessing(newSide) && !processingAfter && !hasProcessing(seenSide)) ||
          checkWithoutSkip;
        if (!messageLevel) {
          step.guard.guard.scope = 'entity';
          if (step.guard.guard.keyedByIdentity && !step.guard.guard.invalidReason) markLocallyGuarded(newSide);
        }
      }
    });
    return built.flat();
  }

  private statement(statement: ts.Statement, state: WalkState): Step[] {
    if (ts.isBlock(statement)) return this.block(statement.statements, state);
    if (ts.isExpressionStatement(statement)) return this.expression(statement.expression, state, 'statement');
    if (ts.isVariableStatement(statement)) {
      return statement.declarationList.declarations.flatMap((declaration) =>
        declaration.initializer
          ? this.expression(declaration.initializer, state, this.variableCompletion(declaration, state))
          : [],
      );
    }
    if (ts.isReturnStatement(statement)) {
      const returnsMessage = !!statement.expression && state.values.derivesFrom(statement.expression);
      return [
        ...(statement.expression ? this.expression(statement.expression, state, 'awaited') : []),
        { t: 'exit', kind: 'return', node: statement, returnsMessage },
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
      return [
        ...this.expression(statement.expression, state, 'awaited'),
        { t: 'loop', body: this.statement(statement.statement, state) },
      ];
    }
    if (ts.isForStatement(statement)) {
      const header = [statement.initializer, statement.condition].filter(
        (node): node is ts.Expression => !!node && ts.isExpression(node),
      );
      return [
        ...header.flatMap((node) => this.expression(node, state, 'awaited')),
        { t: 'loop', body: this.statement(statement.statement, state) },
      ];
    }
    if (ts.isWhileStatement(statement) || ts.isDoStatement(statement)) {
      return [
        ...this.expression(statement.expression, state, 'awaited'),
        { t: 'loop', body: this.statement(statement.statement, state) },
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
    this.conditionDepth++;
    let condition: Step[];
    try {
      condition = this.expression(statement.expression, state, 'awaited');
    } finally {
      this.conditionDepth--;
    }
    const thenSteps = this.statement(statement.thenStatement, state);
    const elseSteps = statement.elseStatement ? this.statement(statement.elseStatement, state) : [];
    const found = findConditionGuard(statement.expression, this.matchContext(state.values));
    if (!found) return [...condition, { t: 'if', then: thenSteps, else: elseSteps }];
    const judgement = judgeGuardKey(
      found.signal,
      state.values,
      this.options.config,
      this.options.checker,
      this.options.identity,
    );
    const guard: GuardTemplate = {
      kind: found.signal.kind,
      label: found.label,
      node: found.call,
      keyText: found.signal.key?.getText().slice(0, 200),
      leaseSeconds: ts.isCallExpression(found.call) ? leaseOf(found.call) : undefined,
      keyedByIdentity: judgement.keyedByIdentity,
      invalidReason: judgement.invalidReason,
      scope: 'message',
      chain: [],
    };
    return [...condition, { t: 'if', guard: { guard, thenMeans: found.thenMeans }, then: thenSteps, else: elseSteps }];
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
        enclosesProcessing: hasProcessing(body),
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
        let parent: ts.Node = node.parent;
        while (
          parent &&
          (ts.isArrayLiteralExpression(parent) ||
            ts.isParenthesizedExpression(parent) ||
            ts.isSpreadElement(parent) ||
            ts.isCallExpression(parent))
        ) {
          if (ts.isCallExpression(parent) && !PROMISE_COMBINATORS.has(calledName(parent) ?? '')) break;
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
        locallyGuarded: false,
        chain: [],
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
        if (!isFunctionWithBody(unwrap(argument)))
          steps.push(...this.expression(argument, state, isRaceCombinator(link) ? 'dropped' : completion));
      }
      const callee = unwrap(link.expression);
      if (ts.isPropertyAccessExpression(callee) && !ts.isCallExpression(unwrap(callee.expression))) {
        steps.push(...this.expression(callee.expression, state, 'statement'));
      }
    }
    if (classified) {
      steps.push(this.effectStep(classified, state, completion));
      // Callbacks of the links after the effect (.then(() => channel.ack(msg))) run after it.
      for (const link of chainCalls(call)) {
        if (link.pos > classified.node.pos || (link.pos === classified.node.pos && link.end > classified.node.end))
          steps.push(...this.singleCall(link, state, completion, call));
      }
      return steps;
    }
    for (const link of chainCalls(call)) steps.push(...this.singleCall(link, state, completion, call));
    return steps;
  }

  private singleCall(
    call: ts.CallExpression,
    state: WalkState,
    completion: Completion,
    outermost: ts.CallExpression,
  ): Step[] {
    const settle = this.options.library.settleOf(call, state.values, this.options.checker);
    if (settle) return [{ t: 'settle', completion, settle: { ...settle, node: call, chain: [] } }];

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
    const dispatch = this.options.program && busDispatch(call, this.options.checker, this.options.program);
    if (dispatch) {
      // An event reaches every handler, each started without waiting; a command or query reaches its one handler.
      if (dispatch.detached)
        return dispatch.targets.flatMap((target) => this.inlineCall(call, target, state, 'dropped'));
      const cases = dispatch.targets.map((target) => this.inlineCall(call, target, state, completion));
      return cases.length === 1 ? cases[0] : [{ t: 'switch', cases, hasDefault: false }];
    }
    const target = calledFunction(call, this.options.checker);
    if (target && isProjectCode(target)) return this.inlineCall(call, target, state, completion);
    const dispatched = this.dispatchTable(call, state, completion);
    if (dispatched) return dispatched;

    const steps: Step[] = [];
    const name = calledName(call) ?? '';
    for (const argument of call.arguments) {
      const callback = this.callbackArgument(argument);
      if (!callback) continue;
      steps.push(
        ...this.inlineCallback(callback, state, this.callbackCompletion(call, name, callback, completion, outermost)),
      );
    }
    return steps;
  }

  /** A function passed to a library call: written inline, or a callback parameter bound to one. */
  private callbackArgument(argument: ts.Expression): FunctionWithBody | undefined {
    const value = unwrap(argument);
    if (isFunctionWithBody(value)) return value;
    if (!ts.isIdentifier(value) || !this.callbacks.size) return undefined;
    const declaration = symbolOf(value, this.options.checker)?.valueDeclaration;
    return declaration && ts.isParameter(declaration) ? this.callbacks.get(declaration) : undefined;
  }

  private callbackCompletion(
    call: ts.CallExpression,
    name: string,
    callback: FunctionWithBody,
    completion: Completion,
    outermost: ts.CallExpression,
  ): Completion {
    if (DEFERRING_CALLS.has(name)) return 'dropped';
    if (ARRAY_CALLBACKS.has(name) && isAsyncFunction(callback)) {
      // items.map(async …) inside an awaited Promise.all completes; forEach(async …) never does.
      return name === 'map' || name === 'flatMap'
        ? isAwaitedThroughCombinator(outermost) || (completion === 'awaited' && isAwaitedThroughCombinator(call))
          ? 'awaited'
          : 'dropped'
        : 'dropped';
    }
    return completion;
  }

  private inlineCallback(callback: FunctionWithBody, state: WalkState, completion: Completion): Step[] {
    if (this.stack.includes(callback)) return [];
    const values = state.values;
    values.propagateThrough(callback.body);
    const body = this.functionSteps(callback, values);
    return [{ t: 'scope', body: completion === 'dropped' ? dropAll(body) : body }];
  }

  /** The callback bound to the parameter (or the call) a call invokes (`handler(payload)` inside a wrapper). */
  private boundCallback(call: ts.CallExpression): FunctionWithBody | undefined {
    const bound = this.boundCalls.get(call);
    if (bound) return bound;
    if (!this.callbacks.size) return undefined;
    const callee = unwrap(call.expression);
    if (!ts.isIdentifier(callee)) return undefined;
    const declaration = symbolOf(callee, this.options.checker)?.valueDeclaration;
    return declaration && ts.isParameter(declaration) ? this.callbacks.get(declaration) : undefined;
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
    if (this.stack.includes(target)) return []; // recursion: cut the cycle
    if (this.stack.length - this.depthBase > this.options.config.maxDepth) {
      // Not the end of the analysis: an unknown step on this path (docs/model.md, "What the analysis cannot see").
      const reason = `${functionName(target)}() is more than ${this.options.config.maxDepth} calls deep and was not followed`;
      return [{ t: 'unknown', node: call, reason, inCondition: this.conditionDepth > 0 }];
    }
    const calleeValues = new MessageValues(this.options.checker);
    const flags = state.values.bindCallee(call, target, calleeValues);
    // A function passed to a project helper (`withLogger(ctx, async () => …)`) runs where the
    // helper calls it, or where it hands it to a library call.
    const passed = target.parameters.map((parameter, index) => {
      const argument = call.arguments[index];
      return argument && !parameter.dotDotDotToken ? this.resolveValue(argument) : undefined;
    });
    const key = `${this.functionId(target)}:${flags.map((flag) => (flag ? 1 : 0)).join('')}:${passed
      .map((fn) => (fn ? this.functionId(fn) : '-'))
      .join(',')}`;
    let body = this.summaryCache.get(key);
    if (!body) {
      const saved = target.parameters.map((parameter) => this.callbacks.get(parameter));
      target.parameters.forEach((parameter, index) => {
        const fn = passed[index];
        if (fn) this.callbacks.set(parameter, fn);
      });
      const base = this.depthBase;
      if (!link) this.depthBase = this.stack.length;
      try {
        calleeValues.propagateThrough(target.body);
        body = this.functionSteps(target, calleeValues);
      } finally {
        this.depthBase = base;
        target.parameters.forEach((parameter, index) => {
          const previous = saved[index];
          if (previous) this.callbacks.set(parameter, previous);
          else this.callbacks.delete(parameter);
        });
      }
      this.summaryCache.set(key, body);
    }
    // A helper with nothing to see is left out, unless it throws: an explicit throw in an effect-free
    // helper (a payload check) leaves the handler like one written in it (docs/model.md, "NestJS").
    if (!hasEvents(body) && !throwsExplicitly(body)) return [];
    const async = isAsyncFunction(target) || returnsPromise(target, this.options.checker);
    // A wrapper's callback is the handler itself: its effects are reported where they are.
    const linked = link ? prefixChain(body, { location: locationOf(call), callee: functionName(target) }) : body;
    return [
      {
        t: 'scope',
        body: async && completion === 'dropped' ? dropAll(linked) : linked,
        ...(link ? {} : { anchored: true }),
      },
    ];
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

// ---- helpers over steps ------------------------------------------------------------------

function isShortCircuit(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.AmpersandAmpersandToken ||
    kind === ts.SyntaxKind.BarBarToken ||
    kind === ts.SyntaxKind.QuestionQuestionToken
  );
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

function returnsPromise(fn: FunctionWithBody, checker: ts.TypeChecker): boolean {
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

function prefixChain(steps: Step[], link: CallChainLink): Step[] {
  // A callback the user wrote keeps its own locations (an anchored scope): the chain stops there.
  return steps.map((step) => {
    switch (step.t) {
      case 'effect':
        return { ...step, effect: { ...step.effect, chain: [link, ...step.effect.chain] } };
      case 'settle':
        return { ...step, settle: { ...step.settle, chain: [link, ...step.settle.chain] } };
      case 'if':
        return {
          ...step,
          guard: step.guard && {
            ...step.guard,
            guard: { ...step.guard.guard, chain: [link, ...step.guard.guard.chain] },
          },
          then: prefixChain(step.then, link),
          else: prefixChain(step.else, link),
        };
      case 'guarded':
        return {
          ...step,
          guard: { ...step.guard, chain: [link, ...step.guard.chain] },
          body: prefixChain(step.body, link),
        };
      case 'try':
        return {
          ...step,
          claim: step.claim && { ...step.claim, chain: [link, ...step.claim.chain] },
          body: prefixChain(step.body, link),
          handler: step.handler && prefixChain(step.handler, link),
          finalizer: step.finalizer && prefixChain(step.finalizer, link),
        };
      case 'scope':
        return step.anchored ? step : { ...step, body: prefixChain(step.body, link) };
      case 'loop':
        return { ...step, body: prefixChain(step.body, link) };
      case 'switch':
        return { ...step, cases: step.cases.map((body) => prefixChain(body, link)) };
      default:
        return step;
    }
  });
}

function markLocallyGuarded(steps: Step[]): void {
  forEachStep(steps, (step) => {
    if (step.t === 'effect') step.effect.locallyGuarded = true;
  });
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

/** Whether every path through these steps leaves by return/throw/continue/break. */
function alwaysExits(steps: Step[]): boolean {
  for (const step of steps) {
    if (step.t === 'exit') return true;
    if (step.t === 'if' && step.then.length && alwaysExits(step.then) && alwaysExits(step.else)) return true;
    if (step.t === 'scope' && step.body.some((inner) => inner.t === 'exit' && inner.kind === 'throw')) return true;
  }
  return false;
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
