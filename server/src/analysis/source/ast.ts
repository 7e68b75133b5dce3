/** Small helpers over the TypeScript AST shared by the whole analysis. */
import { ts } from 'ts-morph';
import type { SourceLocation } from '../../model';

export function locationOf(node: ts.Node, start = node.getStart(), end = node.getEnd()): SourceLocation {
  const sourceFile = node.getSourceFile();
  const from = sourceFile.getLineAndCharacterOfPosition(start);
  const to = sourceFile.getLineAndCharacterOfPosition(end);
  return {
    filePath: sourceFile.fileName,
    start,
    end,
    line: from.line + 1,
    column: from.character + 1,
    endLine: to.line + 1,
    endColumn: to.character + 1,
  };
}

/** Strips parentheses, `as`, `!`, `satisfies` and type assertions, which do not change a value. */
export function unwrap(expression: ts.Expression): ts.Expression {
  let current = expression;
  for (;;) {
    if (
      ts.isParenthesizedExpression(current) ||
      ts.isAsExpression(current) ||
      ts.isNonNullExpression(current) ||
      ts.isSatisfiesExpression(current) ||
      ts.isTypeAssertionExpression(current)
    ) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

/** Strips `await` too: the value an awaited expression produces. */
export function unwrapAwait(expression: ts.Expression): ts.Expression {
  let current = unwrap(expression);
  while (ts.isAwaitExpression(current)) current = unwrap(current.expression);
  return current;
}

/** The name of the called method or function: `c` in `a.b.c()`, `f` in `f()`. */
export function calledName(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const callee = unwrap(call.expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) {
    return callee.argumentExpression.text;
  }
  return undefined;
}

/** The receiver of a method call: `a.b` in `a.b.c()`. */
export function receiverOf(call: ts.CallExpression): ts.Expression | undefined {
  const callee = unwrap(call.expression);
  if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) return callee.expression;
  return undefined;
}

/**
 * The names along a property-access chain, root first: `this.prisma.order.create` gives
 * ['this', 'prisma', 'order', 'create']; calls in the chain contribute their callee's names.
 */
export function accessPath(expression: ts.Expression): string[] {
  const names: string[] = [];
  let current: ts.Expression = unwrap(expression);
  for (;;) {
    if (ts.isPropertyAccessExpression(current)) {
      names.unshift(current.name.text);
      current = unwrap(current.expression);
    } else if (ts.isElementAccessExpression(current)) {
      names.unshift(ts.isStringLiteralLike(current.argumentExpression) ? current.argumentExpression.text : '[]');
      current = unwrap(current.expression);
    } else if (ts.isCallExpression(current)) {
      names.unshift('()');
      current = unwrap(current.expression);
    } else if (ts.isAwaitExpression(current)) {
      current = unwrap(current.expression);
    } else if (ts.isIdentifier(current)) {
      names.unshift(current.text);
      return names;
    } else if (current.kind === ts.SyntaxKind.ThisKeyword) {
      names.unshift('this');
      return names;
    } else if (ts.isNewExpression(current)) {
      names.unshift(`new ${current.expression.getText()}`);
      return names;
    } else {
      names.unshift('?');
      return names;
    }
  }
}

/** The root identifier of a property chain (`prisma` in `this.prisma.order.create` is `this`). */
export function rootExpression(expression: ts.Expression): ts.Expression {
  let current = unwrap(expression);
  for (;;) {
    if (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current))
      current = unwrap(current.expression);
    else if (ts.isCallExpression(current)) current = unwrap(current.expression);
    else if (ts.isAwaitExpression(current)) current = unwrap(current.expression);
    else return current;
  }
}

/** The static text of a string literal, a template without substitutions, or the head of a template. */
export function staticText(
  expression: ts.Expression | undefined,
  checker?: ts.TypeChecker,
  depth = 0,
): string | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  if (ts.isStringLiteralLike(value)) return value.text;
  if (ts.isTemplateExpression(value)) {
    return value.head.text + value.templateSpans.map((span) => '${…}' + span.literal.text).join('');
  }
  if (ts.isTaggedTemplateExpression(value)) return staticText(value.template, checker, depth);
  if (ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = staticText(value.left, checker, depth);
    const right = staticText(value.right, checker, depth);
    if (left !== undefined || right !== undefined) return (left ?? '${…}') + (right ?? '${…}');
  }
  if (ts.isIdentifier(value) && checker && depth < 3) {
    const declaration = constInitializer(value, checker);
    if (declaration) return staticText(declaration, checker, depth + 1);
  }
  return undefined;
}

