/** Helpers the library modules share: finding registration calls and naming the message. */
import { ts } from 'ts-morph';
import { calledName, forEachDescendant, receiverOf, staticText, symbolOf, unwrap, unwrapAwait } from '../source/ast';
import { importModuleOf, originModule, soleReturnedValue, typeName } from '../source/symbols';
import type { LibraryContext } from './module';

/** Where SQS sends a message that keeps failing, for every SQS consumer (sqs-consumer, receive loops, Lambda). */
export const SQS_DEAD_LETTER =
  "the queue's redrive policy moves a message to its dead-letter queue after `maxReceiveCount` receives";

/** Every call in a file whose called name is one of `names`. */
export function callsNamed(sourceFile: ts.SourceFile, names: readonly string[]): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  forEachDescendant(
    sourceFile,
    (node) => {
      if (ts.isCallExpression(node) && names.includes(calledName(node) ?? '')) calls.push(node);
    },
    true,
  );
  return calls;
}

export function newExpressions(sourceFile: ts.SourceFile): ts.NewExpression[] {
  const found: ts.NewExpression[] = [];
  forEachDescendant(
    sourceFile,
    (node) => {
      if (ts.isNewExpression(node)) found.push(node);
    },
    true,
  );
  return found;
}

/**
 * Whether a receiver belongs to one of the packages: by the file's imports (works without
 * node_modules), by the value's origin, or by its type's name.
 */
export function receiverFromPackages(
  receiver: ts.Expression | undefined,
  packages: readonly string[],
  context: LibraryContext,
  typeNames: readonly string[] = [],
): boolean {
  if (packages.some((name) => context.imports.has(name))) return true;
  if (!receiver) return false;
  const origin = originModule(receiver, context.checker);
  if (origin && packages.includes(origin)) return true;
  const type = typeName(receiver, context.checker);
  return !!type && typeNames.includes(type);
}

/** The parameter text a handler uses for its first argument, for building fix expressions. */
export function firstParameterName(fn: ts.FunctionLikeDeclaration): string | undefined {
  const parameter = fn.parameters[0];
  return parameter && ts.isIdentifier(parameter.name) ? parameter.name.text : undefined;
}

/** A destructured property's local name: `{ message }` or `{ message: m }`. */
export function destructuredName(fn: ts.FunctionLikeDeclaration, property: string): string | undefined {
  const parameter = fn.parameters[0];
  if (!parameter || !ts.isObjectBindingPattern(parameter.name)) return undefined;
  for (const element of parameter.name.elements) {
    const key = element.propertyName ?? element.name;
    if (ts.isIdentifier(key) && key.text === property && ts.isIdentifier(element.name)) return element.name.text;
  }
  return undefined;
}

/** The last segment of a queue URL or ARN, or the static name itself. */
export function shortName(expression: ts.Expression | undefined, checker: ts.TypeChecker): string | undefined {
  const text = staticText(expression, checker);
  if (!text) return undefined;
  const cleaned = text.replace(/\$\{…\}/g, '').replace(/\/+$/, '');
  const last = cleaned.split(/[/:]/).pop();
  return last || undefined;
}

export function receiverText(call: ts.CallExpression): string | undefined {
  const receiver = receiverOf(call);
  return receiver ? unwrap(receiver).getText() : undefined;
}

/**
 * Whether an expression names `exportName` imported from one of `packages`, under any local name:
 * `Consumer`, `Consumer as SqsConsumer`, `sqs.Consumer` of `import * as sqs`, or a require.
 */
export function refersToImport(
  expression: ts.Expression,
  packages: readonly string[],
  exportName: string,
  checker: ts.TypeChecker,
): boolean {
  const value = unwrap(expression);
  if (ts.isPropertyAccessExpression(value)) {
    if (value.name.text !== exportName || !ts.isIdentifier(value.expression)) return false;
    return importDeclarationsOf(value.expression, checker).some(
      ({ declaration, module }) =>
        packages.includes(module) &&
        (ts.isNamespaceImport(declaration) || ts.isImportClause(declaration) || ts.isVariableDeclaration(declaration)),
    );
  }
  if (!ts.isIdentifier(value)) return false;
  return importDeclarationsOf(value, checker).some(({ declaration, module }) => {
    if (!packages.includes(module)) return false;
    if (ts.isImportSpecifier(declaration)) return (declaration.propertyName ?? declaration.name).text === exportName;
    if (ts.isBindingElement(declaration))
      return (
        ((declaration.propertyName as ts.Identifier | undefined) ?? (declaration.name as ts.Identifier)).text ===
        exportName
      );
    return false;
  });
}

