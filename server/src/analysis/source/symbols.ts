/**
 * Resolving names to what they stand for: the function a handler reference points at, and the
 * package a value comes from. Both work through the type checker when types are installed and
 * fall back to import declarations and `new X()` / `x.factory()` shapes when they are not.
 */
import { ts } from 'ts-morph';
import { TEST_FILE, naming, wantUnread, escapeRegExp } from './project-sources';
import { captured, readCaptureOf, type CapturedReads } from './read-capture';
import { carriedValue, resolvedDeclaration } from './carried';
import {
  FunctionWithBody,
  forEachDescendant,
  isFunctionWithBody,
  isProjectCode,
  perParsedFile,
  propertyFunctionNode,
  returnedExpressions,
  staticText,
  symbolOf,
  unwrap,
  unwrapAwait,
} from './ast';

/** The function an expression refers to: inline, named, imported, a method, `x.bind(this)`, a factory's result. */
export function resolveFunction(
  node: ts.Node | undefined,
  checker: ts.TypeChecker,
  depth = 0,
): FunctionWithBody | undefined {
  return resolveCallable(node, checker, depth)?.fn;
}

/**
 * A function value and how it was made. A closure returned by a project factory
 * (`createWorkerHandler(executeEmail)`, `metricWrapper(processor)`) runs with the factory's
 * parameters bound to the arguments of the call that made it: `bindings` lists them, innermost
 * factory last (docs/model.md, "Wrappers, dispatch tables and where findings go").
 */
export interface ResolvedCallable {
  fn: FunctionWithBody;
  bindings: ParameterBinding[];
}

/** A parameter of a factory or wrapper, and the argument expression its call gave it. */
export interface ParameterBinding {
  parameter: ts.ParameterDeclaration;
  argument: ts.Expression;
}

export function resolveCallable(
  node: ts.Node | undefined,
  checker: ts.TypeChecker,
  depth = 0,
): ResolvedCallable | undefined {
  if (!node || depth > 6) return undefined;
  if (isFunctionWithBody(node)) return { fn: node, bindings: [] };
  if (!ts.isExpression(node) && !ts.isIdentifier(node)) return undefined;
  const expression = unwrap(node);
  if (isFunctionWithBody(expression)) return { fn: expression, bindings: [] };
  if (ts.isCallExpression(expression)) {
    const callee = unwrap(expression.expression);
    // handler.bind(this) -> handler
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'bind')
      return resolveCallable(callee.expression, checker, depth + 1);
    return factoryResult(expression, checker, depth);
  }
  if (ts.isIdentifier(expression) || ts.isPropertyAccessExpression(expression)) {
    const symbol = symbolOf(ts.isPropertyAccessExpression(expression) ? expression.name : expression, checker);
    const callable = symbol && callableOfSymbol(symbol, checker, depth);
    if (callable || !ts.isPropertyAccessExpression(expression)) return callable;
    // `worker.handler` where `const worker: Worker = { handler: async … }`: the checker answers with
    // the interface's member, which has no body; the object literal the name holds has one.
    const member = literalMember(expression, checker);
    return member ? resolveCallable(member, checker, depth + 1) : undefined;
  }
  return undefined;
}

/** The member `access` names in the object literal its receiver holds (constObjectLiteral). */
function literalMember(access: ts.PropertyAccessExpression, checker: ts.TypeChecker): ts.Node | undefined {
  const object = constObjectLiteral(access.expression, checker);
  return object && propertyFunctionNode(object, access.name.text);
}

/** The object literal an expression is: written there, or a constant (or default export) it names, through imports. */
export function constObjectLiteral(
  expression: ts.Expression,
  checker: ts.TypeChecker,
  depth = 0,
): ts.ObjectLiteralExpression | undefined {
  if (depth > 4) return undefined;
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) return value;
  if (!ts.isIdentifier(value)) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  if (!declaration) return undefined;
  if (ts.isExportAssignment(declaration)) return constObjectLiteral(declaration.expression, checker, depth + 1);
  if (
    ts.isVariableDeclaration(declaration) &&
    declaration.initializer &&
    ts.isVariableDeclarationList(declaration.parent) &&
    declaration.parent.flags & ts.NodeFlags.Const
  )
    return constObjectLiteral(declaration.initializer, checker, depth + 1);
  return undefined;
}

/**
 * `factory(args)` where the project's `factory` returns a function: that function, with the
 * factory's parameters bound to `args`. A factory returning something else gives nothing.
 */
function factoryResult(call: ts.CallExpression, checker: ts.TypeChecker, depth: number): ResolvedCallable | undefined {
  const factory = calledFunction(call, checker, depth + 1);
  if (!factory || !isProjectCode(factory)) return undefined;
  const returned = returnedFunction(factory, checker, depth + 1);
  if (!returned) return undefined;
  const bindings: ParameterBinding[] = [];
  factory.parameters.forEach((parameter, index) => {
    const argument = call.arguments[index];
    if (argument && !parameter.dotDotDotToken) bindings.push({ parameter, argument });
  });
  return { fn: returned.fn, bindings: [...bindings, ...returned.bindings] };
}

/** The function a function returns: its concise body, or the value of its `return` statements. */
function returnedFunction(fn: FunctionWithBody, checker: ts.TypeChecker, depth: number): ResolvedCallable | undefined {
  if (!ts.isBlock(fn.body)) return resolveCallable(fn.body, checker, depth);
  let found: ResolvedCallable | undefined;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) found = resolveCallable(node.expression, checker, depth);
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  return found;
}

export function functionOfSymbol(symbol: ts.Symbol, checker: ts.TypeChecker, depth = 0): FunctionWithBody | undefined {
  return callableOfSymbol(symbol, checker, depth)?.fn;
}

function callableOfSymbol(symbol: ts.Symbol, checker: ts.TypeChecker, depth = 0): ResolvedCallable | undefined {
  for (const declaration of symbol.declarations ?? []) {
    if (isFunctionWithBody(declaration)) return { fn: declaration, bindings: [] };
    if (
      (ts.isVariableDeclaration(declaration) ||
        ts.isPropertyDeclaration(declaration) ||
        ts.isPropertyAssignment(declaration)) &&
      declaration.initializer
    ) {
      const resolved = resolveCallable(declaration.initializer, checker, depth + 1);
      if (resolved) return resolved;
    }
    if (ts.isShorthandPropertyAssignment(declaration)) {
      const value = checker.getShorthandAssignmentValueSymbol(declaration);
      if (value && value !== symbol) return callableOfSymbol(value, checker, depth + 1);
    }
    // A class field assigned a function in a method or the constructor: `this.processor = async (job) => …`.
    if (ts.isPropertyDeclaration(declaration) && !declaration.initializer && ts.isIdentifier(declaration.name)) {
      const assigned = functionAssignedToField(declaration.parent, declaration.name.text, checker, depth);
      if (assigned) return assigned;
    }
  }
  return undefined;
}