/** The initializer of a `const` an identifier refers to, when it is declared in the project. */
export function constInitializer(identifier: ts.Identifier, checker: ts.TypeChecker): ts.Expression | undefined {
  const symbol = symbolOf(identifier, checker);
  const declaration = symbol?.valueDeclaration;
  if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
    const list = declaration.parent;
    if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const) return declaration.initializer;
  }
  return undefined;
}

/** The symbol of a name, following import aliases to the declaration. */
export function symbolOf(node: ts.Node, checker: ts.TypeChecker): ts.Symbol | undefined {
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker.getSymbolAtLocation(node);
    if (symbol && ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node) {
      symbol = checker.getShorthandAssignmentValueSymbol(node.parent) ?? symbol;
    }
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  } catch {
    return undefined;
  }
  return symbol;
}

/** A property's name when it is written as a name or a string (`onMessage`, `'onMessage'`). */
export function propertyName(property: ts.ObjectLiteralElementLike): string | undefined {
  const key = property.name;
  return key && (ts.isIdentifier(key) || ts.isStringLiteral(key)) ? key.text : undefined;
}

/** The value a property gives its name: `name: value`, or the shorthand `name`. */
export function assignedValue(property: ts.ObjectLiteralElementLike): ts.Expression | undefined {
  if (ts.isPropertyAssignment(property)) return property.initializer;
  if (ts.isShorthandPropertyAssignment(property)) return property.name;
  return undefined;
}

export function propertyOf(object: ts.ObjectLiteralExpression, name: string): ts.ObjectLiteralElementLike | undefined {
  return object.properties.find((property) => propertyName(property) === name);
}

/** An object literal's property value by name (`{ eachMessage: fn }`, `{ eachMessage }`). */
export function propertyValue(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const property = propertyOf(object, name);
  return property && assignedValue(property);
}

/** The function a property stands for (`handleMessage: fn`, `handleMessage`, `async handleMessage() {}`). */
export function propertyFunctionNode(object: ts.ObjectLiteralExpression, name: string): ts.Node | undefined {
  const property = propertyOf(object, name);
  if (!property) return undefined;
  if (ts.isMethodDeclaration(property)) return property;
  if (ts.isPropertyAssignment(property)) return property.initializer;
  if (ts.isShorthandPropertyAssignment(property)) return property.name;
  return undefined;
}

/** Boolean literal value of an expression (`true`/`false`), if it is one. */
export function booleanValue(expression: ts.Expression | undefined): boolean | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  if (value.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (value.kind === ts.SyntaxKind.FalseKeyword) return false;
  return undefined;
}

export type FunctionWithBody = ts.FunctionLikeDeclaration & { body: ts.ConciseBody };

export function isFunctionWithBody(node: ts.Node | undefined): node is FunctionWithBody {
  return (
    !!node &&
    (ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isConstructorDeclaration(node)) &&
    !!node.body
  );
}

export function isAsyncFunction(node: ts.FunctionLikeDeclaration): boolean {
  return (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Async) !== 0;
}

/** A readable name for a function: its declared name, or the variable/property it is assigned to. */
export function functionName(node: ts.FunctionLikeDeclaration): string {
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
    const owner =
      ts.isMethodDeclaration(node) && ts.isClassLike(node.parent) && node.parent.name
        ? `${node.parent.name.text}.`
        : '';
    return owner + node.name.text;
  }
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return 'handler';
}

/** Whether a declaration lives in the user's project (not a .d.ts, not node_modules). */
export function isProjectCode(node: ts.Node): boolean {
  const file = node.getSourceFile();
  return !file.isDeclarationFile && !file.fileName.includes('/node_modules/');
}

/**
 * A reading of a parsed file's syntax alone, kept as long as the file is: the program made after
 * an edit reuses the parsed files the edit left alone, so a scan of every file reads again only the
 * edited ones. What the reading finds is resolved with the checker of each program.
 */
export function perParsedFile<T>(read: (file: ts.SourceFile) => T): (file: ts.SourceFile) => T {
  return perObject(read);
}

/** Whether a value the checker was asked about or answered is a syntax node (not a symbol or signature). */
export function isNode(value: unknown): value is ts.Node {
  return !!value && typeof value === 'object' && 'kind' in value && 'parent' in value && 'pos' in value;
}

