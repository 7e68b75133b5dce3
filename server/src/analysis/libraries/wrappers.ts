/**
 * Wrappers (docs/model.md, "Wrappers, dispatch tables and where findings go"): a registration
 * whose handler runs a callback that a function's callers supply. The handler reaches it
 *
 * - through a parameter of a function around the registration (`handler(m)`);
 * - through an options object (`params.onMessage(m)`, `config.worker.process(m)`), when the
 *   parameter's declared type says the member is a callback (or, untyped, one property deep);
 * - through a field or a module variable that a constructor or a setter stored it in
 *   (`this.onMessage(m)`, `onMessageFunction(m)` after `onMessageFunction = onMessage`);
 * - through a registry a method added it to (`this.consumers.push(config)`, then
 *   `for (const c of this.consumers) … c.worker.process(m)`);
 * - through a factory's parameter, when the handler is a closure a project factory returned
 *   (`new Worker(q, metricWrapper(processor))`).
 * - through the item of a list the caller iterates (`workers.forEach((w) => subscribe(…, (m) =>
 *   w.handler(m)))`): each item of the constant list is a consumer, its handler the item's function;
 * - through a plugin's `register(server, options)` (`options.messageHandler(m)`), which the server
 *   calls with the `options` of each registration object `{ plugin, options }` naming the plugin.
 *
 * The callbacks passed at that function's call sites are the real handlers: each call is a
 * consumer, with the ack order of the registration. A caller that forwards its own parameter, or
 * passes a closure that calls one, is a wrapper in turn (a chain, followed a few levels). Calls
 * through the project's interfaces reach the classes that implement them. What the checker cannot
 * resolve stays unfollowed: a callback slot no caller fills leaves the consumer as it is, except
 * a callback parameter called directly, whose consumer is incomplete (its work is unknown).
 */
import { ts } from 'ts-morph';
import type { ConsumerSite } from '.';
import {
  FunctionWithBody,
  containsNode,
  forEachDescendant,
  isFunctionWithBody,
  isProjectCode,
  propertyOf,
  propertyValue,
  staticText,
  symbolOf,
  unwrap,
} from '../source/ast';
import {
  type ParameterBinding,
  aliasBases,
  calledFunction,
  constObjectLiteral,
  resolveCallable,
} from '../source/symbols';

/** Where a value comes from: a parameter of a function, and the properties read from it. */
export interface ParameterSource {
  fn: FunctionWithBody;
  parameter: ts.ParameterDeclaration;
  index: number;
  /** Properties read from the argument: [], ['onMessage'], ['worker', 'process']. */
  path: string[];
}

/** A function bound for one consumer: where a call (or a parameter) runs it, and its factory's bindings. */
export interface CallbackBinding {
  call?: ts.CallExpression;
  parameter?: ts.ParameterDeclaration;
  callback: FunctionWithBody;
  parameters: ParameterBinding[];
}

export interface WrapperInfo {
  site: ConsumerSite;
  /** The function whose callers supply the handler (a function, a method, a constructor, a setter). */
  wrapper: FunctionWithBody;
  parameter: ts.ParameterDeclaration;
  parameterIndex: number;
  /** Properties read from the argument to reach the callback. */
  path: string[];
  /** The call that runs the callback: in the handler, a function it calls, or a closure bound below. */
  slot: ts.CallExpression;
  /** A callback parameter called directly: when no caller is found, the consumer's work is unknown. */
  direct: boolean;
  /** What inner levels of a chain (and the handler's factory) bound. */
  bindings: CallbackBinding[];
  /** 0 for the function around the registration; one more for each caller that forwards. */
  level: number;
  /**
   * The consumers this level stands in for (a class's method that calls the object the class was
   * constructed with): each is reported only when no construction of the class is found.
   */
  lineage?: WrapperCall[];
}

export interface WrapperCall {
  wrapper: WrapperInfo;
  /**
   * The call of the wrapper: the consumer's registration as the user sees it; for a plugin, the
   * registration object that gives it its options (`{ plugin, options }`).
   */
  node: ts.CallExpression | ts.NewExpression | ts.ObjectLiteralExpression;
  callback: FunctionWithBody;
  /** The queue or topic named at the call site, when it is a static string. */
  source?: string;
  /** The registration as seen through this call (registration node replaced). */
  site: ConsumerSite;
  /** Every function bound for this consumer, the callback's own binding last. */
  bindings: CallbackBinding[];
}

const MAX_LEVELS = 6;
const MAX_SEARCH_DEPTH = 3;

