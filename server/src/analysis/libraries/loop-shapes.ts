/**
 * Helpers for loop-style consumers (docs/model.md, "Consumers": the handler is the loop body that
 * processes one message): SQS receive loops, Lambda `event.Records` loops,
 * JetStream iterators and Redis stream entries.
 *
 * A module describes the values a receive call produces as a small chain of shapes, e.g. for SQS
 * `response --.Messages--> list --element--> message`, for Redis `streams --element--> pair
 * --[1]--> entries --element--> message`. `ShapeTracker` follows those shapes through variables,
 * destructuring, `?? []`, `for…of` and array callbacks in a file, and reports every place where one
 * message is bound: a loop over a list of messages, an array callback over it, or a variable
 * holding one message (JetStream `consumer.next()`).
 */
import { ts } from 'ts-morph';
import {
  FunctionWithBody,
  calledName,
  combinatorArgument,
  forEachDescendant,
  isAsyncFunction,
  isFunctionWithBody,
  isProjectCode,
  propertyName,
  receiverOf,
  returnedExpressions,
  symbolOf,
  unwrap,
} from '../source/ast';
import { calledFunction, resolveFunction } from '../source/symbols';

/** A value in a receive chain: its kind (module-defined) and the receive call it comes from. */
export interface Shape {
  kind: string;
  /** The receive call (or, for a Lambda event, the handler) the value comes from. */
  origin: ts.Node;
  /** The queue, stream or subject, when static. */
  source?: string;
  /** Its expression's text, when it is not static (`process.env.ORDERS_DLQ_URL`). */
  sourceText?: string;
  /** A project object literal holding receive values in its properties (`return { ok: true, message }`). */
  fields?: ReadonlyMap<string, Shape>;
}

/** The kind of a project object literal that holds receive values (`Shape.fields`). */
export const RECORD = 'record';

export interface ShapeRules {
  /** The shape a call produces, given its receiver's shape (undefined when the receiver has none). */
  call(call: ts.CallExpression, receiver: Shape | undefined): Shape | undefined;
  /** `x.name` of a value of this shape. */
  property?(shape: Shape, name: string): Shape | undefined;
  /** `x[index]` (and array destructuring) of a value of this shape. */
  index?(shape: Shape, index: number): Shape | undefined;
  /** An element when iterating over a value of this shape (`for…of`, `for await`, `forEach`, `map`). */
  element?(shape: Shape): Shape | undefined;
}

export const MESSAGE = 'message';

/** Where one message is bound. */
export interface MessageBinding {
  kind: 'loop' | 'callback' | 'single';
  /** The receive call the message comes from (the consumer's registration). */
  origin: ts.Node;
  /** The queue, stream or subject, when static. */
  source?: string;
  /** Its expression's text, when it is not static. */
  sourceText?: string;
  /** The loop statement, the array-method call, or the statement holding `const m = await consumer.next()`. */
  node: ts.Node;
  /** The binding that holds the message (loop variable, callback parameter, variable). */
  binding: ts.BindingName;
  /**
   * For `single`: the properties read from the binding to reach the message, when the variable
   * holds a helper's result object (`received.message`); empty when it is the message.
   */
  path?: readonly string[];
  /** The code that handles one message: the loop body, the callback's body, or (single) the enclosing block. */
  body: ts.Statement | ts.Expression;
  /** For `single`: the statement the body starts at (the rest of the block). */
  from?: ts.Statement;
  /** The function holding the loop (or the array-method call, or the single receive). */
  handler: FunctionWithBody;
  /** The callback run per message, for array callbacks. */
  callback?: FunctionWithBody;
  /** The loop does not wait for the body: `forEach(async …)`, an `async` map that is not awaited. */
  detached: boolean;
}

const ARRAY_ITERATORS = new Set(['forEach', 'map', 'flatMap']);

/** How many project functions deep a returned receive value is followed (a helper, and the one it calls). */
const MAX_HELPERS_FOLLOWED = 2;

