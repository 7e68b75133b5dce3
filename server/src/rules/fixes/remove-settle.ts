/**
 * `double-ack` fixes: remove a settle statement (one settle per path), or move a settle that a loop
 * repeats to after the loop. Only plain statements written in the handler (`channel.ack(msg);`,
 * `await receiver.completeMessage(m);`) are edited; a settle inside a helper, or used as a value, is not.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, FixSuggestion, SettleOccurrence, SourceLocation } from '../../model';
import { locationOf, unwrap } from '../../analysis/source/ast';
import type { SourceReader } from '../../analysis/source/reader';
import { fullLineRange } from './statements';
import { detectStyle, indentationAt } from './style';
import { nodeAt } from '../../analysis/source/locate';

const ARRAY_LOOPS = new Set(['forEach', 'map', 'flatMap', 'filter', 'some', 'every', 'reduce']);

/** The statement `settle;` / `await settle;` / `void settle;` directly in a block or a switch case. */
export function settleStatement(settle: SettleOccurrence, context: SourceReader): ts.ExpressionStatement | undefined {
  if (settle.chain.length) return undefined;
  const call = nodeAt(context, settle.location);
  if (!call || !ts.isCallExpression(call)) return undefined;
  let current: ts.Node = call;
  while (
    current.parent &&
    (ts.isAwaitExpression(current.parent) ||
      ts.isVoidExpression(current.parent) ||
      ts.isParenthesizedExpression(current.parent))
  )
    current = current.parent;
  const statement = current.parent;
  if (!statement || !ts.isExpressionStatement(statement)) return undefined;
  const owner = statement.parent;
  return ts.isBlock(owner) || ts.isCaseClause(owner) || ts.isDefaultClause(owner) ? statement : undefined;
}

/**
 * Removes a settle statement. `safe` when the caller established that the settle only repeats one
 * that always ran before it (see repeatsEarlierSettle): then removing it changes nothing but the
 * error the second settle raises.
 */
export function removeSettleFix(
  settle: SettleOccurrence,
  context: SourceReader,
  preferred: boolean,
  safe = false,
): FixSuggestion[] {
  const statement = settleStatement(settle, context);
  if (!statement) return [];
  const text = statement.getSourceFile().text;
  const range = fullLineRange(text, statement);
  return [
    {
      title: `Remove ${settle.label} on line ${settle.location.line} (one settle per path)`,
      safe,
      preferred,
      edits: [{ filePath: settle.location.filePath, start: range.start, end: range.end, newText: '' }],
    },
  ];
}

/**
 * Whether `second` repeats `first` on every path that reaches it: both are plain statements of
 * the handler with the same call text (`channel.ack(msg);` twice), and `first` is a statement of a
 * block that holds `second` further down (in a later statement of that block, outside any nested
 * function), so every path to `second` ran `first` before it. Removing `second` then removes only
 * the double settle: the message stays settled, at the same point (docs/rules/double-ack.md, "Fixes").
 */
export function repeatsEarlierSettle(
  first: SettleOccurrence,
  second: SettleOccurrence,
  context: SourceReader,
): boolean {
  if (first.kind !== second.kind) return false;
  const earlier = settleStatement(first, context);
  const later = settleStatement(second, context);
  if (!earlier || !later || earlier.getSourceFile() !== later.getSourceFile()) return false;
  const callText = (statement: ts.ExpressionStatement): string =>
    unwrap(statement.expression)
      .getText()
      .replace(/^(await|void)\s+/, '')
      .replace(/\s+/g, '');
  if (callText(earlier) !== callText(later)) return false;
  const block = earlier.parent as ts.Block | ts.CaseClause | ts.DefaultClause;
  const index = block.statements.indexOf(earlier);
  for (let node: ts.Node = later; node.parent; node = node.parent) {
    if (ts.isFunctionLike(node)) return false;
    if (node.parent === block) return block.statements.indexOf(node as ts.Statement) > index;
  }
  return false;
}

/**
 * The loop inside the handler that repeats a settle of the handler's message: a `for`/`while` loop
 * or an array callback (`items.forEach(…)`), with no `break`, `return` or `throw` after the settle
 * that leaves it. The consumer's own loop (loop-style consumers) is not one: it settles a new
 * message each time.
 */
