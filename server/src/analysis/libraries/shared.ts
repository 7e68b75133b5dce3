/** Helpers the library modules share: finding registration calls and naming the message. */
import { ts } from 'ts-morph';
import { calledName, forEachDescendant, receiverOf, staticText, unwrap } from '../source';
import { importModuleOf, originModule, typeName } from '../symbols';
import type { LibraryContext } from './types';

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
export function refersToImport(expression: ts.Expression, packages: readonly string[], exportName: string, checker: ts.TypeChecker): boolean {
  const value = unwrap(expression);
  if (ts.isPropertyAccessExpression(value)) {
    if (value.name.text !== exportName || !ts.isIdentifier(value.expression)) return false;
    return importDeclarationsOf(value.expression, checker).some(({ declaration, module }) => packages.includes(module) && (ts.isNamespaceImport(declaration) || ts.isImportClause(declaration) || ts.isVariableDeclaration(declaration)));
  }
  if (!ts.isIdentifier(value)) return false;
  return importDeclarationsOf(value, checker).some(({ declaration, module }) => {
    if (!packages.includes(module)) return false;
    if (ts.isImportSpecifier(declaration)) return (declaration.propertyName ?? declaration.name).text === exportName;
    if (ts.isBindingElement(declaration)) return ((declaration.propertyName as ts.Identifier | undefined) ?? (declaration.name as ts.Identifier)).text === exportName;
    return false;
  });
}

function importDeclarationsOf(identifier: ts.Identifier, checker: ts.TypeChecker): { declaration: ts.Declaration; module: string }[] {
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