/** Follows receive shapes through a file; `bindings()` lists where single messages are bound. */
export class ShapeTracker {
  private readonly shapes = new Map<ts.Symbol, Shape>();
  private readonly found = new Map<ts.Node, MessageBinding>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly rules: ShapeRules,
    /** The project functions whose returned value is being followed (a cycle ends there). */
    private readonly following: ReadonlySet<FunctionWithBody> = new Set(),
  ) {}

  /** Seeds a binding (a Lambda handler's event parameter) with a shape. */
  seed(name: ts.BindingName, shape: Shape): void {
    this.bind(name, shape);
  }

  /** Scans a node (a file, or a function) in source order, twice to reach out-of-order uses. */
  scan(root: ts.Node): MessageBinding[] {
    for (let pass = 0; pass < 2; pass++) forEachDescendant(root, (node) => this.visit(node), true);
    return [...this.found.values()].sort((a, b) => a.node.getStart() - b.node.getStart());
  }

  /** The shape of an expression, if it is part of a receive chain. */
  shapeOf(expression: ts.Expression, depth = 0): Shape | undefined {
    if (depth > 12) return undefined;
    const value = unwrap(expression);
    if (ts.isAwaitExpression(value)) return this.shapeOf(value.expression, depth + 1);
    if (ts.isBinaryExpression(value)) {
      const operator = value.operatorToken.kind;
      if (operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.BarBarToken) {
        return this.shapeOf(value.left, depth + 1) ?? this.shapeOf(value.right, depth + 1);
      }
      return undefined;
    }
    if (ts.isIdentifier(value)) return this.symbolShape(value);
    if (ts.isPropertyAccessExpression(value)) {
      const fromSymbol = ts.isIdentifier(value.name) ? this.symbolShape(value.name) : undefined;
      if (fromSymbol) return fromSymbol; // this.consumer assigned a shape elsewhere
      const receiver = this.shapeOf(value.expression, depth + 1);
      return receiver && this.propertyShape(receiver, value.name.text);
    }
    if (ts.isElementAccessExpression(value)) {
      const receiver = this.shapeOf(value.expression, depth + 1);
      const argument = unwrap(value.argumentExpression);
      if (!receiver) return undefined;
      if (ts.isNumericLiteral(argument)) return this.rules.index?.(receiver, Number(argument.text));
      if (ts.isStringLiteralLike(argument)) return this.propertyShape(receiver, argument.text);
      return undefined;
    }
    if (ts.isObjectLiteralExpression(value)) return this.recordShape(value, depth);
    if (ts.isCallExpression(value)) {
      const receiver = receiverOf(value);
      return (
        this.rules.call(value, receiver ? this.shapeOf(receiver, depth + 1) : undefined) ??
        this.returnedShape(value, depth)
      );
    }
    return undefined;
  }

  /**
   * What a project function returns, when it is a receive value: a helper or a method of another
   * module that subscribes, receives or picks the message (docs/model.md, "Consumers"). Its body
   * is scanned by a tracker of its own, so the loops in it stay that file's consumers.
   */
  private returnedShape(call: ts.CallExpression, depth: number): Shape | undefined {
    // Two helpers deep at most: every call a broker file keeps in a variable may come here.
    if (this.following.size >= MAX_HELPERS_FOLLOWED) return undefined;
    const fn = calledFunction(call, this.checker);
    if (!fn || !isProjectCode(fn) || this.following.has(fn)) return undefined;
    const inner = new ShapeTracker(this.checker, this.rules, new Set([...this.following, fn]));
    inner.scan(fn.body);
    // `return { ok: true, message }` beside `return { ok: false, error }`: the one that holds a receive value.
    for (const value of returnedExpressions(fn)) {
      const shape = inner.shapeOf(value, depth + 1);
      if (shape) return shape;
    }
    return undefined;
  }

  /** `x.name` of a shape: a field of a project object, or what the module says. */
  private propertyShape(shape: Shape, name: string): Shape | undefined {
    return shape.fields ? shape.fields.get(name) : this.rules.property?.(shape, name);
  }

  /** `{ ok: true, message }`: an object literal whose properties hold receive values. */
  private recordShape(object: ts.ObjectLiteralExpression, depth: number): Shape | undefined {
    const fields = new Map<string, Shape>();
    for (const property of object.properties) {
      let shape: Shape | undefined;
      if (ts.isPropertyAssignment(property)) shape = this.shapeOf(property.initializer, depth + 1);
      else if (ts.isShorthandPropertyAssignment(property)) {
        const symbol = this.checker.getShorthandAssignmentValueSymbol(property);
        shape = symbol && this.shapes.get(symbol);
      }
      const name = propertyName(property);
      if (shape && name) fields.set(name, shape);
    }
    const [first] = fields.values();
    return first && { kind: RECORD, origin: first.origin, source: first.source, sourceText: first.sourceText, fields };
  }

  private symbolShape(identifier: ts.Identifier): Shape | undefined {
    const symbol = symbolOf(identifier, this.checker);
    return symbol ? this.shapes.get(symbol) : undefined;
  }

  private bind(name: ts.BindingName | ts.Expression, shape: Shape | undefined): void {
    if (!shape) return;
    if (ts.isIdentifier(name)) {
      const symbol = symbolOf(name, this.checker);
      if (symbol && !this.shapes.has(symbol)) this.shapes.set(symbol, shape);
      return;
    }
    if (ts.isPropertyAccessExpression(name)) {
      // this.consumer = await js.consumers.get(…)
      const symbol = symbolOf(name.name, this.checker);
      if (symbol && !this.shapes.has(symbol)) this.shapes.set(symbol, shape);
      return;
    }
    if (ts.isObjectBindingPattern(name)) {
      for (const element of name.elements) {
        const key = element.propertyName ?? element.name;
        if (!ts.isIdentifier(key) && !ts.isStringLiteral(key)) continue;
        this.bind(element.name, this.propertyShape(shape, key.text));
      }
      return;
    }
    if (ts.isArrayBindingPattern(name)) {
      name.elements.forEach((element, index) => {
        if (ts.isBindingElement(element) && !element.dotDotDotToken)
          this.bind(element.name, this.rules.index?.(shape, index));
      });
    }
  }

  private visit(node: ts.Node): void {
    if (ts.isVariableDeclaration(node) && node.initializer) {
      const shape = this.shapeOf(node.initializer);
      if (shape?.kind === MESSAGE) this.single(node, shape, []);
      // `const received = await getNextMessage(…)` holding `{ ok, message }`: the message is `received.message`.
      const field = shape?.fields && [...shape.fields].find(([, inner]) => inner.kind === MESSAGE);
      if (field) this.single(node, field[1], [field[0]]);
      this.bind(node.name, shape);
      return;
    }
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      (ts.isIdentifier(node.left) || ts.isPropertyAccessExpression(node.left))
    ) {
      const shape = this.shapeOf(node.right);
      if (shape && shape.kind !== MESSAGE) this.bind(node.left, shape);
      return;
    }
    if (ts.isForOfStatement(node)) {
      const list = this.shapeOf(node.expression);
      const element = list && this.rules.element?.(list);
      const declarations = ts.isVariableDeclarationList(node.initializer) ? node.initializer.declarations : [];
      if (!element || declarations.length !== 1) return;
      if (element.kind === MESSAGE) this.loop(node, declarations[0].name, element);
      else this.bind(declarations[0].name, element);
      return;
    }
    if (ts.isCallExpression(node) && !ARRAY_ITERATORS.has(calledName(node) ?? '')) {
      this.bindParameters(node);
      return;
    }
    if (ts.isCallExpression(node)) {
      const receiver = receiverOf(node);
      const list = receiver && this.shapeOf(receiver);
      const element = list && this.rules.element?.(list);
      const callback = node.arguments[0] && resolveFunction(node.arguments[0], this.checker);
      const parameter = callback?.parameters[0];
      if (!element || !callback || !parameter) return;
      // A synchronous map that builds data (`Entries: Messages.map((m) => ({ Id, ReceiptHandle }))`)
      // processes nothing; a map runs handlers when its callback is async or it feeds Promise.all.
      const runsHandlers = calledName(node) === 'forEach' || isAsyncFunction(callback) || combinatorArgument(node);
      if (element.kind === MESSAGE) {
        if (runsHandlers) this.callback(node, callback, parameter.name, element);
      } else this.bind(parameter.name, element);
    }
  }

  /**
   * A list of messages (or what holds one) passed to a function of the same file, by name: that
   * function's parameter holds it (`await this.notifyHandlers(stream, entries)`, which maps over
   * `entries`). The scan's second pass reaches the callee when it comes first in the file.
   */
  private bindParameters(call: ts.CallExpression): void {
    const shapes = call.arguments.map((argument) => {
      const value = unwrap(argument);
      return ts.isIdentifier(value) ? this.symbolShape(value) : undefined;
    });
    if (!shapes.some((shape) => shape && shape.kind !== MESSAGE)) return;
    const callee = calledFunction(call, this.checker);
    if (!callee || callee.getSourceFile() !== call.getSourceFile()) return;
    shapes.forEach((shape, index) => {
      const parameter = callee.parameters[index];
      if (shape && shape.kind !== MESSAGE && parameter && !parameter.dotDotDotToken) this.bind(parameter.name, shape);
    });
  }

  private loop(statement: ts.ForOfStatement, binding: ts.BindingName, shape: Shape): void {
    const handler = enclosingFunction(statement);
    if (!handler || this.found.has(statement)) return;
    this.found.set(statement, {
      kind: 'loop',
      origin: shape.origin,
      source: shape.source,
      sourceText: shape.sourceText,
      node: statement,
      binding,
      body: statement.statement,
      handler,
      detached: false,
    });
  }

  private callback(call: ts.CallExpression, callback: FunctionWithBody, binding: ts.BindingName, shape: Shape): void {
    const handler = enclosingFunction(call);
    if (!handler || this.found.has(call)) return;
    this.found.set(call, {
      kind: 'callback',
      origin: shape.origin,
      source: shape.source,
      sourceText: shape.sourceText,
      node: call,
      binding,
      body: callback.body,
      handler,
      callback,
      detached: isDetachedIteration(call, callback),
    });
  }

  /**
   * `const m = await consumer.next()`: the message is handled by the rest of the block. Not in a
   * receive helper, a function that returns the message (or an object holding it) to its callers:
   * they handle it.
   */
  private single(declaration: ts.VariableDeclaration, shape: Shape, path: readonly string[]): void {
    const statement = declaration.parent.parent;
    if (!ts.isVariableStatement(statement) || !ts.isBlock(statement.parent) || this.found.has(statement)) return;
    const handler = enclosingFunction(statement);
    if (!handler || (ts.isIdentifier(declaration.name) && returnsValueOf(handler, declaration.name, this.checker)))
      return;
    this.found.set(statement, {
      kind: 'single',
      origin: shape.origin,
      source: shape.source,
      sourceText: shape.sourceText,
      node: statement,
      binding: declaration.name,
      path,
      body: statement.parent,
      from: statement,
      handler,
      detached: false,
    });
  }
}