/** `compute`, run once per key object and kept as long as the key is (a parsed file, a node, a step). */
export function perObject<K extends object, T>(compute: (key: K) => T): (key: K) => T {
  const values = new WeakMap<K, { value: T }>();
  return (key) => {
    let known = values.get(key);
    if (!known) values.set(key, (known = { value: compute(key) }));
    return known.value;
  };
}

/** Calls `visit` on every descendant, without entering nested functions unless asked. */
export function forEachDescendant(node: ts.Node, visit: (child: ts.Node) => void, enterFunctions = false): void {
  const walk = (child: ts.Node): void => {
    visit(child);
    if (!enterFunctions && ts.isFunctionLike(child)) return;
    ts.forEachChild(child, walk);
  };
  ts.forEachChild(node, walk);
}

/** The expressions a function returns: its concise body, or every `return x` not inside a nested function. */
export function returnedExpressions(fn: FunctionWithBody): ts.Expression[] {
  if (!ts.isBlock(fn.body)) return [fn.body];
  const found: ts.Expression[] = [];
  forEachDescendant(fn.body, (node) => {
    if (ts.isReturnStatement(node) && node.expression) found.push(node.expression);
  });
  return found;
}

export function containsNode(outer: ts.Node, inner: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end && inner.getSourceFile() === outer.getSourceFile();
}

/**
 * The calls of a method chain, innermost first: `knex('t').insert(x).onConflict().ignore()` gives
 * knex(), insert(), onConflict(), ignore(). With `throughAwait`, `(await a()).b()` includes a().
 */
export function chainCalls(
  outermost: ts.CallExpression,
  options: { throughAwait?: boolean } = {},
): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  let current: ts.Expression = outermost;
  for (;;) {
    current = unwrap(current);
    if (ts.isCallExpression(current)) {
      calls.unshift(current);
      current = current.expression;
    } else if (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current)) {
      current = current.expression;
    } else if (options.throughAwait && ts.isAwaitExpression(current)) {
      current = current.expression;
    } else {
      return calls;
    }
  }
}

/** `while (true)`, `do … while (true)`, `for (;;)`: a retry or poll loop, left only by `break`, not a loop over items. */
export function isEndlessLoop(loop: ts.IterationStatement): boolean {
  if (ts.isForStatement(loop)) return !loop.condition;
  if (ts.isWhileStatement(loop) || ts.isDoStatement(loop))
    return unwrap(loop.expression).kind === ts.SyntaxKind.TrueKeyword;
  return false;
}

/**
 * Whether a `for…of` goes over the batch of messages (eachBatch, handleMessageBatch, a Lambda's
 * `Records`): then its body handles one message, not one item of a message.
 */
export function iteratesMessageBatch(loop: ts.ForOfStatement): boolean {
  return /\b(messages|Messages|Records|records|entries|batch)\b/.test(loop.expression.getText());
}

/** Whether every path through a block leaves it (its last statement returns, throws, continues or breaks). */
export function blockAlwaysExits(block: ts.Block): boolean {
  const last = block.statements[block.statements.length - 1];
  if (!last) return false;
  if (
    ts.isReturnStatement(last) ||
    ts.isThrowStatement(last) ||
    ts.isContinueStatement(last) ||
    ts.isBreakStatement(last)
  )
    return true;
  if (ts.isBlock(last)) return blockAlwaysExits(last);
  if (ts.isIfStatement(last) && last.elseStatement) {
    const branch = (statement: ts.Statement): boolean =>
      ts.isBlock(statement)
        ? blockAlwaysExits(statement)
        : ts.isReturnStatement(statement) || ts.isThrowStatement(statement);
    return branch(last.thenStatement) && branch(last.elseStatement);
  }
  return false;
}

/** The `Promise.all`/`allSettled` call a value is passed to (directly, spread, or in an array literal). */
export function combinatorArgument(node: ts.Node): ts.CallExpression | undefined {
  let current: ts.Node = node;
  while (
    ts.isArrayLiteralExpression(current.parent) ||
    ts.isSpreadElement(current.parent) ||
    ts.isParenthesizedExpression(current.parent) ||
    ts.isAsExpression(current.parent)
  )
    current = current.parent;
  const parent = current.parent;
  if (!ts.isCallExpression(parent) || !parent.arguments.includes(current as ts.Expression)) return undefined;
  const callee = unwrap(parent.expression);
  const combinator =
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Promise' &&
    /^(all|allSettled)$/.test(callee.name.text);
  return combinator ? parent : undefined;
}