function functionAssignedToField(
  owner: ts.ClassLikeDeclaration,
  field: string,
  checker: ts.TypeChecker,
  depth: number,
): ResolvedCallable | undefined {
  let found: ResolvedCallable | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      node.left.expression.kind === ts.SyntaxKind.ThisKeyword &&
      node.left.name.text === field
    ) {
      found = resolveCallable(node.right, checker, depth + 1);
      return;
    }
    ts.forEachChild(node, visit);
  };
  for (const member of owner.members) visit(member);
  return found;
}

/**
 * The function a call invokes, when it is the project's own code. The server keeps the answer for
 * the calls of files an edit did not reach (carried.ts): a call on an instantiated type
 * (`items.map(…)`, a generic class's method) has a symbol of the checker's own, so the next checker
 * would type its receiver anew for every such call of the unchanged services.
 */
export function calledFunction(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  depth = 0,
): FunctionWithBody | undefined {
  if (depth > MAX_CALL_DEPTH) return undefined;
  return carriedValue(checker, call, CALLED_AT_DEPTH[depth], () => followCall(call, checker, depth));
}

const MAX_CALL_DEPTH = 6;
/** What calledFunction computes, one kind per depth: how deep it may still follow decides the answer. */
const CALLED_AT_DEPTH = Array.from({ length: MAX_CALL_DEPTH + 1 }, () => ({}));