/** Whether a function returns a variable, alone or as a property of an object literal (`return { ok, message }`). */
function returnsValueOf(fn: FunctionWithBody, name: ts.Identifier, checker: ts.TypeChecker): boolean {
  const symbol = symbolOf(name, checker);
  if (!symbol) return false;
  const isIt = (expression: ts.Expression): boolean => {
    const value = unwrap(expression);
    if (ts.isIdentifier(value)) return symbolOf(value, checker) === symbol;
    if (!ts.isObjectLiteralExpression(value)) return false;
    return value.properties.some((property) =>
      ts.isShorthandPropertyAssignment(property)
        ? checker.getShorthandAssignmentValueSymbol(property) === symbol
        : ts.isPropertyAssignment(property) && isIt(property.initializer),
    );
  };
  return returnedExpressions(fn).some(isIt);
}

/** The function a node is in (not crossing into the file's top level). */
function enclosingFunction(node: ts.Node): FunctionWithBody | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isSourceFile(current)) {
    if (isFunctionWithBody(current)) return current;
    current = current.parent;
  }
  return undefined;
}

/**
 * Whether the code after an array iteration runs before its callbacks complete: `forEach(async …)`
 * never waits; `map(async …)` waits only inside an awaited (or returned) `Promise.all`/`allSettled`,
 * directly or through a variable awaited that way later.
 */
