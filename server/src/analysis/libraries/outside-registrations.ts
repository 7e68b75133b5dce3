/**
 * Handlers registered outside the project (docs/model.md, "Handlers registered outside the
 * project"): a project function whose first parameter is declared as a library's delivered-message
 * type (a type reference to a name imported from the library's package: nats `JsMsg`, Pub/Sub
 * `Message`), passed as an argument to a call of a function imported from an installed package
 * (`subscribe(subjects.OrderCreated, 'orders', onOrderCreated)` with `subscribe` from a shared npm
 * package), is a consumer of that library whose registration the analysis cannot see.
 *
 * Only libraries whose message settles itself declare such types (`LibraryModule.messageTypes`):
 * the handler's own `m.ack()` decides the ack mode whatever the unseen code does, so the consumer
 * is explicit when the handler settles the message; when it does not, when the message is settled
 * is the unseen code's choice and the report is incomplete (build.ts).
 *
 * Not a registration: a call of a project function (relative import, `paths` alias, workspace
 * package), of the broker library itself (its own registrations are its module's), of a Node
 * built-in, or of a global; a function given through a factory's result (`wrap(handler)`) rather
 * than as the argument itself; a call in a test file (a test double, not what runs).
 */
import { builtinModules } from 'node:module';
import { ts } from 'ts-morph';
import { type FunctionWithBody, forEachDescendant, isProjectCode, unwrap } from '../source/ast';
import { TEST_FILE } from '../source/project-sources';
import { importModuleOf, resolveFunction } from '../source/symbols';
import type { ConsumerSite, LibraryModule } from './module';

const BUILTINS = new Set(builtinModules);

/** A function whose first parameter is declared as a library's delivered message. */
export interface TypedHandler {
  fn: FunctionWithBody;
  parameter: ts.ParameterDeclaration;
  library: LibraryModule;
}

/**
 * The library whose delivered-message type `fn`'s first parameter is declared as: `(m: JsMsg)`,
 * `(m: nats.JsMsg)`, with the name imported from one of the library's packages.
 */