function importDeclarationsOf(
  identifier: ts.Identifier,
  checker: ts.TypeChecker,
): { declaration: ts.Declaration; module: string }[] {
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker.getSymbolAtLocation(identifier);
  } catch {
    return [];
  }
  return (symbol?.declarations ?? []).flatMap((declaration) => {
    const module = importModuleOf(declaration);
    return module ? [{ declaration, module }] : [];
  });
}

/**
 * Where a client object was made, for options given at its creation (a receiver's `receiveMode`, a
 * consumer's `autoCommit`, a subscription's name): the initializer of the variable an identifier
 * names (`const [sub] = await topic.createSubscription(...)` too), or of a `this.field` (its
 * declaration, or an assignment `this.field = …` in the class). Undefined for parameters and
 * values it cannot trace; the expression itself when it is already a call or `new`.
 */
export function creationOf(
  expression: ts.Expression | undefined,
  checker: ts.TypeChecker,
  depth = 0,
): ts.Expression | undefined {
  if (!expression || depth > 5) return undefined;
  const value = unwrapAwait(expression);
  let name: ts.Node;
  if (ts.isIdentifier(value)) name = value;
  else if (ts.isPropertyAccessExpression(value) && value.expression.kind === ts.SyntaxKind.ThisKeyword)
    name = value.name;
  else return ts.isCallExpression(value) || ts.isNewExpression(value) ? value : undefined;
  const symbol = symbolOf(name, checker);
  for (const declaration of symbol?.declarations ?? []) {
    if (
      (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) &&
      ts.isIdentifier(declaration.name) &&
      declaration.initializer
    ) {
      return creationOf(declaration.initializer, checker, depth + 1);
    }
    // const [subscription] = await topic.createSubscription('name')
    if (
      ts.isBindingElement(declaration) &&
      ts.isArrayBindingPattern(declaration.parent) &&
      declaration.parent.elements.indexOf(declaration) === 0
    ) {
      const holder = declaration.parent.parent;
      if (ts.isVariableDeclaration(holder) && holder.initializer)
        return creationOf(holder.initializer, checker, depth + 1);
    }
    if (
      ts.isPropertyDeclaration(declaration) &&
      ts.isIdentifier(declaration.name) &&
      ts.isClassLike(declaration.parent)
    ) {
      const assigned = assignmentInClass(declaration.parent, declaration.name.text);
      if (assigned) return creationOf(assigned, checker, depth + 1);
    }
  }
  return undefined;
}

/**
 * Where the one value a project function returns was made (`this.pubsub.getSubscription()`
 * returning a field set to `topic.subscription(name)`). Undefined for library calls, and for
 * functions that return more than one value. Not part of creationOf: a call named like a
 * library's factory (`producer.transaction()`) can resolve to project code that wraps it.
 */
export function returnedCreation(call: ts.CallExpression, checker: ts.TypeChecker): ts.Expression | undefined {
  const returned = soleReturnedValue(call, checker);
  return returned && creationOf(returned.value, checker, 1);
}

/** The right-hand side of the first `this.<field> = …` in a class's members. */
function assignmentInClass(owner: ts.ClassLikeDeclaration, field: string): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  forEachDescendant(
    owner,
    (node) => {
      if (found || !ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return;
      const left = unwrap(node.left);
      if (
        ts.isPropertyAccessExpression(left) &&
        left.expression.kind === ts.SyntaxKind.ThisKeyword &&
        left.name.text === field
      )
        found = node.right;
    },
    true,
  );
  return found;
}