export function settleLoop(
  consumer: ConsumerReport,
  settle: SettleOccurrence,
  context: SourceReader,
): SourceLocation | undefined {
  const statement = settleStatement(settle, context);
  if (!statement) return undefined;
  const call = nodeAt(context, settle.location) as ts.CallExpression;
  const range = consumer.handlerRange;
  let node: ts.Node = statement;
  while (node.parent) {
    const parent: ts.Node = node.parent;
    if (
      parent.getStart() < range.start ||
      parent.getEnd() > range.end ||
      (parent.getStart() === range.start && parent.getEnd() === range.end)
    )
      return undefined;
    // A way out of the loop after the settle, at this level.
    if ((ts.isBlock(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent)) && ts.isStatement(node)) {
      const after = parent.statements.slice(parent.statements.indexOf(node) + 1);
      if (after.some((next) => ts.isBreakStatement(next) || ts.isReturnStatement(next) || ts.isThrowStatement(next)))
        return undefined;
    }
    if (ts.isIterationStatement(parent, false) && parent.statement === node) {
      if (mentionsLoopVariable(parent, call)) return undefined;
      return head(parent);
    }
    if (ts.isFunctionLike(parent)) {
      const owner = parent.parent;
      if (
        owner &&
        ts.isCallExpression(owner) &&
        owner.arguments.some((argument) => unwrap(argument) === parent) &&
        ts.isPropertyAccessExpression(owner.expression) &&
        ARRAY_LOOPS.has(owner.expression.name.text)
      ) {
        const parameters = parent.parameters.map((parameter) => parameter.name.getText());
        if (
          call.arguments.some((argument) =>
            parameters.some((name) => new RegExp(`\\b${name}\\b`).test(argument.getText())),
          )
        )
          return undefined;
        return head(owner);
      }
      return undefined;
    }
    node = parent;
  }
  return undefined;
}

/** Moves a settle that a loop repeats to just after the loop statement. */
export function moveOutOfLoopFix(settle: SettleOccurrence, context: SourceReader): FixSuggestion[] {
  const statement = settleStatement(settle, context);
  if (!statement) return [];
  let loop: ts.Node | undefined = statement.parent;
  while (loop && !ts.isIterationStatement(loop, false) && !ts.isFunctionLike(loop)) loop = loop.parent;
  if (!loop || !ts.isIterationStatement(loop, false) || !ts.isBlock(loop.parent)) return [];
  const text = statement.getSourceFile().text;
  const removed = fullLineRange(text, statement);
  const after = fullLineRange(text, loop);
  const indent = indentationAt(text, loop.getStart());
  const line = `${indent}${statement.getText()}${detectStyle(text).newline}`;
  return [
    {
      title: `Move ${settle.label} after the loop (settle once)`,
      safe: false,
      preferred: true,
      edits: [
        { filePath: settle.location.filePath, start: after.end, end: after.end, newText: line },
        { filePath: settle.location.filePath, start: removed.start, end: removed.end, newText: '' },
      ],
    },
  ];
}

function mentionsLoopVariable(loop: ts.IterationStatement, call: ts.CallExpression): boolean {
  const names: string[] = [];
  if (
    (ts.isForOfStatement(loop) || ts.isForInStatement(loop) || ts.isForStatement(loop)) &&
    loop.initializer &&
    ts.isVariableDeclarationList(loop.initializer)
  ) {
    for (const declaration of loop.initializer.declarations)
      names.push(
        ...declaration.name
          .getText()
          .split(/[^\w$]+/)
          .filter(Boolean),
      );
  }
  return call.arguments.some((argument) =>
    names.some((name) => new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(argument.getText())),
  );
}

/** The loop's first line, where the finding's related location points. */
function head(node: ts.Node): SourceLocation {
  const text = node.getSourceFile().text;
  const start = node.getStart();
  const newline = text.indexOf('\n', start);
  const end = newline < 0 || newline > node.getEnd() ? node.getEnd() : newline;
  return locationOf(node, start, Math.max(start + 1, end));
}