/** The factory parameters a site's handler closes over, when it is a closure a project factory returned. */
export function handlerBindings(site: ConsumerSite, checker: ts.TypeChecker): ParameterBinding[] {
  let found: ParameterBinding[] = [];
  const visit = (node: ts.Node): void => {
    if (found.length || isFunctionWithBody(node)) return;
    if (ts.isCallExpression(node) || ts.isIdentifier(node)) {
      const resolved = resolveCallable(node, checker);
      if (resolved?.fn === site.handler && resolved.bindings.length) {
        found = resolved.bindings;
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(site.registrationNode, visit);
  return found;
}

/** Whether the handler of a registration runs a callback the callers of some function supply. */
export function findWrapper(site: ConsumerSite, checker: ts.TypeChecker): WrapperInfo | undefined {
  const scope = site.body ?? site.handler.body;
  const factory = handlerBindings(site, checker);
  const bound = new Map(factory.map((binding) => [binding.parameter, binding.argument]));
  const slots = slotCalls(scope, checker, bound, (fn) => {
    if (containsNode(scope, fn)) return false; // a parameter of a callback inside the handler
    if (fn === site.handler && !site.body) return false; // the library's own arguments
    return true;
  });
  const first = slots[0];
  if (!first) return undefined;
  return {
    site,
    wrapper: first.source.fn,
    parameter: first.source.parameter,
    parameterIndex: first.source.index,
    path: first.source.path,
    slot: first.call,
    direct: first.direct,
    bindings: [],
    level: 0,
  };
}

interface SlotCall {
  call: ts.CallExpression;
  source: ParameterSource;
  direct: boolean;
  /** How surely the slot holds a handler: a callback called as such (0), a function-typed option (1), an interface method of an option (2). */
  rank: number;
}

/**
 * Calls (in `scope`, closures in it, and the project functions it calls, a few levels deep) whose
 * callee is a callback some function's callers supply, surest first.
 */
function slotCalls(
  scope: ts.Node,
  checker: ts.TypeChecker,
  bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>,
  accept: (fn: FunctionWithBody) => boolean,
  strategyFields = false,
): SlotCall[] {
  const found: SlotCall[] = [];
  const visited = new Set<ts.Node>();
  // The parameters of the functions the search enters, bound to the arguments of the call that
  // entered them: a callback the handler passes to its own helper (`this.run(ctx, async () => …)`)
  // is the handler's, not a slot its callers fill.
  const bindings = new Map(bound);
  const entered = new Set<FunctionWithBody>();
  const sourcesOf = (expression: ts.Expression, depth: number): ParameterSource[] =>
    parameterSources(expression, checker).flatMap((source) => {
      const argument = bindings.get(source.parameter);
      if (argument)
        return depth > 4
          ? []
          : sourcesOf(argument, depth + 1).map((inner) => ({ ...inner, path: [...inner.path, ...source.path] }));
      return entered.has(source.fn) ? [] : [source];
    });
  const search = (node: ts.Node, depth: number): void => {
    if (visited.has(node)) return;
    visited.add(node);
    const visit = (child: ts.Node): void => {
      if (!ts.isCallExpression(child)) return;
      const target = calledFunction(child, checker);
      if (target) {
        if (depth < MAX_SEARCH_DEPTH && isProjectCode(target)) {
          if (!containsNode(target, child)) entered.add(target);
          target.parameters.forEach((parameter, index) => {
            const argument = child.arguments[index];
            if (argument && !parameter.dotDotDotToken && !bindings.has(parameter)) bindings.set(parameter, argument);
          });
          search(target.body, depth + 1);
        }
        return;
      }
      const callee = unwrap(child.expression);
      const parameter = ts.isIdentifier(callee) ? parameterOf(callee, checker) : undefined;
      for (const source of sourcesOf(callee, 0)) {
        if (!callableByProject(source.fn) || !accept(source.fn)) continue;
        const rank = source.path.length ? callbackMember(source, checker, strategyFields) : 0;
        if (rank === undefined) continue;
        found.push({
          call: child,
          source,
          direct: !source.path.length && !!parameter && !bound.has(parameter),
          rank,
        });
        return;
      }
    };
    // An arrow whose body is the call itself (`(m) => handle(m)`) has it as the scope.
    if (ts.isCallExpression(node)) visit(node);
    forEachDescendant(node, visit, true);
  };
  search(scope, 0);
  return found.sort((a, b) => a.rank - b.rank);
}

/** Calls of the wrappers in the given files, with the callback each passes; chains are followed. */
export function findWrapperCalls(
  wrappers: readonly WrapperInfo[],
  files: readonly ts.SourceFile[],
  checker: ts.TypeChecker,
): { calls: WrapperCall[]; wrappers: WrapperInfo[] } {
  const calls: WrapperCall[] = [];
  const all: WrapperInfo[] = [...wrappers];
  if (!wrappers.length) return { calls, wrappers: all };
  const candidates = callExpressions(files);
  let registrations: PluginRegistration[] | undefined;
  const seen = new Set<string>();
  const queue = [...wrappers];
  const fallbacks: WrapperCall[] = [];
  while (queue.length) {
    const wrapper = queue.shift()!;
    const key = `${wrapper.site.registrationNode.pos}:${wrapper.site.registrationNode.getSourceFile().fileName}:${wrapper.wrapper.pos}:${wrapper.wrapper.getSourceFile().fileName}:${wrapper.parameterIndex}:${wrapper.path.join('.')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const name = wrapperName(wrapper.wrapper);
    const uses: { node: WrapperCall['node']; argument: ts.Expression | undefined }[] = [];
    for (const node of name ? (candidates.get(name) ?? []) : [])
      if (callsWrapper(node, wrapper.wrapper, checker))
        uses.push({ node, argument: node.arguments?.[wrapper.parameterIndex] });
    // A plugin's `register(server, options)`: each registration object that names the plugin gives its options.
    if (wrapper.parameterIndex === 1)
      for (const registration of (registrations ??= pluginRegistrations(files)))
        if (registersPlugin(registration.plugin, wrapper.wrapper, checker))
          uses.push({ node: registration.node, argument: registration.options });
    for (const { node, argument } of uses) {
      if (!argument) continue;
      const value = valueAt(argument, wrapper.path, checker);
      const callback = value.callback;
      if (callback) {
        const binding: CallbackBinding = {
          call: wrapper.slot,
          parameter: wrapper.direct ? wrapper.parameter : undefined,
          callback: callback.fn,
          parameters: callback.bindings,
        };
        const bindings = [...wrapper.bindings, binding];
        const bound = new Map(callback.bindings.map((entry) => [entry.parameter, entry.argument]));
        // A closure that calls a parameter of the function around this call forwards to its callers.
        const forwarded =
          wrapper.level < MAX_LEVELS && isInside(callback.fn, node)
            ? slotCalls(
                callback.fn.body,
                checker,
                bound,
                (fn) => containsNode(fn, node) && !containsNode(callback.fn, fn),
              )[0]
            : undefined;
        // A method of the class that registers it (`this.onMessage.bind(this)`), calling a method of
        // the object the class was constructed with (`this.handler.process(m)`): each construction
        // is a consumer, its handler that object's method. Where no construction is found, the
        // method itself stays the handler (the fallback).
        const strategy =
          !forwarded && wrapper.level < MAX_LEVELS ? strategySlot(callback.fn, node, bound, checker) : undefined;
        const direct: WrapperCall = {
          wrapper,
          node,
          callback: callback.fn,
          source: sourceName(node, checker),
          site: { ...wrapper.site },
          bindings,
        };
        if (strategy) {
          const next: WrapperInfo = {
            site: wrapper.site,
            wrapper: strategy.source.fn,
            parameter: strategy.source.parameter,
            parameterIndex: strategy.source.index,
            path: strategy.source.path,
            slot: strategy.call,
            direct: false,
            bindings,
            level: wrapper.level + 1,
            lineage: [...(wrapper.lineage ?? []), direct],
          };
          fallbacks.push(direct);
          all.push(next);
          queue.push(next);
          continue;
        }
        if (forwarded) {
          const next: WrapperInfo = {
            site: wrapper.site,
            wrapper: forwarded.source.fn,
            parameter: forwarded.source.parameter,
            parameterIndex: forwarded.source.index,
            path: forwarded.source.path,
            slot: forwarded.call,
            direct: forwarded.direct,
            bindings,
            level: wrapper.level + 1,
            lineage: wrapper.lineage,
          };
          all.push(next);
          queue.push(next);
          continue;
        }
        // A closure that runs the handler of the list item the call is made for: one consumer per item.
        const dispatch = isInside(callback.fn, node) ? listDispatch(callback.fn, node, checker) : undefined;
        if (dispatch) {
          for (const target of dispatch.targets)
            calls.push({
              wrapper,
              node,
              callback: target.fn,
              source: target.source ?? sourceName(node, checker),
              site: { ...wrapper.site },
              bindings: [...bindings, { call: dispatch.call, callback: target.fn, parameters: [] }],
            });
          continue;
        }
        calls.push(direct);
        continue;
      }
      if (wrapper.level >= MAX_LEVELS) continue;
      // The caller forwards its own parameter (or a property of it): it is a wrapper in turn.
      for (const source of value.sources) {
        if (!callableByProject(source.fn)) continue;
        const next: WrapperInfo = {
          ...wrapper,
          wrapper: source.fn,
          parameter: source.parameter,
          parameterIndex: source.index,
          path: source.path,
          direct: wrapper.direct && !source.path.length,
          level: wrapper.level + 1,
        };
        all.push(next);
        queue.push(next);
        break;
      }
    }
  }
  // Innermost first: a fallback reported stands for the outer ones it descends from. The same
  // call reached along another route of the chain is the same fallback.
  const same = (a: WrapperCall, b: WrapperCall): boolean => a.node === b.node && a.callback === b.callback;
  for (const fallback of fallbacks.reverse())
    if (!calls.some((call) => call.wrapper.lineage?.some((entry) => same(entry, fallback)))) calls.push(fallback);
  // One consumer per registration, call and callback, whatever route of the chain found it first.
  const unique = calls.filter(
    (call, index) =>
      calls.findIndex((other) => other.site.registrationNode === call.site.registrationNode && same(other, call)) ===
      index,
  );
  return { calls: unique, wrappers: all };
}

/**
 * The callback is a method of the class that registers it (`this.processMessage.bind(this)`) and
 * calls a method of an object a constructor parameter holds (`this.handler.process(m)`): the slot
 * the class's constructions fill.
 */
function strategySlot(
  fn: FunctionWithBody,
  registration: ts.Node,
  bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>,
  checker: ts.TypeChecker,
): SlotCall | undefined {
  const owner = fn.parent;
  if (!ts.isMethodDeclaration(fn) || !ts.isClassLike(owner) || !containsNode(owner, registration)) return undefined;
  const slots = slotCalls(
    fn.body,
    checker,
    bound,
    (candidate) => ts.isConstructorDeclaration(candidate) && candidate.parent === owner,
    true,
  );
  // The object's method that does the work, not one whose answer is only tested (`validate(m)`).
  return slots.find((slot) => !isTested(slot.call, checker));
}

/** A call whose result only decides a branch: `if (x.validate(m))`, `!x.accepts(m)`, `const ok = x.check(m); if (!ok)`. */
function isTested(call: ts.CallExpression, checker: ts.TypeChecker): boolean {
  let node: ts.Node = call;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAwaitExpression(node.parent)) node = node.parent;
  const parent = node.parent;
  if (isConditionOf(node)) return true;
  if (!ts.isVariableDeclaration(parent) || parent.initializer !== node || !ts.isIdentifier(parent.name)) return false;
  const symbol = symbolOf(parent.name, checker);
  const scope = parent.parent.parent?.parent;
  if (!symbol || !scope) return false;
  let uses = 0;
  let tested = 0;
  forEachDescendant(scope, (child) => {
    if (!ts.isIdentifier(child) || child === parent.name || symbolOf(child, checker) !== symbol) return;
    uses++;
    if (isConditionOf(child)) tested++;
  });
  return uses > 0 && uses === tested;
}

function isConditionOf(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (
    ts.isBinaryExpression(parent) &&
    (parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken ||
      parent.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  )
    return isConditionOf(parent);
  return (
    ((ts.isIfStatement(parent) || ts.isWhileStatement(parent)) && parent.expression === node) ||
    (ts.isConditionalExpression(parent) && parent.condition === node)
  );
}

/**
 * The names a caller of the wrapper writes: the wrapper's own, and `plugin` for a plugin's
 * `register(server, options)`, which registration objects (`{ plugin, options }`) supply.
 */
export function callerNames(wrapper: WrapperInfo): string[] {
  const name = wrapperName(wrapper.wrapper);
  if (!name) return [];
  return name === 'register' && wrapper.parameterIndex === 1 ? [name, 'plugin'] : [name];
}

/** The name a call of the wrapper uses: the function's, the method's, or the class's (`new X(…)`). */
export function wrapperName(fn: FunctionWithBody): string | undefined {
  if (ts.isConstructorDeclaration(fn)) return ts.isClassLike(fn.parent) ? fn.parent.name?.text : undefined;
  if (fn.name && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name))) return fn.name.text;
  const parent = fn.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && ts.isIdentifier(parent.name))
    return parent.name.text;
  return undefined;
}

/**
 * The files a caller of the wrapper imports: the wrapper's own, and those declaring the
 * interfaces (or base classes) its class implements, since callers may hold it through them.
 */
export function wrapperModules(fn: FunctionWithBody, checker: ts.TypeChecker): string[] {
  const files = new Set([fn.getSourceFile().fileName]);
  const owner = fn.parent;
  if (ts.isClassLike(owner)) for (const base of heritage(owner, checker)) files.add(base.getSourceFile().fileName);
  return [...files].filter((file) => !file.includes('/node_modules/'));
}

/**
 * A callback that only hands the message to one project function (`(m) => this.handle(m)`,
 * `async (m) => { await handle(m, deps) }`, `(m) => { handle(m).catch(log) }`) stands for that
 * function: the handler as the user wrote it, where its findings go. The flow still runs through
 * the callback, so what it does around the call (a `.catch`, not awaiting) still counts.
 */
export function forwardedCall(
  fn: FunctionWithBody,
  checker: ts.TypeChecker,
): { call: ts.CallExpression; target: FunctionWithBody } | undefined {
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
  let expression: ts.Expression | undefined;
  if (!ts.isBlock(fn.body)) expression = fn.body;
  else if (fn.body.statements.length === 1) {
    const [statement] = fn.body.statements;
    if (ts.isReturnStatement(statement)) expression = statement.expression;
    else if (ts.isExpressionStatement(statement)) expression = statement.expression;
  }
  const call = expression && forwardingCall(expression);
  if (!call) return undefined;
  const target = calledFunction(call, checker);
  if (!target || target === fn || !isProjectCode(target)) return undefined;
  const parameters = new Set(
    fn.parameters.flatMap((parameter) => (ts.isIdentifier(parameter.name) ? [parameter.name.text] : [])),
  );
  const passesMessage = call.arguments.some((argument) => {
    const item = unwrap(argument);
    return ts.isIdentifier(item) && parameters.has(item.text);
  });
  return passesMessage ? { call, target } : undefined;
}

/** The call an expression is about: through `await`, `void`, `Promise.resolve(…)` and `.then/.catch/.finally`. */
function forwardingCall(expression: ts.Expression): ts.CallExpression | undefined {
  let value = unwrap(expression);
  for (let depth = 0; depth < 6; depth++) {
    if (ts.isAwaitExpression(value) || ts.isVoidExpression(value)) {
      value = unwrap(value.expression);
      continue;
    }
    if (!ts.isCallExpression(value)) return undefined;
    const callee = unwrap(value.expression);
    if (ts.isPropertyAccessExpression(callee) && /^(then|catch|finally)$/.test(callee.name.text)) {
      value = unwrap(callee.expression);
      continue;
    }
    if (
      ts.isPropertyAccessExpression(callee) &&
      ts.isIdentifier(callee.expression) &&
      callee.expression.text === 'Promise' &&
      callee.name.text === 'resolve' &&
      value.arguments.length === 1
    ) {
      value = unwrap(value.arguments[0]);
      continue;
    }
    return value;
  }
  return undefined;
}

// ---- where values come from ------------------------------------------------------------

/** The parameters a value comes from (with the properties read from them), through fields, variables and registries. */
export function parameterSources(expression: ts.Expression, checker: ts.TypeChecker, depth = 0): ParameterSource[] {
  if (depth > 6) return [];
  const value = unwrap(expression);
  if (ts.isCallExpression(value)) {
    // handler.bind(this)
    const callee = unwrap(value.expression);
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'bind')
      return parameterSources(callee.expression, checker, depth + 1);
    return [];
  }
  if (ts.isIdentifier(value)) return identifierSources(value, checker, depth);
  if (ts.isPropertyAccessExpression(value)) {
    if (value.expression.kind === ts.SyntaxKind.ThisKeyword) return fieldSources(value, checker, depth);
    return parameterSources(value.expression, checker, depth + 1).map((source) => ({
      ...source,
      path: [...source.path, value.name.text],
    }));
  }
  return [];
}

function identifierSources(identifier: ts.Identifier, checker: ts.TypeChecker, depth: number): ParameterSource[] {
  const symbol = symbolOf(identifier, checker);
  const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (!declaration || !isProjectCode(declaration)) return [];
  const parameter = ts.isParameter(declaration) ? declaration : undefined;
  if (parameter) return parameterSource(parameter, []);
  // ({ onMessage }) => …: a property of the parameter.
  if (ts.isBindingElement(declaration) && ts.isObjectBindingPattern(declaration.parent)) {
    const holder = declaration.parent.parent;
    const key = declaration.propertyName ?? declaration.name;
    if (ts.isParameter(holder) && ts.isIdentifier(key)) return parameterSource(holder, [key.text]);
    return [];
  }
  if (!ts.isVariableDeclaration(declaration)) return [];
  // for (const config of this.consumers): what the registry was given.
  const loop = declaration.parent.parent;
  if (
    ts.isVariableDeclarationList(declaration.parent) &&
    ts.isForOfStatement(loop) &&
    loop.initializer === declaration.parent
  )
    return collectionSources(loop.expression, checker, depth);
  if (declaration.initializer) {
    if (resolveCallable(declaration.initializer, checker)) return [];
    const sources = parameterSources(declaration.initializer, checker, depth + 1);
    if (sources.length) return sources;
  }
  // let onMessageFunction; … onMessageFunction = onMessage (a setter)
  if (ts.isVariableDeclarationList(declaration.parent) && declaration.parent.flags & ts.NodeFlags.Const) return [];
  return assignedSources(
    declaration.getSourceFile(),
    (left) => ts.isIdentifier(left) && symbolOf(left, checker) === symbol,
    checker,
    depth,
  );
}

/** `this.field`: a parameter property, or a field a method assigned from its parameter. */
function fieldSources(access: ts.PropertyAccessExpression, checker: ts.TypeChecker, depth: number): ParameterSource[] {
  const symbol = symbolOf(access.name, checker);
  const declaration = symbol?.valueDeclaration;
  if (!declaration || !isProjectCode(declaration)) return [];
  if (ts.isParameter(declaration)) return parameterSource(declaration, []);
  if (!ts.isPropertyDeclaration(declaration) || !ts.isClassLike(declaration.parent)) return [];
  if (declaration.initializer) return [];
  return assignedSources(
    declaration.parent,
    (left) =>
      ts.isPropertyAccessExpression(left) &&
      left.expression.kind === ts.SyntaxKind.ThisKeyword &&
      left.name.text === access.name.text,
    checker,
    depth,
  );
}

/** The sources of what assignments `left = value` inside `scope` store. */
function assignedSources(
  scope: ts.Node,
  matches: (left: ts.Expression) => boolean,
  checker: ts.TypeChecker,
  depth: number,
): ParameterSource[] {
  const sources: ParameterSource[] = [];
  forEachDescendant(
    scope,
    (node) => {
      if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        matches(unwrap(node.left))
      )
        sources.push(...parameterSources(node.right, checker, depth + 1));
    },
    true,
  );
  return sources;
}

/** What was put into a registry (`this.items.push(x)`, `.add(x)`, `.set(k, x)`, `this.items[k] = x`). */
function collectionSources(collection: ts.Expression, checker: ts.TypeChecker, depth: number): ParameterSource[] {
  const value = unwrap(collection);
  if (!ts.isPropertyAccessExpression(value) || value.expression.kind !== ts.SyntaxKind.ThisKeyword) return [];
  const field = value.name.text;
  let owner: ts.Node | undefined = value.parent;
  while (owner && !ts.isClassLike(owner)) owner = owner.parent;
  if (!owner) return [];
  const isField = (node: ts.Expression): boolean => {
    const target = unwrap(node);
    return (
      ts.isPropertyAccessExpression(target) &&
      target.expression.kind === ts.SyntaxKind.ThisKeyword &&
      target.name.text === field
    );
  };
  const sources: ParameterSource[] = [];
  forEachDescendant(
    owner,
    (node) => {
      if (ts.isCallExpression(node)) {
        const callee = unwrap(node.expression);
        if (!ts.isPropertyAccessExpression(callee) || !isField(callee.expression)) return;
        const method = callee.name.text;
        const item =
          method === 'push' || method === 'add' || method === 'unshift'
            ? node.arguments[0]
            : method === 'set'
              ? node.arguments[1]
              : undefined;
        if (item) sources.push(...parameterSources(item, checker, depth + 1));
      } else if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isElementAccessExpression(unwrap(node.left)) &&
        isField((unwrap(node.left) as ts.ElementAccessExpression).expression)
      ) {
        sources.push(...parameterSources(node.right, checker, depth + 1));
      }
    },
    true,
  );
  return sources;
}

function parameterSource(parameter: ts.ParameterDeclaration, path: string[]): ParameterSource[] {
  const fn = parameter.parent;
  if (!isFunctionWithBody(fn) || parameter.dotDotDotToken) return [];
  return [{ fn, parameter, index: fn.parameters.indexOf(parameter), path }];
}

function parameterOf(identifier: ts.Identifier, checker: ts.TypeChecker): ts.ParameterDeclaration | undefined {
  const declaration = symbolOf(identifier, checker)?.valueDeclaration;
  return declaration && ts.isParameter(declaration) ? declaration : undefined;
}

/**
 * Whether the project can call this function with a callback of its own: a declared function, a
 * method, a constructor, or a function stored in a variable or property. A function written as an
 * argument (a `new Promise` executor, a library's callback) is called by the library, with values
 * of its own.
 */
function callableByProject(fn: FunctionWithBody): boolean {
  if (ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isConstructorDeclaration(fn)) return true;
  const parent = fn.parent;
  return (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent) ||
    ts.isExportAssignment(parent)
  );
}

/**
 * Whether the member a path reaches is a callback, and how surely: the parameter's declared type
 * (a type literal, or the project's own interface, type alias or abstract class) declares it as a
 * function-typed property (1), or as a method signature of an object the caller gives (2: a
 * strategy such as `worker.process`, only through a function's own parameter, never through a
 * field, where it is a dependency such as `this.ctx.with`, unless `strategyFields`: the object a
 * class was constructed with for one registration, whose method the registered callback calls).
 * An untyped parameter is taken at its word one property deep (`options.messageHandler(…)`).
 */
function callbackMember(source: ParameterSource, checker: ts.TypeChecker, strategyFields = false): number | undefined {
  const typeNode = source.parameter.type;
  const field = isParameterProperty(source.parameter) && !strategyFields;
  if (!typeNode) return source.path.length === 1 && !field ? 1 : undefined;
  let members = membersOfType(typeNode, checker, 0);
  for (let index = 0; index < source.path.length; index++) {
    const name = source.path[index];
    const member = members.find((candidate) => candidate.name && memberName(candidate.name) === name);
    if (!member) return undefined;
    const last = index === source.path.length - 1;
    if (last) {
      if (ts.isMethodSignature(member) || (ts.isMethodDeclaration(member) && !member.body))
        return strategyFields || (!field && isFieldOfFunction(source)) ? 2 : undefined;
      if (ts.isMethodDeclaration(member)) return undefined;
      const type = (member as ts.PropertySignature | ts.PropertyDeclaration).type;
      return !!type && isFunctionType(type, checker) ? 1 : undefined;
    }
    const type = (member as ts.PropertySignature | ts.PropertyDeclaration).type;
    if (!type) return undefined;
    members = membersOfType(type, checker, 0);
  }
  return undefined;
}

/** A parameter of a function or method (not a constructor's, which stores dependencies). */
function isFieldOfFunction(source: ParameterSource): boolean {
  return !ts.isConstructorDeclaration(source.fn);
}

function isParameterProperty(parameter: ts.ParameterDeclaration): boolean {
  return ts.isParameterPropertyDeclaration(parameter, parameter.parent);
}

function memberName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

/** The members a type node declares, for the project's own types. */
function membersOfType(
  typeNode: ts.TypeNode,
  checker: ts.TypeChecker,
  depth: number,
): ts.TypeElement[] | ts.ClassElement[] {
  if (depth > 4) return [];
  if (ts.isTypeLiteralNode(typeNode)) return [...typeNode.members];
  if (ts.isParenthesizedTypeNode(typeNode)) return membersOfType(typeNode.type, checker, depth + 1);
  if (ts.isUnionTypeNode(typeNode) || ts.isIntersectionTypeNode(typeNode))
    return typeNode.types.flatMap((type) => membersOfType(type, checker, depth + 1) as ts.TypeElement[]);
  if (!ts.isTypeReferenceNode(typeNode)) return [];
  const name = ts.isIdentifier(typeNode.typeName) ? typeNode.typeName : typeNode.typeName.right;
  const declarations = (symbolOf(name, checker)?.declarations ?? []).filter(isProjectCode);
  const members: (ts.TypeElement | ts.ClassElement)[] = [];
  for (const declaration of declarations) {
    if (ts.isInterfaceDeclaration(declaration)) {
      members.push(...declaration.members);
      for (const clause of declaration.heritageClauses ?? [])
        for (const base of clause.types)
          if (ts.isIdentifier(base.expression))
            members.push(
              ...(membersOfType(
                ts.factory.createTypeReferenceNode(base.expression),
                checker,
                depth + 1,
              ) as ts.TypeElement[]),
            );
    } else if (ts.isTypeAliasDeclaration(declaration)) {
      members.push(...membersOfType(declaration.type, checker, depth + 1));
    } else if (ts.isClassDeclaration(declaration)) {
      members.push(...declaration.members);
    }
  }
  return members as ts.TypeElement[];
}

function isFunctionType(typeNode: ts.TypeNode, checker: ts.TypeChecker, depth = 0): boolean {
  if (depth > 4) return false;
  if (ts.isFunctionTypeNode(typeNode)) return true;
  if (ts.isParenthesizedTypeNode(typeNode)) return isFunctionType(typeNode.type, checker, depth + 1);
  if (ts.isUnionTypeNode(typeNode))
    return typeNode.types.some(
      (type) => type.kind !== ts.SyntaxKind.UndefinedKeyword && isFunctionType(type, checker, depth + 1),
    );
  if (ts.isTypeReferenceNode(typeNode)) {
    const name = ts.isIdentifier(typeNode.typeName) ? typeNode.typeName : typeNode.typeName.right;
    if (/^(Function|Processor|Handler|Callback|Listener)$/.test(name.text)) return true;
    for (const declaration of symbolOf(name, checker)?.declarations ?? []) {
      if (ts.isTypeAliasDeclaration(declaration) && isFunctionType(declaration.type, checker, depth + 1)) return true;
      if (
        ts.isInterfaceDeclaration(declaration) &&
        declaration.members.some((member) => ts.isCallSignatureDeclaration(member))
      )
        return true;
    }
  }
  return false;
}

// ---- call sites ---------------------------------------------------------------------------

/** Every call and `new` in the files, by the name they call. */
function callExpressions(files: readonly ts.SourceFile[]): Map<string, (ts.CallExpression | ts.NewExpression)[]> {
  const byName = new Map<string, (ts.CallExpression | ts.NewExpression)[]>();
  for (const file of files) {
    forEachDescendant(
      file,
      (node) => {
        if (!ts.isCallExpression(node) && !ts.isNewExpression(node)) return;
        const callee = unwrap(node.expression);
        const name = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : undefined;
        if (!name) return;
        const list = byName.get(name);
        if (list) list.push(node);
        else byName.set(name, [node]);
      },
      true,
    );
  }
  return byName;
}

/** Whether a call runs the wrapper: directly, through an interface it implements, or `new` of its class. */
function callsWrapper(
  node: ts.CallExpression | ts.NewExpression,
  wrapper: FunctionWithBody,
  checker: ts.TypeChecker,
): boolean {
  if (ts.isNewExpression(node)) {
    if (!ts.isConstructorDeclaration(wrapper)) return false;
    const symbol = symbolOf(unwrap(node.expression), checker);
    return (symbol?.declarations ?? []).some((declaration) => declaration === wrapper.parent);
  }
  if (ts.isConstructorDeclaration(wrapper)) return false;
  const target = calledFunction(node, checker);
  if (target) return target === wrapper;
  // Through the project's interface (or abstract class) that the wrapper's class implements.
  const owner = wrapper.parent;
  if (!ts.isMethodDeclaration(wrapper) || !ts.isClassLike(owner)) return false;
  const callee = unwrap(node.expression);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const members = (symbolOf(callee.name, checker)?.declarations ?? []).filter(
    (declaration) =>
      isProjectCode(declaration) &&
      (ts.isMethodSignature(declaration) ||
        ts.isPropertySignature(declaration) ||
        (ts.isMethodDeclaration(declaration) && !declaration.body)),
  );
  if (!members.length) return false;
  const bases = heritage(owner, checker);
  return members.some((member) => bases.includes(member.parent as ts.ClassLikeDeclaration | ts.InterfaceDeclaration));
}

/** The classes and interfaces a class extends or implements, transitively (the project's own). */
function heritage(
  owner: ts.ClassLikeDeclaration | ts.InterfaceDeclaration,
  checker: ts.TypeChecker,
  depth = 0,
  found: (ts.ClassLikeDeclaration | ts.InterfaceDeclaration)[] = [],
): (ts.ClassLikeDeclaration | ts.InterfaceDeclaration)[] {
  if (depth > 5) return found;
  for (const clause of owner.heritageClauses ?? []) {
    for (const type of clause.types) {
      const declarations = (symbolOf(type.expression, checker)?.declarations ?? []).flatMap((declaration) =>
        ts.isTypeAliasDeclaration(declaration)
          ? aliasBases(declaration, checker).flatMap((base) => base.declarations ?? [])
          : [declaration],
      );
      for (const declaration of declarations) {
        if ((!ts.isClassLike(declaration) && !ts.isInterfaceDeclaration(declaration)) || found.includes(declaration))
          continue;
        found.push(declaration);
        heritage(declaration, checker, depth + 1, found);
      }
    }
  }
  return found;
}

/** The callback an argument gives along a path, or the parameters it forwards. */
function valueAt(
  argument: ts.Expression,
  path: readonly string[],
  checker: ts.TypeChecker,
): { callback?: { fn: FunctionWithBody; bindings: ParameterBinding[] }; sources: ParameterSource[] } {
  let current: ts.Expression = argument;
  for (let index = 0; index < path.length; index++) {
    const object = objectOf(current, checker);
    const name = path[index];
    if (object) {
      const property = object.properties.find((candidate) => candidate.name && memberName(candidate.name) === name);
      if (!property) return { sources: [] };
      if (ts.isMethodDeclaration(property))
        return index === path.length - 1 && isFunctionWithBody(property)
          ? { callback: { fn: property, bindings: [] }, sources: [] }
          : { sources: [] };
      if (ts.isShorthandPropertyAssignment(property)) current = property.name;
      else if (ts.isPropertyAssignment(property)) current = property.initializer;
      else return { sources: [] };
      continue;
    }
    // Not a literal: a method of the value's (project) type, or a parameter the caller forwards.
    const rest = path.slice(index);
    const method = index === path.length - 1 ? methodOfType(current, name, checker) : undefined;
    if (method) return { callback: { fn: method, bindings: [] }, sources: [] };
    return {
      sources: parameterSources(current, checker).map((source) => ({ ...source, path: [...source.path, ...rest] })),
    };
  }
  const callback = resolveCallable(current, checker);
  if (callback) return { callback, sources: [] };
  return { sources: parameterSources(current, checker) };
}

function objectOf(expression: ts.Expression, checker: ts.TypeChecker): ts.ObjectLiteralExpression | undefined {
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) return value;
  if (!ts.isIdentifier(value)) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
    const initializer = unwrap(declaration.initializer);
    if (ts.isObjectLiteralExpression(initializer)) return initializer;
  }
  return undefined;
}

/** `value.name` where the value's type is the project's class: that method. */
function methodOfType(value: ts.Expression, name: string, checker: ts.TypeChecker): FunctionWithBody | undefined {
  try {
    const type = checker.getTypeAtLocation(value);
    const property = type.getProperty(name);
    for (const declaration of property?.declarations ?? []) {
      if (isFunctionWithBody(declaration) && isProjectCode(declaration)) return declaration;
      if (ts.isPropertyDeclaration(declaration) && declaration.initializer) {
        const resolved = resolveCallable(declaration.initializer, checker);
        if (resolved) return resolved.fn;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Whether a function is written inside the node around a call (a closure the caller passes). */
function isInside(fn: FunctionWithBody, call: ts.Node): boolean {
  let owner: ts.Node | undefined = call.parent;
  while (owner && !isFunctionWithBody(owner)) owner = owner.parent;
  return !!owner && containsNode(owner, fn);
}

/** The queue or topic a call names: its first static string argument, or a queue-like property of an options argument. */
function sourceName(node: WrapperCall['node'], checker: ts.TypeChecker): string | undefined {
  const args = ts.isObjectLiteralExpression(node)
    ? node.properties.flatMap((property) =>
        ts.isPropertyAssignment(property) && property.name && memberName(property.name) === 'options'
          ? [property.initializer]
          : [],
      )
    : (node.arguments ?? []);
  const direct = args.map((candidate) => staticText(candidate, checker)).find((text) => !!text && !text.includes('${'));
  if (direct) return direct;
  for (const argument of args) {
    const object = objectOf(argument, checker);
    if (!object) continue;
    for (const property of object.properties) {
      if (!ts.isPropertyAssignment(property) || !property.name) continue;
      const key = memberName(property.name);
      if (!key || !/^(queue|queueName|topic|topicName|subject|stream|subscription|subscriptionName)$/.test(key))
        continue;
      const text = staticText(property.initializer, checker);
      if (text && !text.includes('${')) return text;
    }
  }
  return undefined;
}

// ---- plugin registrations --------------------------------------------------------------------

/** A registration object `{ plugin, options }` (hapi's `server.register({ plugin, options })`). */
interface PluginRegistration {
  node: ts.ObjectLiteralExpression;
  plugin: ts.Expression;
  options: ts.Expression;
}

/** Every object literal in the files with a `plugin` and an `options` property. */
function pluginRegistrations(files: readonly ts.SourceFile[]): PluginRegistration[] {
  const found: PluginRegistration[] = [];
  for (const file of files) {
    if (!file.text.includes('plugin')) continue;
    forEachDescendant(
      file,
      (node) => {
        if (!ts.isObjectLiteralExpression(node)) return;
        const plugin = propertyValue(node, 'plugin');
        const options = propertyValue(node, 'options');
        if (plugin && options) found.push({ node, plugin, options });
      },
      true,
    );
  }
  return found;
}

/**
 * Whether a registration's `plugin` is the plugin whose `register` is the wrapper: an object with a
 * `register` function and a `name` (or `pkg`), written there or held in a variable, an import, or
 * the `plugin` property of a module's object or exports (`{ plugin: { name, register } }`, `export
 * const plugin = …`).
 */
function registersPlugin(expression: ts.Expression, wrapper: FunctionWithBody, checker: ts.TypeChecker): boolean {
  const plugin = pluginObject(expression, checker, 0);
  if (!plugin || !(propertyValue(plugin, 'name') || propertyValue(plugin, 'pkg'))) return false;
  const register = propertyOf(plugin, 'register');
  if (!register) return false;
  if (ts.isMethodDeclaration(register)) return register === wrapper;
  const value = propertyValue(plugin, 'register');
  return !!value && resolveCallable(value, checker)?.fn === wrapper;
}

function pluginObject(
  expression: ts.Expression,
  checker: ts.TypeChecker,
  depth: number,
): ts.ObjectLiteralExpression | undefined {
  if (depth > 4) return undefined;
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) {
    if (propertyOf(value, 'register')) return value;
    const inner = propertyValue(value, 'plugin');
    return inner ? pluginObject(inner, checker, depth + 1) : undefined;
  }
  if (!ts.isIdentifier(value) && !ts.isPropertyAccessExpression(value)) return undefined;
  const symbol = symbolOf(ts.isPropertyAccessExpression(value) ? value.name : value, checker);
  const declaration = symbol?.valueDeclaration;
  if (!symbol || !declaration) return undefined;
  // `import * as listener from './listener'`: the module's exported `plugin`.
  if (ts.isSourceFile(declaration)) {
    const exported = checker.getExportsOfModule(symbol).find((entry) => entry.name === 'plugin');
    const target = exported?.valueDeclaration;
    return target && ts.isVariableDeclaration(target) && target.initializer
      ? pluginObject(target.initializer, checker, depth + 1)
      : undefined;
  }
  if ((ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration)) && declaration.initializer)
    return pluginObject(declaration.initializer, checker, depth + 1);
  return undefined;
}

// ---- lists of handlers ------------------------------------------------------------------------

const MAX_LIST_ITEMS = 400;

/**
 * A wrapper called once per item of a list of handler objects (`workers.forEach((worker) =>
 * subscribe(worker.subscription, (m) => worker.handler(m)))`, or a `for…of` over the list): the
 * callback runs the item's function (`worker.handler`), so each item the list holds is a consumer
 * registered at that call, its handler the item's function. The list is a constant array literal
 * (through variables, imports and spreads), its items object literals the analysis can trace;
 * an item it cannot trace is left out.
 */
function listDispatch(
  callback: FunctionWithBody,
  node: WrapperCall['node'],
  checker: ts.TypeChecker,
): { call: ts.CallExpression; targets: { fn: FunctionWithBody; source?: string }[] } | undefined {
  const found: { call: ts.CallExpression; item: ts.Identifier; member: string; list: ts.Expression }[] = [];
  const visit = (child: ts.Node): void => {
    if (!ts.isCallExpression(child)) return;
    const callee = unwrap(child.expression);
    if (!ts.isPropertyAccessExpression(callee)) return;
    const item = unwrap(callee.expression);
    if (!ts.isIdentifier(item)) return;
    const list = iteratedList(item, node, checker);
    if (list) found.push({ call: child, item, member: callee.name.text, list });
  };
  if (ts.isCallExpression(callback.body)) visit(callback.body);
  forEachDescendant(callback.body, visit, true);
  // One call of the item's function: with more (`job.validate(m) && job.run(m)`) it stays as it was.
  if (found.length !== 1) return undefined;
  const [{ call, item, member, list }] = found;
  const targets: { fn: FunctionWithBody; source?: string }[] = [];
  for (const element of listItems(list, checker, 0, [])) {
    const object = constObjectLiteral(element, checker);
    const value = object && propertyOf(object, member);
    const fn = value && (ts.isMethodDeclaration(value) ? value : undefined);
    const handler =
      fn && isFunctionWithBody(fn)
        ? fn
        : value && ts.isPropertyAssignment(value)
          ? resolveCallable(value.initializer, checker)?.fn
          : undefined;
    if (!object || !handler || !isProjectCode(handler)) continue;
    targets.push({ fn: handler, source: itemSource(node, item, object, checker) });
  }
  return targets.length ? { call, targets } : undefined;
}

/**
 * The list an identifier iterates, when it is the item of a loop around the call: the parameter of
 * an array callback (`list.forEach((item) => …)`, `map`, `flatMap`) or the variable of a `for…of`.
 */
function iteratedList(item: ts.Identifier, node: ts.Node, checker: ts.TypeChecker): ts.Expression | undefined {
  const declaration = symbolOf(item, checker)?.valueDeclaration;
  if (!declaration) return undefined;
  if (ts.isParameter(declaration) && ts.isIdentifier(declaration.name)) {
    const fn = declaration.parent;
    if (fn.parameters[0] !== declaration || !containsNode(fn, node)) return undefined;
    const loop = fn.parent;
    if (!ts.isCallExpression(loop) || loop.arguments[0] !== fn) return undefined;
    const callee = unwrap(loop.expression);
    if (!ts.isPropertyAccessExpression(callee) || !/^(forEach|map|flatMap)$/.test(callee.name.text)) return undefined;
    return callee.expression;
  }
  if (
    ts.isVariableDeclaration(declaration) &&
    ts.isIdentifier(declaration.name) &&
    ts.isVariableDeclarationList(declaration.parent)
  ) {
    const loop = declaration.parent.parent;
    if (ts.isForOfStatement(loop) && loop.initializer === declaration.parent && containsNode(loop.statement, node))
      return loop.expression;
  }
  return undefined;
}

/** The items of a constant array literal, through variables, imports and spreads. */
function listItems(
  expression: ts.Expression,
  checker: ts.TypeChecker,
  depth: number,
  items: ts.Expression[],
): ts.Expression[] {
  if (depth > 4 || items.length >= MAX_LIST_ITEMS) return items;
  const value = unwrap(expression);
  if (ts.isArrayLiteralExpression(value)) {
    for (const element of value.elements) {
      if (items.length >= MAX_LIST_ITEMS) break;
      if (ts.isSpreadElement(element)) listItems(element.expression, checker, depth + 1, items);
      else if (!ts.isOmittedExpression(element)) items.push(element);
    }
    return items;
  }
  if (!ts.isIdentifier(value)) return items;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  if (
    declaration &&
    ts.isVariableDeclaration(declaration) &&
    declaration.initializer &&
    ts.isVariableDeclarationList(declaration.parent) &&
    declaration.parent.flags & ts.NodeFlags.Const
  )
    return listItems(declaration.initializer, checker, depth + 1, items);
  return items;
}

/** The queue or topic an item names, when the call passes one of its properties (`worker.subscription`). */
function itemSource(
  node: WrapperCall['node'],
  item: ts.Identifier,
  object: ts.ObjectLiteralExpression,
  checker: ts.TypeChecker,
): string | undefined {
  if (ts.isObjectLiteralExpression(node)) return undefined;
  for (const argument of node.arguments ?? []) {
    const value = unwrap(argument);
    if (!ts.isPropertyAccessExpression(value) || !ts.isIdentifier(value.expression)) continue;
    if (symbolOf(value.expression, checker) !== symbolOf(item, checker)) continue;
    const property = propertyOf(object, value.name.text);
    const text = property && ts.isPropertyAssignment(property) ? staticText(property.initializer, checker) : undefined;
    if (text && !text.includes('${')) return text;
  }
  return undefined;
}