function followCall(call: ts.CallExpression, checker: ts.TypeChecker, depth: number): FunctionWithBody | undefined {
  const callee = unwrap(call.expression);
  if (isFunctionWithBody(callee)) return callee; // IIFE
  let target: ts.Node = callee;
  if (ts.isPropertyAccessExpression(callee)) target = callee.name;
  if (!ts.isIdentifier(target)) return undefined;
  const symbol = symbolOf(target, checker);
  if (!symbol) return undefined; // untyped: nothing to follow
  const resolved = functionOfSymbol(symbol, checker, depth);
  if (resolved) return resolved;
  const member = ts.isPropertyAccessExpression(callee) ? literalMember(callee, checker) : undefined;
  if (member) return resolveFunction(member, checker, depth + 1);
  // Methods called through the project's own interfaces: ask the checker for the signature.
  // (Overload resolution is costly, and library declarations have no body to follow anyway.)
  if (!(symbol.declarations ?? []).some((declaration) => isProjectCode(declaration))) return undefined;
  try {
    const declaration = resolvedDeclaration(call, checker);
    if (declaration && isFunctionWithBody(declaration)) return declaration;
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The project function a call invokes and the one value it returns (`return this.subscription`,
 * `return js.subscribe(subject, opts)`); undefined for a library call or a function with several
 * `return`s.
 */
export function soleReturnedValue(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
): { fn: FunctionWithBody; value: ts.Expression } | undefined {
  const fn = calledFunction(call, checker);
  if (!fn || !isProjectCode(fn)) return undefined;
  const returned = returnedExpressions(fn);
  return returned.length === 1 ? { fn, value: returned[0] } : undefined;
}

/**
 * The npm package a value comes from, following `const x = new Imported()`, `x = imported.factory()`,
 * `this.field` initialised or typed so, class fields and constructor parameter types. Returns e.g.
 * 'kafkajs', 'ioredis', '@prisma/client'. Declarations only: the analysis never loads installed
 * packages (pipeline/program.ts), so no value's type is declared in one, and asking the checker
 * for types would only cost time (12% of a run on a 1,000-file project).
 */
export function originModule(expression: ts.Expression, checker: ts.TypeChecker, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  // Memoised per checker: chains of declarations are shared by many calls (a client used everywhere).
  let cache = originCache.get(checker);
  if (!cache) {
    cache = new WeakMap();
    originCache.set(checker, cache);
  }
  const cached = cache.get(expression);
  if (cached) {
    if (cached.reads) readCaptureOf(checker)?.replay(cached.reads);
    return cached.origin;
  }
  const { value: origin, reads } = captured(checker, () => computeOrigin(expression, checker, depth));
  // Only results computed with the full depth budget are final; a cut-off search may say less.
  if (origin !== undefined || depth === 0) cache.set(expression, { origin, reads });
  return origin;
}

const originCache = new WeakMap<ts.TypeChecker, WeakMap<ts.Node, Memo>>();

function computeOrigin(expression: ts.Expression, checker: ts.TypeChecker, depth: number): string | undefined {
  const value = unwrapAwait(expression);
  // A client cached on a global, or made when missing: `globalForPrisma.prisma ?? new PrismaClient()`.
  if (
    ts.isBinaryExpression(value) &&
    (value.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
      value.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  )
    return originModule(value.left, checker, depth + 1) ?? originModule(value.right, checker, depth + 1);
  if (ts.isConditionalExpression(value))
    return originModule(value.whenTrue, checker, depth + 1) ?? originModule(value.whenFalse, checker, depth + 1);
  if (ts.isNewExpression(value) || ts.isCallExpression(value)) {
    return originModule(value.expression, checker, depth + 1);
  }
  if (ts.isPropertyAccessExpression(value)) {
    const fromSymbol = ts.isIdentifier(value.name) ? symbolOrigin(value.name, checker, depth) : undefined;
    if (fromSymbol) return fromSymbol;
    const fromReceiver = originModule(value.expression, checker, depth + 1);
    return fromReceiver;
  }
  if (ts.isIdentifier(value)) return symbolOrigin(value, checker, depth);
  if (ts.isElementAccessExpression(value)) return originModule(value.expression, checker, depth + 1);
  return undefined;
}

function symbolOrigin(name: ts.Identifier, checker: ts.TypeChecker, depth: number): string | undefined {
  if (depth > 8) return undefined;
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker.getSymbolAtLocation(name);
  } catch {
    return undefined;
  }
  if (!symbol) return undefined;
  return memoised(symbolOrigins, checker, symbol, depth, () => computeSymbolOrigin(symbol, checker, depth));
}

/**
 * Origins by symbol and by declaration, per checker and per depth left (a search cut short may say
 * less): a client used in many calls (`prisma`, `this.redis`) is traced to its package once.
 */
const symbolOrigins = new WeakMap<ts.TypeChecker, Map<object, Memo[]>>();
const declarationOrigins = new WeakMap<ts.TypeChecker, Map<object, Memo[]>>();

/** An origin found, and what finding it read (replayed where it is reused: source/read-capture.ts). */
interface Memo {
  origin: string | undefined;
  reads?: CapturedReads;
}

function memoised(
  caches: WeakMap<ts.TypeChecker, Map<object, Memo[]>>,
  checker: ts.TypeChecker,
  key: object,
  depth: number,
  compute: () => string | undefined,
): string | undefined {
  let cache = caches.get(checker);
  if (!cache) {
    cache = new Map();
    caches.set(checker, cache);
  }
  let byDepth = cache.get(key);
  if (!byDepth) {
    byDepth = [];
    cache.set(key, byDepth);
  }
  const known = byDepth[depth];
  if (known) {
    if (known.reads) readCaptureOf(checker)?.replay(known.reads);
    return known.origin;
  }
  const { value: origin, reads } = captured(checker, compute);
  byDepth[depth] = { origin, reads };
  return origin;
}

function computeSymbolOrigin(symbol: ts.Symbol, checker: ts.TypeChecker, depth: number): string | undefined {
  for (const declaration of symbol.declarations ?? []) {
    const imported = importModuleOf(declaration);
    // A path alias (`src/models/order`, `@app/db`) that resolves into the project is followed there.
    if (imported && !imported.startsWith('.') && !aliasOfProjectCode(symbol, checker)) return imported;
  }
  if (symbol.flags & ts.SymbolFlags.Alias) {
    try {
      symbol = checker.getAliasedSymbol(symbol);
    } catch {
      return undefined;
    }
  }
  for (const declaration of symbol.declarations ?? []) {
    const fromFile = packageOfFile(declaration.getSourceFile().fileName);
    if (fromFile) return fromFile;
    const origin = declarationOrigin(declaration, checker, depth);
    if (origin) return origin;
  }
  return undefined;
}

/** Whether an imported name resolves to a declaration in the project's own sources. */
function aliasOfProjectCode(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (!(symbol.flags & ts.SymbolFlags.Alias)) return false;
  try {
    const target = checker.getAliasedSymbol(symbol);
    return (target.declarations ?? []).some((declaration) => isProjectCode(declaration));
  } catch {
    return false;
  }
}

/** The package a declared type comes from: `Redis`, `Redis | undefined`, `typeof Order`, `Promise<Channel>`. */
function typeNodeOrigin(typeNode: ts.TypeNode | undefined, checker: ts.TypeChecker, depth: number): string | undefined {
  if (!typeNode || depth > 8) return undefined;
  if (ts.isTypeReferenceNode(typeNode)) {
    const fromName = typeNameOrigin(typeNode.typeName, checker, depth + 1);
    if (fromName || !typeNode.typeArguments?.length || !isStandardWrapperType(typeNode.typeName, checker))
      return fromName;
    return typeNodeOrigin(typeNode.typeArguments[0], checker, depth + 1);
  }
  if (ts.isTypeQueryNode(typeNode)) return symbolOrigin(rightmostName(typeNode.exprName), checker, depth + 1);
  if (ts.isUnionTypeNode(typeNode) || ts.isIntersectionTypeNode(typeNode)) {
    for (const member of typeNode.types) {
      const origin = typeNodeOrigin(member, checker, depth + 1);
      if (origin) return origin;
    }
  }
  if (ts.isParenthesizedTypeNode(typeNode)) return typeNodeOrigin(typeNode.type, checker, depth + 1);
  return undefined;
}

/**
 * TypeScript's own types that stand for a version of their first argument: the value of an
 * `InstanceType<typeof Redis>` is a Redis client, of `Awaited<ReturnType<typeof connect>>` what
 * `connect` gives. Only the standard library's (a project's own `Box<Redis>` may be anything).
 */
const STANDARD_WRAPPER_TYPES = new Set([
  'InstanceType',
  'ReturnType',
  'Awaited',
  'Promise',
  'NonNullable',
  'Readonly',
  'Required',
  'Partial',
  'Pick',
  'Omit',
]);

function isStandardWrapperType(name: ts.EntityName, checker: ts.TypeChecker): boolean {
  if (!ts.isIdentifier(name) || !STANDARD_WRAPPER_TYPES.has(name.text)) return false;
  const declarations = checker.getSymbolAtLocation(name)?.declarations ?? [];
  return declarations.length > 0 && declarations.every((declaration) => declaration.getSourceFile().hasNoDefaultLib);
}

function declarationOrigin(declaration: ts.Declaration, checker: ts.TypeChecker, depth: number): string | undefined {
  return memoised(declarationOrigins, checker, declaration, depth, () =>
    computeDeclarationOrigin(declaration, checker, depth),
  );
}

function computeDeclarationOrigin(
  declaration: ts.Declaration,
  checker: ts.TypeChecker,
  depth: number,
): string | undefined {
  if (
    (ts.isVariableDeclaration(declaration) ||
      ts.isPropertyDeclaration(declaration) ||
      ts.isParameter(declaration) ||
      ts.isPropertyAssignment(declaration)) &&
    !ts.isObjectBindingPattern(declaration.name)
  ) {
    const typeNode = 'type' in declaration ? declaration.type : undefined;
    const fromType = typeNodeOrigin(typeNode, checker, depth);
    if (fromType) return fromType;
    if (declaration.initializer) {
      const fromInit = originModule(declaration.initializer, checker, depth + 1);
      if (fromInit) return fromInit;
    }
    if (ts.isParameter(declaration)) {
      const fromCallback = callbackParameterOrigin(declaration, checker, depth);
      if (fromCallback) return fromCallback;
    }
    if (ts.isPropertyDeclaration(declaration) || ts.isParameter(declaration)) {
      return assignedInConstructorOrigin(declaration, checker, depth);
    }
    if (ts.isVariableDeclaration(declaration)) {
      const fromAssignment = assignedLaterOrigin(declaration, checker, depth);
      if (fromAssignment) return fromAssignment;
    }
  }
  if (ts.isClassDeclaration(declaration)) {
    for (const clause of declaration.heritageClauses ?? []) {
      for (const type of clause.types) {
        const origin = originModule(type.expression, checker, depth + 1);
        if (origin) return origin;
      }
    }
  }
  // A project function's value comes from what it returns: `openChannel()` returning
  // `connection.createChannel()`, or declared `Promise<Channel>` with Channel imported from amqplib.
  const fn = functionOfDeclaration(declaration);
  if (fn) return returnOrigin(fn, checker, depth);
  if (ts.isBindingElement(declaration)) {
    const pattern = declaration.parent;
    const holder = pattern.parent;
    if (ts.isVariableDeclaration(holder) && holder.initializer)
      return originModule(holder.initializer, checker, depth + 1);
  }
  return undefined;
}

/**
 * The origin of a callback's parameter written without a type:
 * - the type its context declares for it: `const worker: Worker = { handler: async (msg, con) => … }`
 *   where the project's `Worker` says `con: DataSource` (imported from typeorm);
 * - else the package of the call it is passed to: `redisPool.execute((client) => client.set(…))`,
 *   `dataSource.transaction(async (manager) => …)`: a client's method hands its callback one of its
 *   own objects.
 */
function callbackParameterOrigin(
  parameter: ts.ParameterDeclaration,
  checker: ts.TypeChecker,
  depth: number,
): string | undefined {
  const fn = parameter.parent;
  if (parameter.type || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  const declared = contextualParameterType(fn, fn.parameters.indexOf(parameter), checker);
  const fromContext = typeNodeOrigin(declared, checker, depth + 1);
  if (fromContext) return fromContext;
  const call = fn.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(fn)) return undefined;
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const origin = originModule(callee.expression, checker, depth + 1);
  return origin && !origin.startsWith('.') ? origin : undefined;
}

/** The type node the contextual signature of a function expression gives its parameter at `index`. */
function contextualParameterType(
  fn: ts.ArrowFunction | ts.FunctionExpression,
  index: number,
  checker: ts.TypeChecker,
): ts.TypeNode | undefined {
  try {
    const [signature] = checker.getContextualType(fn)?.getCallSignatures() ?? [];
    const declaration = signature?.getDeclaration();
    if (!declaration || ts.isJSDocSignature(declaration)) return undefined;
    return declaration.parameters[index]?.type;
  } catch {
    return undefined; // half-typed code
  }
}

/** A function declared by this declaration: `function f()`, a method, or `const f = () => …`. */
function functionOfDeclaration(declaration: ts.Declaration): ts.FunctionLikeDeclaration | undefined {
  if (ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration)) return declaration;
  if (ts.isVariableDeclaration(declaration) && declaration.initializer) {
    const initializer = declaration.initializer;
    if (ts.isArrowFunction(initializer) || ts.isFunctionExpression(initializer)) return initializer;
  }
  return undefined;
}

/** The package of what a function returns: its declared return type, else its return statements. */
function returnOrigin(fn: ts.FunctionLikeDeclaration, checker: ts.TypeChecker, depth: number): string | undefined {
  let typeNode = fn.type;
  // Promise<Channel>: the awaited value is what the caller holds.
  if (typeNode && ts.isTypeReferenceNode(typeNode) && rightmostName(typeNode.typeName).text === 'Promise')
    typeNode = typeNode.typeArguments?.[0];
  const fromType = typeNodeOrigin(typeNode, checker, depth);
  if (fromType) return fromType;
  const body = fn.body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return originModule(body, checker, depth + 1);
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) found = originModule(node.expression, checker, depth + 1);
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/**
 * `this.redis = new Redis()` in the constructor (or a method, such as `onModuleInit`, that sets the
 * field up) gives the field its origin.
 */
function assignedInConstructorOrigin(
  declaration: ts.PropertyDeclaration | ts.ParameterDeclaration,
  checker: ts.TypeChecker,
  depth: number,
): string | undefined {
  if (!ts.isPropertyDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return undefined;
  const name = declaration.name.text;
  const owner = declaration.parent;
  const assigned: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      node.left.expression.kind === ts.SyntaxKind.ThisKeyword &&
      node.left.name.text === name
    )
      assigned.push(node.right);
    // Arrow functions keep `this`; nested function expressions and classes do not.
    if (ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node) || ts.isClassLike(node)) return;
    ts.forEachChild(node, visit);
  };
  for (const member of owner.members) {
    if ((ts.isConstructorDeclaration(member) || ts.isMethodDeclaration(member)) && member.body)
      ts.forEachChild(member.body, visit);
  }
  for (const right of assigned) {
    const origin = originModule(right, checker, depth + 1);
    if (origin) return origin;
  }
  return undefined;
}

