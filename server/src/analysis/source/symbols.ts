/**
 * Resolving names to what they stand for: the function a handler reference points at, and the
 * package a value comes from. Both work through the type checker when types are installed and
 * fall back to import declarations and `new X()` / `x.factory()` shapes when they are not.
 */
import { ts } from 'ts-morph';
import { FunctionWithBody, isFunctionWithBody, isProjectCode, symbolOf, unwrap, unwrapAwait } from './ast';

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
    return symbol ? callableOfSymbol(symbol, checker, depth) : undefined;
  }
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

/** The function a call invokes, when it is the project's own code. */
export function calledFunction(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  depth = 0,
): FunctionWithBody | undefined {
  if (depth > 6) return undefined;
  const callee = unwrap(call.expression);
  if (isFunctionWithBody(callee)) return callee; // IIFE
  let target: ts.Node = callee;
  if (ts.isPropertyAccessExpression(callee)) target = callee.name;
  if (!ts.isIdentifier(target)) return undefined;
  const symbol = symbolOf(target, checker);
  if (!symbol) return undefined; // untyped: nothing to follow
  const resolved = functionOfSymbol(symbol, checker, depth);
  if (resolved) return resolved;
  // Methods called through the project's own interfaces: ask the checker for the signature.
  // (Overload resolution is costly, and library declarations have no body to follow anyway.)
  if (!(symbol.declarations ?? []).some((declaration) => isProjectCode(declaration))) return undefined;
  try {
    const signature = checker.getResolvedSignature(call);
    const declaration = signature?.getDeclaration();
    if (declaration && isFunctionWithBody(declaration)) return declaration;
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The npm package a value comes from, following `const x = new Imported()`, `x = imported.factory()`,
 * `this.field` initialised or typed so, class fields, constructor parameter types, and the type
 * checker's view of the value's type. Returns e.g. 'kafkajs', 'ioredis', '@prisma/client'.
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
  if (cached !== undefined) return cached ?? undefined;
  const origin = computeOrigin(expression, checker, depth);
  // Only results computed with the full depth budget are final; a cut-off search may say less.
  if (origin !== undefined || depth === 0) cache.set(expression, origin ?? null);
  return origin;
}

const originCache = new WeakMap<ts.TypeChecker, WeakMap<ts.Node, string | null>>();

function computeOrigin(expression: ts.Expression, checker: ts.TypeChecker, depth: number): string | undefined {
  const value = unwrapAwait(expression);
  if (ts.isNewExpression(value) || ts.isCallExpression(value)) {
    return originModule(value.expression, checker, depth + 1) ?? typeOrigin(value, checker);
  }
  if (ts.isPropertyAccessExpression(value)) {
    const fromSymbol = ts.isIdentifier(value.name) ? symbolOrigin(value.name, checker, depth) : undefined;
    if (fromSymbol) return fromSymbol;
    const fromReceiver = originModule(value.expression, checker, depth + 1);
    if (fromReceiver) return fromReceiver;
    return typeOrigin(value, checker);
  }
  if (ts.isIdentifier(value)) return symbolOrigin(value, checker, depth) ?? typeOrigin(value, checker);
  if (ts.isElementAccessExpression(value)) return originModule(value.expression, checker, depth + 1);
  return typeOrigin(value, checker);
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
  for (const declaration of symbol.declarations ?? []) {
    const imported = importModuleOf(declaration);
    // A bare specifier names a package, unless it resolves to the project's own source (a `paths`
    // alias, a workspace library): then the value's origin is followed into that file.
    if (imported && !imported.startsWith('.') && !aliasesProjectCode(symbol, checker)) return imported;
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

/** Whether an imported name resolves to a declaration in the project's own source. */
function aliasesProjectCode(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (!(symbol.flags & ts.SymbolFlags.Alias)) return false;
  try {
    const target = checker.getAliasedSymbol(symbol);
    return (target.declarations ?? []).some(isProjectCode);
  } catch {
    return false;
  }
}

function declarationOrigin(declaration: ts.Declaration, checker: ts.TypeChecker, depth: number): string | undefined {
  if (
    (ts.isVariableDeclaration(declaration) ||
      ts.isPropertyDeclaration(declaration) ||
      ts.isParameter(declaration) ||
      ts.isPropertyAssignment(declaration)) &&
    !ts.isObjectBindingPattern(declaration.name)
  ) {
    const typeNode = 'type' in declaration ? declaration.type : undefined;
    if (typeNode && ts.isTypeReferenceNode(typeNode)) {
      const fromType = typeNameOrigin(typeNode.typeName, checker, depth + 1);
      if (fromType) return fromType;
    }
    if (declaration.initializer) {
      const fromInit = originModule(declaration.initializer, checker, depth + 1);
      if (fromInit) return fromInit;
    }
    if (ts.isPropertyDeclaration(declaration) || ts.isParameter(declaration)) {
      return assignedInConstructorOrigin(declaration, checker, depth);
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
  if (typeNode && ts.isTypeReferenceNode(typeNode)) {
    const fromType = typeNameOrigin(typeNode.typeName, checker, depth + 1);
    if (fromType) return fromType;
  }
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

/** `this.redis = new Redis()` in a constructor gives the field its origin. */
function assignedInConstructorOrigin(
  declaration: ts.PropertyDeclaration | ts.ParameterDeclaration,
  checker: ts.TypeChecker,
  depth: number,
): string | undefined {
  if (!ts.isPropertyDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return undefined;
  const name = declaration.name.text;
  const owner = declaration.parent;
  for (const member of owner.members) {
    if (!ts.isConstructorDeclaration(member) || !member.body) continue;
    for (const statement of member.body.statements) {
      if (!ts.isExpressionStatement(statement) || !ts.isBinaryExpression(statement.expression)) continue;
      const { left, right, operatorToken } = statement.expression;
      if (operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
      if (
        ts.isPropertyAccessExpression(left) &&
        left.expression.kind === ts.SyntaxKind.ThisKeyword &&
        left.name.text === name
      ) {
        return originModule(right, checker, depth + 1);
      }
    }
  }
  return undefined;
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
  if (parts[0]?.startsWith('@')) return `${parts[0]}/${parts[1]}`;
  return parts[0];
}

function typeOrigin(expression: ts.Expression, checker: ts.TypeChecker): string | undefined {
  try {
    const type = checker.getTypeAtLocation(expression);
    const symbol = type.getSymbol() ?? type.aliasSymbol;
    for (const declaration of symbol?.declarations ?? []) {
      const origin = packageOfFile(declaration.getSourceFile().fileName);
      if (origin) return origin;
    }
  } catch {
    return undefined;
  }
  return undefined;
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
