/**
 * NestJS CQRS (@nestjs/cqrs) dispatch, followed like a call (docs/model.md, "NestJS"):
 * `commandBus.execute(new X())` runs the `execute` method of the class decorated
 * `@CommandHandler(X)` and returns its promise (a query the same with `@QueryHandler`);
 * `eventBus.publish(new E())` starts `handle` of every `@EventsHandler(E)` class and returns without
 * waiting for it: the bus runs the handlers, and their failures do not reach the publisher.
 *
 * Only the class of the message decides: a bus whose message is not a `new` of a project class, or
 * a class no handler of the program declares, is not followed. The CLI's program reads a handler's
 * file when a dispatch names its message class: nothing the consumer imports leads there.
 */
import { ts } from 'ts-morph';
import { calledName, forEachDescendant, isFunctionWithBody, isProjectCode, symbolOf, unwrap } from '../source/ast';
import type { FunctionWithBody } from '../source/ast';
import { naming, wantUnread } from '../source/project-sources';
import { typeName } from '../source/symbols';

export interface BusDispatch {
  /** The handler methods the message reaches. */
  targets: FunctionWithBody[];
  /** Events: every handler runs, and the publisher does not wait for them. */
  detached: boolean;
}

interface Bus {
  receiver: RegExp;
  types: readonly string[];
  decorators: readonly string[];
  method: string;
  detached: boolean;
}

const BUSES: Record<string, Bus> = {
  execute: {
    receiver: /(command|query)Bus$/i,
    types: ['CommandBus', 'QueryBus'],
    decorators: ['CommandHandler', 'QueryHandler'],
    method: 'execute',
    detached: false,
  },
  publish: {
    receiver: /eventBus$/i,
    types: ['EventBus'],
    decorators: ['EventsHandler'],
    method: 'handle',
    detached: true,
  },
};

const HANDLER_DECORATORS = new Set(['CommandHandler', 'QueryHandler', 'EventsHandler']);

export function busDispatch(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  program: ts.Program,
): BusDispatch | undefined {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !Object.hasOwn(BUSES, callee.name.text)) return undefined;
  const bus = BUSES[callee.name.text];
  const receiver = unwrap(callee.expression);
  const receiverName = ts.isPropertyAccessExpression(receiver)
    ? receiver.name.text
    : ts.isIdentifier(receiver)
      ? receiver.text
      : undefined;
  const type = typeName(receiver, checker);
  if (!(type && bus.types.includes(type)) && !(receiverName && bus.receiver.test(receiverName))) return undefined;
  const message = call.arguments[0] && createdClass(call.arguments[0], checker);
  if (!message) return undefined;
  // Only the module that provides a handler class imports it: the CLI reads the project's files
  // that declare a handler and name the message (source/project-sources.ts).
  if (message.name) wantUnread(program, naming(message.name.text, HANDLER_FILE));
  const targets = (handlerIndex(program, checker).get(message) ?? [])
    .filter((handler) => bus.decorators.includes(handler.decorator))
    .map((handler) => handler.classDeclaration.members.find((member) => isMethod(member, bus.method)))
    .filter((method): method is FunctionWithBody & ts.MethodDeclaration => !!method);
  return targets.length ? { targets, detached: bus.detached } : undefined;
}

function isMethod(member: ts.ClassElement, name: string): member is FunctionWithBody & ts.MethodDeclaration {
  return (
    ts.isMethodDeclaration(member) &&
    ts.isIdentifier(member.name) &&
    member.name.text === name &&
    isFunctionWithBody(member)
  );
}

/** The project class of `new X(…)`, directly or through a const holding it. */
function createdClass(expression: ts.Expression, checker: ts.TypeChecker, depth = 0): ts.ClassDeclaration | undefined {
  const value = unwrap(expression);
  if (ts.isNewExpression(value)) return classOf(value.expression, checker);
  if (!ts.isIdentifier(value) || depth > 2) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  return declaration && ts.isVariableDeclaration(declaration) && declaration.initializer
    ? createdClass(declaration.initializer, checker, depth + 1)
    : undefined;
}

function classOf(expression: ts.Expression, checker: ts.TypeChecker): ts.ClassDeclaration | undefined {
  const value = unwrap(expression);
  const name = ts.isIdentifier(value) ? value : ts.isPropertyAccessExpression(value) ? value.name : undefined;
  const declaration = name ? symbolOf(name, checker)?.valueDeclaration : undefined;
  return declaration && ts.isClassDeclaration(declaration) && isProjectCode(declaration) ? declaration : undefined;
}

interface HandlerClass {
  decorator: string;
  classDeclaration: ts.ClassDeclaration;
}

/** The text of a file that may declare a CQRS handler class (a program-wide scan: see PROGRAM_WIDE_TEXT). */
export const CQRS_HANDLER_TEXT = /(Command|Query|Events)Handler\s*\(/;

const HANDLER_FILE = { key: 'cqrs-handler', test: (text: string) => CQRS_HANDLER_TEXT.test(text) };

/** Keyed by the program's file list: asking for it is what marks a report as reading the whole program (pipeline/reads.ts). */
const indexCache = new WeakMap<readonly ts.SourceFile[], Map<ts.ClassDeclaration, HandlerClass[]>>();

/** Message class to the classes decorated as its handlers, over the program's own files. */
function handlerIndex(program: ts.Program, checker: ts.TypeChecker): Map<ts.ClassDeclaration, HandlerClass[]> {
  const files = program.getSourceFiles();
  const cached = indexCache.get(files);
  if (cached) return cached;
  const index = new Map<ts.ClassDeclaration, HandlerClass[]>();
  indexCache.set(files, index);
  for (const sourceFile of files) {
    if (!isProjectCode(sourceFile) || !CQRS_HANDLER_TEXT.test(sourceFile.text)) continue;
    forEachDescendant(sourceFile, (node) => {
      if (!ts.isClassDeclaration(node)) return;
      for (const decorator of ts.getDecorators(node) ?? []) {
        const call = decorator.expression;
        if (!ts.isCallExpression(call)) continue;
        const name = calledName(call);
        if (!name || !HANDLER_DECORATORS.has(name)) continue;
        for (const argument of call.arguments) {
          const message = classOf(argument, checker);
          if (message) index.set(message, [...(index.get(message) ?? []), { decorator: name, classDeclaration: node }]);
        }
      }
    });
  }
  return index;
}