/**
 * A `let` set up later: `let client; … client = new NotifyClient(key)` in a function that creates
 * it on first use (a lazy singleton) or an `init()`. The assignments to it in its scope give its
 * origin.
 */
function assignedLaterOrigin(
  declaration: ts.VariableDeclaration,
  checker: ts.TypeChecker,
  depth: number,
): string | undefined {
  const scope = ts.findAncestor(
    declaration.parent,
    (node) => ts.isBlock(node) || ts.isSourceFile(node) || ts.isModuleBlock(node),
  );
  for (const right of scope ? letAssignments(declaration, scope, checker) : []) {
    const origin = originModule(right, checker, depth + 1);
    if (origin) return origin;
  }
  return undefined;
}

/**
 * The values assigned to a `let` (or `var`) within `scope` (`x = …`, `x ??= …`, `x ||= …`), in
 * source order; none for a `const` or a destructured declaration.
 */
export function letAssignments(
  declaration: ts.VariableDeclaration,
  scope: ts.Node,
  checker: ts.TypeChecker,
): ts.Expression[] {
  const list = declaration.parent;
  if (!ts.isIdentifier(declaration.name) || !ts.isVariableDeclarationList(list) || list.flags & ts.NodeFlags.Const)
    return [];
  const symbol = checker.getSymbolAtLocation(declaration.name);
  if (!symbol) return [];
  const candidates = assignmentsIn(scope).get(declaration.name.text) ?? [];
  return candidates.filter((node) => checker.getSymbolAtLocation(node.left) === symbol).map((node) => node.right);
}

/**
 * The assignments to plain names in a scope, by name, in source order. Kept per scope node: every
 * `let` of a file (and every read of one) asked for its own walk of the whole file, and the server
 * keeps the parsed nodes of unchanged files from one edit to the next.
 */
const assignmentsByScope = new WeakMap<ts.Node, Map<string, NameAssignment[]>>();

/** `name = value`, `name ??= value`, `name ||= value`. */
type NameAssignment = ts.BinaryExpression & { left: ts.Identifier };

function assignmentsIn(scope: ts.Node): Map<string, NameAssignment[]> {
  let byName = assignmentsByScope.get(scope);
  if (byName) return byName;
  const found = new Map<string, NameAssignment[]>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isBinaryExpression(node) &&
      (node.operatorToken.kind === ts.SyntaxKind.EqualsToken ||
        node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken ||
        node.operatorToken.kind === ts.SyntaxKind.BarBarEqualsToken) &&
      ts.isIdentifier(node.left)
    ) {
      const assignment = node as NameAssignment;
      const named = found.get(assignment.left.text);
      if (named) named.push(assignment);
      else found.set(assignment.left.text, [assignment]);
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(scope, visit);
  byName = found;
  assignmentsByScope.set(scope, byName);
  return byName;
}

/**
 * The package a type name comes from: `Channel` imported from it, or `amqp.Channel` of a namespace
 * import (whose member the checker cannot resolve when the package is not installed).
 */
function typeNameOrigin(name: ts.EntityName, checker: ts.TypeChecker, depth: number): string | undefined {
  const fromName = symbolOrigin(rightmostName(name), checker, depth);
  if (fromName || ts.isIdentifier(name)) return fromName;
  let left: ts.EntityName = name;
  while (ts.isQualifiedName(left)) left = left.left;
  return symbolOrigin(left, checker, depth);
}

function rightmostName(name: ts.EntityName): ts.Identifier {
  return ts.isIdentifier(name) ? name : name.right;
}

/** The module specifier of an import declaration that declares this name. */
export function importModuleOf(declaration: ts.Node): string | undefined {
  let current: ts.Node | undefined = declaration;
  while (current && !ts.isSourceFile(current)) {
    if (ts.isImportDeclaration(current) && ts.isStringLiteral(current.moduleSpecifier))
      return current.moduleSpecifier.text;
    if (ts.isImportEqualsDeclaration(current)) {
      const reference = current.moduleReference;
      if (ts.isExternalModuleReference(reference) && ts.isStringLiteral(reference.expression))
        return reference.expression.text;
      return undefined;
    }
    if (ts.isVariableDeclaration(current) && current.initializer) {
      // const { Kafka } = require('kafkajs'), const { Kafka } = require('@confluentinc/kafka-javascript').KafkaJS
      return requiredModule(current.initializer);
    }
    current = current.parent;
  }
  return undefined;
}

