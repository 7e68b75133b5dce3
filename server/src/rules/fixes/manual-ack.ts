/**
 * Switching a consumer from auto-ack to manual ack, where its library acks on delivery through a
 * boolean option (traits.code.manualAckOption: amqplib's `noAck`) (the `at-most-once-consumer` quick-fix,
 * also offered by `double-ack` for an explicit settle inside an auto-acked handler):
 * `noAck: true` becomes `noAck: false`, and every way the handler finishes normally acks the
 * message: `channel.ack(msg)` at the end of the body and before each early `return` that does not
 * settle already. `if (!msg) return;` (the consumer was cancelled: there is no message) is left
 * alone, and a handler that throws leaves its message unacked, so RabbitMQ redelivers it.
 *
 * Only where it is mechanical: an inline handler whose returns carry no value, and where each way
 * out either always or never settles already.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, FixSuggestion, TextEdit, WitnessedExit } from '../../model';
import { unwrap } from '../../analysis/source/ast';
import type { SourceReader } from '../../analysis/source/reader';
import { appendToBlock, insertBefore, settleWriter } from './settle';
import { detectStyle } from './style';
import { nodeAt } from '../../analysis/source/locate';

export function manualAckFix(consumer: ConsumerReport, context: SourceReader): FixSuggestion[] {
  const { traits, ackModeLocation, ackMode } = consumer.registration;
  const option = traits.code?.manualAckOption;
  if (!option || ackMode !== 'auto-before-handler' || !ackModeLocation || consumer.registration.wrapperLocation)
    return [];
  const assignment = nodeAt(context, ackModeLocation);
  if (
    !assignment ||
    !ts.isPropertyAssignment(assignment) ||
    unwrap(assignment.initializer).kind !== ts.SyntaxKind.TrueKeyword
  )
    return [];
  const handler = nodeAt(context, consumer.handlerRange);
  if (!handler || !ts.isFunctionLike(handler)) return [];
  const body = (handler as ts.FunctionLikeDeclaration).body;
  if (!body || !ts.isBlock(body) || !body.statements.length) return [];
  const writer = settleWriter(consumer, context, body.statements[0]);
  if (!writer) return [];
  const style = detectStyle(body.getSourceFile().text);
  const ack = `${writer.ack}${style.semicolon}`;
  const message = messageName(handler as ts.FunctionLikeDeclaration);
  const filePath = ackModeLocation.filePath;
  const value = unwrap(assignment.initializer);
  const edits: TextEdit[] = [{ filePath, start: value.getStart(), end: value.getEnd(), newText: 'false' }];

  for (const statement of returnsOf(body)) {
    if (statement.expression) return []; // `return work(msg)`: acking before it would ack before the work
    if (message && isNoMessageGuard(statement, message)) continue;
    const settled = settledBefore(
      consumer,
      (exit) => exit.exit === 'return' && exit.location?.start === statement.getStart(),
    );
    if (settled === 'mixed') return [];
    if (settled === 'never') {
      const inserted = insertBefore(statement, ack);
      if (!inserted.length) return [];
      edits.push(...inserted);
    }
  }
  const atEnd = settledBefore(consumer, (exit) => exit.exit === 'end');
  if (atEnd === 'mixed') return [];
  if (atEnd === 'never') edits.push(...appendToBlock(body, [ack]));
  return [
    {
      title: `Switch to manual ack: ${option}: false, and ${writer.ack} after the processing`,
      safe: false,
      preferred: true,
      edits,
    },
  ];
}

/** Whether the paths leaving at one place all settle the message already, none do, or some do. */
function settledBefore(
  consumer: ConsumerReport,
  select: (exit: WitnessedExit) => boolean,
): 'always' | 'never' | 'mixed' | 'none' {
  const paths = consumer.flow.exits.filter(select);
  if (!paths.length) return 'none';
  const settled = paths.filter((path) => path.settled);
  if (!settled.length) return 'never';
  return settled.length === paths.length ? 'always' : 'mixed';
}

/** The handler's own `return` statements (not those of functions nested in it). */
function returnsOf(body: ts.Block): ts.ReturnStatement[] {
  const found: ts.ReturnStatement[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node)) found.push(node);
    ts.forEachChild(node, visit);
  };
  body.statements.forEach(visit);
  return found;
}

function messageName(handler: ts.FunctionLikeDeclaration): string | undefined {
  const parameter = handler.parameters[0];
  return parameter && ts.isIdentifier(parameter.name) ? parameter.name.text : undefined;
}

/** `if (!msg) return;` / `if (msg === null) return;`: amqplib calls the handler with null when the consumer is cancelled. */
function isNoMessageGuard(statement: ts.ReturnStatement, message: string): boolean {
  let owner: ts.Node = statement.parent;
  if (ts.isBlock(owner) && owner.statements.length === 1) owner = owner.parent;
  if (!ts.isIfStatement(owner)) return false;
  const condition = unwrap(owner.expression);
  if (ts.isPrefixUnaryExpression(condition) && condition.operator === ts.SyntaxKind.ExclamationToken)
    return unwrap(condition.operand).getText() === message;
  if (ts.isBinaryExpression(condition) && /^(===|==)$/.test(condition.operatorToken.getText())) {
    const sides = [unwrap(condition.left), unwrap(condition.right)];
    return (
      sides.some((side) => side.getText() === message) &&
      sides.some((side) => side.kind === ts.SyntaxKind.NullKeyword || side.getText() === 'undefined')
    );
  }
  return false;
}