function isDetachedIteration(call: ts.CallExpression, callback: FunctionWithBody): boolean {
  if (!isAsyncFunction(callback)) return false;
  const name = calledName(call);
  if (name === 'forEach') return true;
  if (combinatorAwaited(call)) return false;
  // const jobs = Messages.map(async …); await Promise.all(jobs)
  let holder: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder)) holder = holder.parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) {
    const name = holder.name.text;
    const scope = enclosingFunction(holder);
    let awaited = false;
    if (scope) {
      forEachDescendant(scope.body, (node) => {
        if (!awaited && ts.isIdentifier(node) && node.text === name && node !== holder.name) {
          if (combinatorAwaited(node) || isAwaitedValue(node)) awaited = true;
        }
      });
    }
    return !awaited;
  }
  return !isAwaitedValue(call);
}

function isAwaitedValue(node: ts.Node): boolean {
  let current: ts.Node = node;
  while (
    ts.isParenthesizedExpression(current.parent) ||
    ts.isAsExpression(current.parent) ||
    ts.isNonNullExpression(current.parent)
  )
    current = current.parent;
  const parent = current.parent;
  return (
    ts.isAwaitExpression(parent) ||
    ts.isReturnStatement(parent) ||
    (ts.isArrowFunction(parent) && parent.body === current)
  );
}