/** `node_modules/@scope/pkg/...` gives `@scope/pkg`; `node_modules/@types/pkg` gives `pkg`. */
export function packageOfFile(fileName: string): string | undefined {
  const index = fileName.lastIndexOf('/node_modules/');
  if (index < 0) return undefined;
  const parts = fileName.slice(index + '/node_modules/'.length).split('/');
  // TypeScript's own lib files (Promise, Array…) say nothing about which library a value is from.
  if (parts[0] === 'typescript') return undefined;
  if (parts[0] === '@types') return parts[1]?.replace(/^(.+)__(.+)$/, '@$1/$2');
  return packageOfSpecifier(parts.join('/'));
}

/** The package of a module specifier: `@acme/events` of `@acme/events/dist/bus`, `kafkajs` of `kafkajs`. */
export function packageOfSpecifier(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The name of the type of a value, e.g. `Channel`, `PrismaClient` (undefined when untyped). */
export function typeName(expression: ts.Expression, checker: ts.TypeChecker): string | undefined {
  try {
    const type = checker.getTypeAtLocation(expression);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
    return (type.aliasSymbol ?? type.getSymbol())?.getName();
  } catch {
    return undefined;
  }
}

/** The modules a source file imports (import declarations and top-level require calls). */
export function importedModules(sourceFile: ts.SourceFile): Set<string> {
  const modules = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier))
      modules.add(statement.moduleSpecifier.text);
    if (ts.isImportEqualsDeclaration(statement)) {
      const ref = statement.moduleReference;
      if (ts.isExternalModuleReference(ref) && ts.isStringLiteral(ref.expression)) modules.add(ref.expression.text);
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const required = declaration.initializer && requiredModule(declaration.initializer);
        if (required) modules.add(required);
      }
    }
  }
  return modules;
}

/** The module of `require('x')`, also through member accesses: `require('x').KafkaJS`. */
function requiredModule(initializer: ts.Expression): string | undefined {
  let init = unwrap(initializer);
  while (ts.isPropertyAccessExpression(init)) init = unwrap(init.expression);
  if (!ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || init.expression.text !== 'require')
    return undefined;
  const [argument] = init.arguments;
  return argument && ts.isStringLiteral(argument) ? argument.text : undefined;
}

// ---- dispatch to the project's classes -----------------------------------------------------------

/** Decorators of a dependency-injection container that constructs the class it marks. */
const INJECTABLE_DECORATOR = /^(Injectable|injectable|Service|Controller|Processor|Resolver)$/;
/** More implementations than this and the call is left unfollowed: too little is known to pick. */
const MAX_IMPLEMENTATIONS = 6;

/**
 * The project's methods a call can reach through an interface-typed value or an abstract method
 * (docs/model.md, "Order"): the implementations in the classes of the program that implement the
 * interface (or extend the abstract class), that are not abstract themselves, and that the project
 * constructs or provides (`new X(…)`, `providers: [X]`, `useClass: X`, a constructor parameter of
 * type X, an injectable decorator). Undefined when the call does not go through an interface or an
 * abstract method, or when no such implementation is found (the call stays unfollowed: quiet).
 */
export function implementationsOf(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  program: ts.Program | undefined,
): FunctionWithBody[] | undefined {
  if (!program) return undefined;
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  const symbol = symbolOf(callee.name, checker);
  const declaration = (symbol?.declarations ?? []).find(
    (candidate) => isProjectCode(candidate) && isAbstractMember(candidate),
  );
  if (!declaration) return undefined;
  const owner = declaration.parent;
  if (!ts.isInterfaceDeclaration(owner) && !ts.isClassDeclaration(owner)) return undefined;
  const ownerSymbol = owner.name && symbolOf(owner.name, checker);
  if (!ownerSymbol) return undefined;
  const index = hierarchyOf(program, checker);
  const found = new Set<FunctionWithBody>();
  for (const cls of index.concreteDescendants(ownerSymbol)) {
    if (!index.isLive(cls)) continue;
    const implementation = index.methodOf(cls, method, owner);
    if (implementation) found.add(implementation);
    if (found.size > MAX_IMPLEMENTATIONS) return undefined;
  }
  return found.size ? [...found] : undefined;
}

/** An interface's method or function-typed property, an abstract method, or a base method that only throws. */
function isAbstractMember(declaration: ts.Declaration): boolean {
  if (ts.isMethodSignature(declaration) || ts.isPropertySignature(declaration))
    return ts.isInterfaceDeclaration(declaration.parent);
  if (!ts.isMethodDeclaration(declaration) || !ts.isClassDeclaration(declaration.parent)) return false;
  if (!declaration.body) return true; // abstract (or an overload signature)
  const statements = declaration.body.statements;
  return statements.length === 1 && ts.isThrowStatement(statements[0]);
}

const hierarchies = new WeakMap<ts.Program, ClassHierarchy>();

function hierarchyOf(program: ts.Program, checker: ts.TypeChecker): ClassHierarchy {
  let index = hierarchies.get(program);
  if (!index) {
    index = new ClassHierarchy(program, checker);
    hierarchies.set(program, index);
  }
  return index;
}

/**
 * The project's interfaces and classes a type alias is built from, which a class that implements
 * the alias implements too: `type Client = Pick<Api, 'publish' | 'subscribe'> & { close(): void }`
 * gives Api (through intersections, unions, utility types' first argument and other aliases).
 */
export function aliasBases(alias: ts.TypeAliasDeclaration, checker: ts.TypeChecker): ts.Symbol[] {
  const found: ts.Symbol[] = [];
  const visit = (node: ts.TypeNode, depth: number): void => {
    if (depth > 4) return;
    if (ts.isParenthesizedTypeNode(node)) return visit(node.type, depth + 1);
    if (ts.isIntersectionTypeNode(node) || ts.isUnionTypeNode(node)) {
      for (const part of node.types) visit(part, depth + 1);
      return;
    }
    if (!ts.isTypeReferenceNode(node)) return;
    const symbol = symbolOf(ts.isIdentifier(node.typeName) ? node.typeName : node.typeName.right, checker);
    const declarations = (symbol?.declarations ?? []).filter(isProjectCode);
    if (
      declarations.some((declaration) => ts.isInterfaceDeclaration(declaration) || ts.isClassDeclaration(declaration))
    ) {
      if (!found.includes(symbol!)) found.push(symbol!);
      return;
    }
    const inner = declarations.find(ts.isTypeAliasDeclaration);
    if (inner) return visit(inner.type, depth + 1);
    // A library's utility type over the project's type: `Pick<Api, …>`, `Partial<Api>`.
    const [first] = node.typeArguments ?? [];
    if (first) visit(first, depth + 1);
  };
  visit(alias.type, 0);
  return found;
}

/** The names a type alias's definition mentions: where to look for the aliases built from a type. */
function namesIn(node: ts.Node, names: Set<string> = new Set()): Set<string> {
  if (ts.isIdentifier(node)) names.add(node.text);
  ts.forEachChild(node, (child) => void namesIn(child, names));
  return names;
}