export function typedHandlerOf(
  fn: FunctionWithBody,
  libraries: readonly LibraryModule[],
  checker: ts.TypeChecker,
): TypedHandler | undefined {
  if (!ts.isFunctionDeclaration(fn) && !ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
  const parameter = fn.parameters[0];
  const type = parameter?.type;
  if (!parameter || parameter.dotDotDotToken || !type || !ts.isTypeReferenceNode(type) || type.typeArguments)
    return undefined;
  // JsMsg, or nats.JsMsg through a namespace import: the name, and the identifier the import declares.
  const name = ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.right;
  const imported = ts.isIdentifier(type.typeName) ? type.typeName : leftmost(type.typeName);
  const declaration = importSymbol(imported, checker)?.declarations?.[0];
  if (!declaration || !isImportBinding(declaration)) return undefined;
  if (ts.isImportSpecifier(declaration) && (declaration.propertyName ?? declaration.name).text !== name.text)
    return undefined; // import { JsMsg as Message }: the name written is not the library's
  const module = importModuleOf(declaration);
  if (!module) return undefined;
  const library = libraries.find(
    (candidate) =>
      candidate.messageTypes?.names.includes(name.text) &&
      candidate.info.packages.some((pkg) => module === pkg || module.startsWith(`${pkg}/`)),
  );
  return library ? { fn, parameter, library } : undefined;
}

/** The functions of a file declared to take a library's delivered message: whose callers the CLI loads. */
export function typedHandlersIn(
  sourceFile: ts.SourceFile,
  libraries: readonly LibraryModule[],
  checker: ts.TypeChecker,
): TypedHandler[] {
  if (!libraries.some((library) => library.messageTypes?.names.some((name) => sourceFile.text.includes(name))))
    return [];
  const found: TypedHandler[] = [];
  forEachDescendant(
    sourceFile,
    (node) => {
      if (!ts.isFunctionDeclaration(node) && !ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return;
      if (!node.body) return;
      const handler = typedHandlerOf(node as FunctionWithBody, libraries, checker);
      if (handler) found.push(handler);
    },
    true,
  );
  return found;
}

/**
 * The calls of `sourceFile` that hand a typed handler to a function of an installed package: each
 * is a consumer of the handler's library, registered where the analysis cannot see.
 */
export function outsideRegistrations(
  sourceFile: ts.SourceFile,
  libraries: readonly LibraryModule[],
  program: ts.Program,
): ConsumerSite[] {
  // A test hands the handler to a test double (`vi.fn(handler)`), not to what runs.
  if (TEST_FILE.test(sourceFile.fileName)) return [];
  const checker = program.getTypeChecker();
  const ownPackages = libraries.flatMap((library) => library.info.packages);
  const sites: ConsumerSite[] = [];
  forEachDescendant(
    sourceFile,
    (node) => {
      if (!ts.isCallExpression(node)) return;
      // The function itself: inline, or a reference to it; not a factory's result or a bound method.
      const candidates = node.arguments
        .map((argument) => unwrap(argument))
        .filter((value) => ts.isIdentifier(value) || ts.isPropertyAccessExpression(value) || ts.isFunctionLike(value));
      if (!candidates.length) return;
      const callee = outsideCallee(node, ownPackages, program);
      if (!callee) return;
      for (const value of candidates) {
        const fn = resolveFunction(value, checker);
        const handler = fn && isProjectCode(fn) ? typedHandlerOf(fn, libraries, checker) : undefined;
        if (handler) sites.push(siteOf(handler, node, callee));
      }
    },
    true,
  );
  return sites;
}

interface OutsideCallee {
  name: string;
  module: string;
}

/**
 * The function an installed package exports that `call` calls: `subscribe(…)` or
 * `events.subscribe(…)`, imported by a bare specifier that is not the project's own (no `paths`
 * pattern or workspace package maps it, and what it names is declared nowhere in the project).
 */
function outsideCallee(
  call: ts.CallExpression,
  ownPackages: readonly string[],
  program: ts.Program,
): OutsideCallee | undefined {
  const checker = program.getTypeChecker();
  const callee = unwrap(call.expression);
  let root: ts.Expression = callee;
  let name: string;
  if (ts.isIdentifier(callee)) name = callee.text;
  else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(unwrap(callee.expression))) {
    root = unwrap(callee.expression);
    name = callee.name.text;
  } else return undefined;
  const origin = importOrigin(root, checker, 0);
  if (!origin) return undefined;
  const { module, symbol } = origin;
  if (module.startsWith('.') || module.startsWith('/')) return undefined;
  if (module.startsWith('node:') || BUILTINS.has(module) || BUILTINS.has(module.split('/')[0])) return undefined;
  if (ownPackages.some((pkg) => module === pkg || module.startsWith(`${pkg}/`))) return undefined;
  if (mappedByPaths(module, program.getCompilerOptions())) return undefined;
  // Resolved into the project's own source (a workspace package, a baseUrl import): not outside.
  try {
    const target = symbol && checker.getAliasedSymbol(symbol);
    if (target?.declarations?.some((node) => isProjectCode(node))) return undefined;
  } catch {
    return undefined;
  }
  return { name, module };
}

function siteOf(handler: TypedHandler, call: ts.CallExpression, callee: OutsideCallee): ConsumerSite {
  const types = handler.library.messageTypes!;
  const binding = handler.parameter.name;
  return {
    library: handler.library,
    form: callee.name,
    registrationNode: call,
    handler: handler.fn,
    messageBindings: [binding],
    ackMode: 'explicit',
    identityHint: types.identityHint,
    identityExpression: ts.isIdentifier(binding) ? types.identity(binding.text) : undefined,
    // The stream, subscription or group is the unseen code's: nothing names this consumer among others.
    dedupScope: null,
    registeredOutside: { name: callee.name, module: callee.module },
  };
}

/** The symbol a name is declared by where it is used: the import that binds it, not what it imports. */
function importSymbol(node: ts.Node, checker: ts.TypeChecker): ts.Symbol | undefined {
  try {
    return checker.getSymbolAtLocation(node);
  } catch {
    return undefined;
  }
}

/**
 * The import a name comes from: bound by an import declaration (`import { subscribe } from …`,
 * `import * as events from …`), by `require`, or a constant read from one
 * (`const { subscribe } = events`, `const subscribe = events.subscribe`).
 */
function importOrigin(
  name: ts.Expression,
  checker: ts.TypeChecker,
  depth: number,
): { module: string; symbol?: ts.Symbol } | undefined {
  if (!ts.isIdentifier(name) || depth > 3) return undefined;
  const symbol = importSymbol(name, checker);
  const declaration = symbol?.declarations?.[0];
  if (!symbol || !declaration) return undefined;
  if (isImportBinding(declaration)) {
    const module = importModuleOf(declaration);
    return module && symbol.flags & ts.SymbolFlags.Alias ? { module, symbol } : undefined;
  }
  // const { subscribe } = events, or const subscribe = events.subscribe (one level of pattern).
  const variable = ts.isBindingElement(declaration)
    ? ts.isObjectBindingPattern(declaration.parent) && ts.isVariableDeclaration(declaration.parent.parent)
      ? declaration.parent.parent
      : undefined
    : ts.isVariableDeclaration(declaration)
      ? declaration
      : undefined;
  if (!variable?.initializer || !ts.isVariableDeclarationList(variable.parent)) return undefined;
  if (!(variable.parent.flags & ts.NodeFlags.Const)) return undefined;
  const required = importModuleOf(variable);
  // require('…'): no import alias to resolve; the specifier's checks above decide.
  if (required) return { module: required };
  let root = unwrap(variable.initializer);
  while (ts.isPropertyAccessExpression(root)) root = unwrap(root.expression);
  return importOrigin(root, checker, depth + 1);
}

function isImportBinding(node: ts.Node): node is ts.ImportSpecifier | ts.ImportClause | ts.NamespaceImport {
  return ts.isImportSpecifier(node) || ts.isImportClause(node) || ts.isNamespaceImport(node);
}

function leftmost(name: ts.QualifiedName): ts.Identifier {
  let left: ts.EntityName = name;
  while (ts.isQualifiedName(left)) left = left.left;
  return left;
}

/** Whether a tsconfig `paths` pattern (workspace packages are mapped so too) matches the specifier. */
function mappedByPaths(module: string, options: ts.CompilerOptions): boolean {
  return Object.keys(options.paths ?? {}).some((pattern) => {
    const star = pattern.indexOf('*');
    if (star < 0) return pattern === module;
    const prefix = pattern.slice(0, star);
    const suffix = pattern.slice(star + 1);
    return module.length >= prefix.length + suffix.length && module.startsWith(prefix) && module.endsWith(suffix);
  });
}