/** `await Promise.all(x)`, `await Promise.all([...x])`, `return Promise.allSettled(x)`. */
function combinatorAwaited(node: ts.Node): boolean {
  const combinator = combinatorArgument(node);
  return !!combinator && isAwaitedValue(combinator);
}

/** Calls after a loop (outside it and outside other message bodies) in the function holding it. */
export function callsAfter(
  binding: MessageBinding,
  others: readonly MessageBinding[],
  matches: (call: ts.CallExpression) => boolean,
): ts.CallExpression[] {
  if (binding.kind === 'single') return [];
  const end = binding.node.getEnd();
  const calls: ts.CallExpression[] = [];
  forEachDescendant(
    binding.handler.body,
    (node) => {
      if (!ts.isCallExpression(node) || node.getStart() < end || !matches(node)) return;
      if (others.some((other) => node.getStart() >= other.node.getStart() && node.getEnd() <= other.node.getEnd()))
        return;
      if (enclosingFunction(node) !== binding.handler) return;
      calls.push(node);
    },
    true,
  );
  return calls;
}

/** The local name a binding gives the message's property (`{ MessageId: id }` gives `id`). */
export function bindingProperty(binding: ts.BindingName, property: string): string | undefined {
  if (!ts.isObjectBindingPattern(binding)) return undefined;
  for (const element of binding.elements) {
    const key = element.propertyName ?? element.name;
    if (ts.isIdentifier(key) && key.text === property && ts.isIdentifier(element.name)) return element.name.text;
  }
  return undefined;
}