type Heir = ts.ClassDeclaration | ts.InterfaceDeclaration | ts.TypeAliasDeclaration;

/** What one file declares of the hierarchy, read from its syntax alone. */
interface FileHeritage {
  /** Classes and interfaces with heritage clauses, with the expressions they extend or implement. */
  heirs: { node: ts.ClassDeclaration | ts.InterfaceDeclaration; expressions: ts.Expression[] }[];
  /** Type aliases with the names their definitions mention. */
  aliases: { alias: ts.TypeAliasDeclaration; names: Set<string> }[];
}

/** Read once per parsed file (perParsedFile): every program after an edit builds the hierarchy anew. */
export const heritageIn = perParsedFile((file: ts.SourceFile): FileHeritage => {
  const found: FileHeritage = { heirs: [], aliases: [] };
  forEachDescendant(
    file,
    (node) => {
      if ((ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) && node.heritageClauses)
        found.heirs.push({
          node,
          expressions: node.heritageClauses.flatMap((clause) => clause.types.map((type) => type.expression)),
        });
      if (ts.isTypeAliasDeclaration(node)) found.aliases.push({ alias: node, names: namesIn(node.type) });
    },
    true,
  );
  return found;
});

/**
 * The classes and interfaces of the project's own files, by what they extend or implement; a type
 * alias built from an interface stands between it and the classes that implement the alias.
 */
class ClassHierarchy {
  /** Heritage (interface or class symbol) to the classes and interfaces that name it. */
  private readonly heirs = new Map<ts.Symbol, Heir[]>();
  /** Type aliases by the names their definitions mention, checked with the checker when asked. */
  private readonly aliases = new Map<string, ts.TypeAliasDeclaration[]>();
  private readonly files: ts.SourceFile[];
  private readonly live = new Map<ts.ClassDeclaration, boolean>();

  constructor(
    private readonly program: ts.Program,
    private readonly checker: ts.TypeChecker,
  ) {
    this.files = program
      .getSourceFiles()
      .filter((file) => !file.isDeclarationFile && !file.fileName.includes('/node_modules/'));
    for (const file of this.files) {
      if (TEST_FILE.test(file.fileName)) continue;
      const { heirs, aliases } = heritageIn(file);
      for (const heir of heirs) {
        for (const expression of heir.expressions) {
          const heritage = symbolOf(expression, checker);
          if (!heritage) continue;
          const list = this.heirs.get(heritage) ?? [];
          list.push(heir.node);
          this.heirs.set(heritage, list);
        }
      }
      for (const { alias, names } of aliases)
        for (const name of names) {
          const list = this.aliases.get(name) ?? [];
          list.push(alias);
          this.aliases.set(name, list);
        }
    }
  }

