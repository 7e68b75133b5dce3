/**
 * RabbitMQ dead-letter routes declared in the project (docs/model.md, "Settles"): a message nacked or
 * rejected without requeue is dropped unless its queue has a dead-letter exchange. Declarations:
 * `assertQueue(queue, { deadLetterExchange })`, `assertQueue(queue, { arguments: {
 * 'x-dead-letter-exchange': … } })`, and the same options under a NestJS RMQ bootstrap's
 * `queueOptions` (next to its `queue`). A policy set on the broker is invisible here.
 */
import { ts } from 'ts-morph';
import { calledName, forEachDescendant, isProjectCode, staticText, unwrap } from '../source/ast';

const DLX_PROPERTIES = new Set(['deadLetterExchange', 'x-dead-letter-exchange']);

/** The text of a file that may declare a queue or its dead-letter route (a program-wide scan: see PROGRAM_WIDE_TEXT). */
export const DEAD_LETTER_TEXT = /assertQueue|deadLetterExchange|x-dead-letter-exchange/;

export interface DeadLetterDeclarations {
  /** Queues declared with a dead-letter exchange. */
  queues: Set<string>;
  /** Every queue the project declares with assertQueue (static names). */
  asserted: Set<string>;
  /** A declaration whose queue name is not static (it may be any queue). */
  unnamed: boolean;
}

/** Keyed by the program's file list: asking for it is what marks a report as reading the whole program (pipeline/reads.ts). */
const cache = new WeakMap<readonly ts.SourceFile[], DeadLetterDeclarations>();

function deadLetterDeclarations(program: ts.Program): DeadLetterDeclarations {
  const files = program.getSourceFiles();
  const cached = cache.get(files);
  if (cached) return cached;
  const found: DeadLetterDeclarations = { queues: new Set(), asserted: new Set(), unnamed: false };
  const checker = program.getTypeChecker();
  for (const sourceFile of files) {
    if (!isProjectCode(sourceFile) || !DEAD_LETTER_TEXT.test(sourceFile.text)) continue;
    forEachDescendant(
      sourceFile,
      (node) => {
        if (ts.isCallExpression(node) && calledName(node) === 'assertQueue' && node.arguments[0]) {
          const name = staticText(node.arguments[0], checker);
          if (name) found.asserted.add(name);
          return;
        }
        if (!ts.isPropertyAssignment(node) && !ts.isShorthandPropertyAssignment(node)) return;
        const name = node.name;
        if (!(ts.isIdentifier(name) || ts.isStringLiteral(name)) || !DLX_PROPERTIES.has(name.text)) return;
        const queue = declaredQueue(node, checker);
        if (queue) found.queues.add(queue);
        else found.unnamed = true;
      },
      true,
    );
  }
  cache.set(files, found);
  return found;
}

/**
 * Whether a queue has a dead-letter route: true when declared with one, false only when the project
 * declares the queue without one, undefined when the declaration is out of sight (another service,
 * another language, a broker policy): then nothing is claimed about it.
 */
export function hasDeadLetterRoute(program: ts.Program, queue: string | undefined): boolean | undefined {
  const declared = deadLetterDeclarations(program);
  if (declared.unnamed) return true;
  if (!queue) return declared.queues.size > 0 ? true : undefined;
  if (declared.queues.has(queue)) return true;
  return declared.asserted.has(queue) ? false : undefined;
}

/** The queue a dead-letter option belongs to: `assertQueue(q, …)`'s first argument, or a sibling `queue`. */
function declaredQueue(property: ts.Node, checker: ts.TypeChecker): string | undefined {
  let current: ts.Node = property;
  while (current.parent && !ts.isSourceFile(current.parent)) {
    const parent: ts.Node = current.parent;
    if (
      ts.isCallExpression(parent) &&
      calledName(parent) === 'assertQueue' &&
      parent.arguments[0] &&
      parent.arguments[0] !== current
    ) {
      return staticText(parent.arguments[0], checker);
    }
    if (ts.isObjectLiteralExpression(parent)) {
      for (const sibling of parent.properties) {
        if (ts.isPropertyAssignment(sibling) && ts.isIdentifier(sibling.name) && sibling.name.text === 'queue')
          return staticText(unwrap(sibling.initializer), checker);
      }
    }
    if (ts.isFunctionLike(parent) || ts.isBlock(parent)) return undefined;
    current = parent;
  }
  return undefined;
}