  /** Classes under a class or interface (through subclasses and sub-interfaces) that are not abstract. */
  concreteDescendants(root: ts.Symbol): ts.ClassDeclaration[] {
    const result: ts.ClassDeclaration[] = [];
    const seen = new Set<ts.Node>();
    const visit = (symbol: ts.Symbol, depth: number): void => {
      if (depth > 4) return;
      const heritage = new RegExp(`\\b(extends|implements)\\b[^{;]*\\b${escapeRegExp(symbol.name)}\\b`);
      wantUnread(this.program, naming(symbol.name, { key: 'heritage', test: (text) => heritage.test(text) }));
      for (const heir of [...(this.heirs.get(symbol) ?? []), ...this.aliasesOf(symbol)]) {
        if (seen.has(heir)) continue;
        seen.add(heir);
        if (
          ts.isClassDeclaration(heir) &&
          !heir.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.AbstractKeyword)
        )
          result.push(heir);
        const heirSymbol = heir.name && symbolOf(heir.name, this.checker);
        if (heirSymbol) visit(heirSymbol, depth + 1);
      }
    };
    visit(root, 0);
    return result;
  }

  /** The type aliases built from a class or interface (`type Client = Pick<Api, 'send'>`). */
  private aliasesOf(symbol: ts.Symbol): ts.TypeAliasDeclaration[] {
    return (this.aliases.get(symbol.name) ?? []).filter((alias) => aliasBases(alias, this.checker).includes(symbol));
  }

  /** The method a class runs for `name`: its own, or the nearest project base class's below `owner`. */
  methodOf(cls: ts.ClassDeclaration, name: string, owner: ts.Node): FunctionWithBody | undefined {
    for (let current: ts.ClassDeclaration | undefined = cls, depth = 0; current && depth < 5; depth++) {
      if (current === owner) return undefined;
      for (const member of current.members) {
        if (!member.name || !ts.isIdentifier(member.name) || member.name.text !== name) continue;
        if (isFunctionWithBody(member)) return member;
        if (ts.isPropertyDeclaration(member) && member.initializer) {
          const value = unwrap(member.initializer);
          if (isFunctionWithBody(value)) return value;
        }
      }
      current = baseClassOf(current, this.checker);
    }
    return undefined;
  }

  /**
   * Whether the project constructs or provides the class: `new X(…)`, X as a value (a providers
   * list, `useClass: X`), the type of a constructor parameter (injected), or an injectable decorator.
   */
  isLive(cls: ts.ClassDeclaration): boolean {
    // Told on every ask, cached or not: each consumer's report depends on the files it names.
    if (cls.name) wantUnread(this.program, naming(cls.name.text));
    const cached = this.live.get(cls);
    if (cached !== undefined) return cached;
    const result = this.computeLive(cls);
    this.live.set(cls, result);
    return result;
  }

  private computeLive(cls: ts.ClassDeclaration): boolean {
    if (!cls.name || TEST_FILE.test(cls.getSourceFile().fileName)) return false;
    const decorators = ts.canHaveDecorators(cls) ? (ts.getDecorators(cls) ?? []) : [];
    if (
      decorators.some((decorator) => {
        const expression = unwrap(decorator.expression);
        const callee = ts.isCallExpression(expression) ? unwrap(expression.expression) : expression;
        return ts.isIdentifier(callee) && INJECTABLE_DECORATOR.test(callee.text);
      })
    )
      return true;
    const name = cls.name.text;
    const symbol = symbolOf(cls.name, this.checker);
    if (!symbol) return false;
    for (const file of this.files) {
      if (TEST_FILE.test(file.fileName) || !file.text.includes(name)) continue;
      let found = false;
      const visit = (node: ts.Node): void => {
        if (found) return;
        if (ts.isIdentifier(node) && node.text === name && node !== cls.name && usedAsInstance(node)) {
          if (symbolOf(node, this.checker) === symbol) found = true;
          return;
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
      if (found) return true;
    }
    return false;
  }
}

/** `new X(…)`, X in a list or an object's value (`providers: [X]`, `useClass: X`), a constructor parameter typed X. */
function usedAsInstance(name: ts.Identifier): boolean {
  const parent = name.parent;
  if (ts.isNewExpression(parent) && parent.expression === name) return true;
  if (ts.isArrayLiteralExpression(parent)) return true;
  if (ts.isPropertyAssignment(parent) && parent.initializer === name) return true;
  if (ts.isShorthandPropertyAssignment(parent)) return true;
  if (ts.isTypeReferenceNode(parent) && parent.typeName === name) {
    const holder = parent.parent;
    return ts.isParameter(holder) && holder.type === parent && ts.isConstructorDeclaration(holder.parent);
  }
  return false;
}

function baseClassOf(cls: ts.ClassDeclaration, checker: ts.TypeChecker): ts.ClassDeclaration | undefined {
  for (const clause of cls.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    const base = clause.types[0] && symbolOf(clause.types[0].expression, checker);
    const declaration = base?.declarations?.find(ts.isClassDeclaration);
    return declaration && isProjectCode(declaration) ? declaration : undefined;
  }
  return undefined;
}

// ---- in-process dispatch ---------------------------------------------------------------------------

/** Packages whose values dispatch in-process: an RxJS Subject, a Node EventEmitter and its kin. */
const DISPATCHER_MODULES = new Set([
  'rxjs',
  'events',
  'node:events',
  'eventemitter2',
  'eventemitter3',
  '@nestjs/event-emitter',
]);
const LISTEN_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
/** More subscribers than this and the dispatch is left unfollowed. */
const MAX_SUBSCRIBERS = 8;

/** What a dispatch call runs: the project's subscribers, and whether it waits for them (`emitAsync`). */
export interface Subscribers {
  functions: FunctionWithBody[];
  /** The argument each subscriber receives first. */
  payload?: ts.Expression;
  awaited: boolean;
}

/**
 * The project's functions an in-process dispatch runs (docs/model.md, "Following the work"): the
 * subscribers of an RxJS Subject on `subject.next(value)`, the listeners of an EventEmitter on
 * `emitter.emit('event', value)` (and NestJS `@OnEvent('event')` methods). A subscriber is found
 * where the project subscribes that same value (a field, a variable), also through a project
 * function that receives the subject or the subscriber as a parameter. Undefined when the call is
 * not such a dispatch or no subscriber is found: the dispatch stays unfollowed, quiet.
 */
export function subscribersOf(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  program: ts.Program | undefined,
): Subscribers | undefined {
  if (!program) return undefined;
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  if (method !== 'next' && method !== 'emit' && method !== 'emitAsync') return undefined;
  const receiver = unwrap(callee.expression);
  const origin = originModule(receiver, checker);
  if (!origin || !DISPATCHER_MODULES.has(origin)) return undefined;
  if ((method === 'next') !== (origin === 'rxjs')) return undefined;
  const channel = channelKey(receiver, checker);
  const event = method === 'next' ? undefined : call.arguments[0];
  if (method !== 'next' && !event) return undefined;
  const index = projectIndexOf(program);
  const found = new Set<FunctionWithBody>();
  if (channel) {
    const name = channel.name;
    wantUnread(program, naming(name, { key: 'subscribes', test: (text) => SUBSCRIBING.test(text) }));
  }
  for (const subscription of channel ? index.subscriptions() : []) {
    const name = calledMethod(subscription);
    if (method === 'next' ? name !== 'subscribe' : !LISTEN_METHODS.has(name)) continue;
    if (event && !sameEvent(subscription.arguments[0], event, checker)) continue;
    const target = subscriptionTarget(subscription);
    if (!target || !reachesChannel(target, channel!, checker, index)) continue;
    for (const fn of subscriberFunctions(subscription, method === 'next' ? 0 : 1, checker, index)) found.add(fn);
    if (found.size > MAX_SUBSCRIBERS) return undefined;
  }
  if (event && (origin === '@nestjs/event-emitter' || origin === 'eventemitter2'))
    for (const listener of index.eventListeners(event, checker)) found.add(listener);
  if (!found.size || found.size > MAX_SUBSCRIBERS) return undefined;
  return {
    functions: [...found],
    payload: call.arguments[method === 'next' ? 0 : 1],
    awaited: method === 'emitAsync',
  };
}

function calledMethod(call: ts.CallExpression): string {
  const callee = unwrap(call.expression);
  return ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
}

/** The value subscribed to: `x` in `x.subscribe(…)`, `x.pipe(…).subscribe(…)`, `x.on(…)`. */
function subscriptionTarget(call: ts.CallExpression): ts.Expression | undefined {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  let target = unwrap(callee.expression);
  while (ts.isCallExpression(target) && calledMethod(target) === 'pipe') {
    const inner = unwrap(target.expression);
    if (!ts.isPropertyAccessExpression(inner)) return undefined;
    target = unwrap(inner.expression);
  }
  return target;
}

/** The symbol that names a dispatcher: a field (`this.events`), a variable, a property (`bus.events`). */
function channelKey(expression: ts.Expression, checker: ts.TypeChecker): ts.Symbol | undefined {
  const value = unwrap(expression);
  if (ts.isPropertyAccessExpression(value)) return symbolOf(value.name, checker);
  if (!ts.isIdentifier(value)) return undefined;
  const symbol = symbolOf(value, checker);
  const declaration = symbol?.valueDeclaration;
  // A parameter names whatever its callers pass: not a channel of its own.
  return declaration && ts.isParameter(declaration) ? undefined : symbol;
}

/**
 * Whether a subscribed value is the channel: the same field or variable, or a parameter of a
 * project function whose callers pass the channel for it (`subscribeTo(subject)` … `subject.subscribe(…)`).
 */
function reachesChannel(
  target: ts.Expression,
  channel: ts.Symbol,
  checker: ts.TypeChecker,
  index: ProjectIndex,
): boolean {
  const key = channelKey(target, checker);
  if (key) return key === channel;
  const parameter = parameterOf(target, checker);
  if (!parameter) return false;
  return index
    .argumentsFor(parameter.parameter, parameter.fn, checker)
    .some((argument) => channelKey(argument, checker) === channel);
}

function parameterOf(
  expression: ts.Expression,
  checker: ts.TypeChecker,
): { parameter: ts.ParameterDeclaration; fn: FunctionWithBody } | undefined {
  const value = unwrap(expression);
  if (!ts.isIdentifier(value)) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  if (!declaration || !ts.isParameter(declaration) || !isFunctionWithBody(declaration.parent)) return undefined;
  return { parameter: declaration, fn: declaration.parent };
}

/** The functions a subscription registers: its callback (or an observer's `next`), the operators' callbacks of a pipe. */
function subscriberFunctions(
  subscription: ts.CallExpression,
  argumentIndex: number,
  checker: ts.TypeChecker,
  index: ProjectIndex,
): FunctionWithBody[] {
  const functions: FunctionWithBody[] = [];
  const callee = unwrap(subscription.expression);
  // subject.pipe(mergeMap(async (x) => …)).subscribe(): the operators run first.
  if (ts.isPropertyAccessExpression(callee)) {
    let target = unwrap(callee.expression);
    const pipes: ts.CallExpression[] = [];
    while (ts.isCallExpression(target) && calledMethod(target) === 'pipe') {
      pipes.unshift(target);
      const inner = unwrap(target.expression) as ts.PropertyAccessExpression;
      target = unwrap(inner.expression);
    }
    for (const pipe of pipes)
      for (const operator of pipe.arguments) {
        const value = unwrap(operator);
        if (ts.isCallExpression(value))
          for (const argument of value.arguments) functions.push(...functionValues(argument, checker, index));
      }
  }
  const argument = subscription.arguments[argumentIndex];
  if (argument) {
    const value = unwrap(argument);
    const observer = ts.isObjectLiteralExpression(value)
      ? value.properties.find(
          (property) => property.name && ts.isIdentifier(property.name) && property.name.text === 'next',
        )
      : undefined;
    if (observer && ts.isMethodDeclaration(observer) && isFunctionWithBody(observer)) functions.push(observer);
    else if (observer && ts.isPropertyAssignment(observer))
      functions.push(...functionValues(observer.initializer, checker, index));
    else functions.push(...functionValues(argument, checker, index));
  }
  return functions;
}

/**
 * The functions an expression stands for: an inline one, a project function it names, one a project
 * function returns (`Service.handleUpdate(this)` returning an arrow), or, for a parameter, what the
 * callers of its function pass for it.
 */
function functionValues(
  expression: ts.Expression,
  checker: ts.TypeChecker,
  index: ProjectIndex,
  depth = 0,
): FunctionWithBody[] {
  if (depth > 3) return [];
  const value = unwrap(expression);
  if (isFunctionWithBody(value)) return [value];
  const parameter = parameterOf(value, checker);
  if (parameter)
    return index
      .argumentsFor(parameter.parameter, parameter.fn, checker)
      .flatMap((argument) => functionValues(argument, checker, index, depth + 1));
  const named = resolveFunction(value, checker);
  if (named && isProjectCode(named)) return [named];
  if (ts.isCallExpression(value)) {
    const factory = calledFunction(value, checker);
    if (factory && isProjectCode(factory)) return returnedFunctions(factory);
  }
  return [];
}

function returnedFunctions(fn: FunctionWithBody): FunctionWithBody[] {
  if (!ts.isBlock(fn.body)) {
    const body = unwrap(fn.body);
    return isFunctionWithBody(body) ? [body] : [];
  }
  const found: FunctionWithBody[] = [];
  forEachDescendant(fn.body, (node) => {
    if (ts.isReturnStatement(node) && node.expression) {
      const value = unwrap(node.expression);
      if (isFunctionWithBody(value)) found.push(value);
    }
  });
  return found;
}

/** Two event names: the same static text, or the same expression (`Events.OrderPlaced`). */
function sameEvent(a: ts.Expression | undefined, b: ts.Expression, checker: ts.TypeChecker): boolean {
  if (!a) return false;
  const left = staticText(a, checker);
  const right = staticText(b, checker);
  if (left !== undefined || right !== undefined) return left === right && !left?.includes('${…}');
  return unwrap(a).getText().replace(/\s+/g, '') === unwrap(b).getText().replace(/\s+/g, '');
}

/** Text that may subscribe to a Subject or listen on an emitter. */
const SUBSCRIBING = /\.(subscribe|on|once|addListener|prependListener|prependOnceListener)\s*\(/;

const projectIndexes = new WeakMap<ts.Program, ProjectIndex>();

function projectIndexOf(program: ts.Program): ProjectIndex {
  let index = projectIndexes.get(program);
  if (!index) {
    index = new ProjectIndex(program);
    projectIndexes.set(program, index);
  }
  return index;
}

/** Calls of the project's own files, found once per program: subscriptions and calls of a function. */
class ProjectIndex {
  private readonly files: ts.SourceFile[];
  private subscriptionCalls: ts.CallExpression[] | undefined;
  private readonly callsOf = new Map<FunctionWithBody, ts.CallExpression[]>();

  constructor(private readonly program: ts.Program) {
    this.files = program
      .getSourceFiles()
      .filter(
        (file) =>
          !file.isDeclarationFile && !file.fileName.includes('/node_modules/') && !TEST_FILE.test(file.fileName),
      );
  }

  subscriptions(): ts.CallExpression[] {
    if (!this.subscriptionCalls) {
      const calls: ts.CallExpression[] = [];
      for (const file of this.files) {
        if (!SUBSCRIBING.test(file.text)) continue;
        forEachDescendant(
          file,
          (node) => {
            if (!ts.isCallExpression(node)) return;
            const name = calledMethod(node);
            if (name === 'subscribe' || LISTEN_METHODS.has(name)) calls.push(node);
          },
          true,
        );
      }
      this.subscriptionCalls = calls;
    }
    return this.subscriptionCalls;
  }

  /** What the project's calls of `fn` pass for one of its parameters. */
  argumentsFor(parameter: ts.ParameterDeclaration, fn: FunctionWithBody, checker: ts.TypeChecker): ts.Expression[] {
    const position = fn.parameters.indexOf(parameter);
    if (position < 0 || parameter.dotDotDotToken) return [];
    return this.calls(fn, checker)
      .map((call) => call.arguments[position])
      .filter((argument): argument is ts.Expression => !!argument);
  }

  private calls(fn: FunctionWithBody, checker: ts.TypeChecker): ts.CallExpression[] {
    const cached = this.callsOf.get(fn);
    if (cached) return cached;
    const found: ts.CallExpression[] = [];
    const name = fn.name && ts.isIdentifier(fn.name) ? fn.name.text : undefined;
    if (name) {
      wantUnread(this.program, naming(name));
      for (const file of this.files) {
        if (!file.text.includes(name)) continue;
        forEachDescendant(
          file,
          (node) => {
            if (!ts.isCallExpression(node)) return;
            const callee = unwrap(node.expression);
            const calledName = ts.isPropertyAccessExpression(callee)
              ? callee.name.text
              : ts.isIdentifier(callee)
                ? callee.text
                : undefined;
            if (calledName === name && calledFunction(node, checker) === fn) found.push(node);
          },
          true,
        );
      }
    }
    this.callsOf.set(fn, found);
    return found;
  }

  /** Methods decorated `@OnEvent(event)` (NestJS event emitter). */
  eventListeners(event: ts.Expression, checker: ts.TypeChecker): FunctionWithBody[] {
    const found: FunctionWithBody[] = [];
    wantUnread(this.program, naming('OnEvent'));
    for (const file of this.files) {
      if (!file.text.includes('OnEvent')) continue;
      forEachDescendant(
        file,
        (node) => {
          if (!ts.isMethodDeclaration(node) || !isFunctionWithBody(node)) return;
          for (const decorator of ts.getDecorators(node) ?? []) {
            const expression = unwrap(decorator.expression);
            if (
              ts.isCallExpression(expression) &&
              ts.isIdentifier(unwrap(expression.expression)) &&
              (unwrap(expression.expression) as ts.Identifier).text === 'OnEvent' &&
              sameEvent(expression.arguments[0], event, checker)
            )
              found.push(node);
          }
        },
        true,
      );
    }
    return found;
  }
}
