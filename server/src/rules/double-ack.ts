/**
 * double-ack: a path settles the same message twice (ack then nack, an ack in a loop and again
 * after it), or an auto-acked handler settles explicitly (docs/rules/double-ack.md; docs/model.md, "How the
 * rules share a handler"). Reported on the second settle; swallowed-failure-ack judges only the first.
 *
 * Only where a second settle is an error: RabbitMQ (amqplib, NestJS RMQ) closes the channel with
 * 406 PRECONDITION_FAILED on an unknown delivery tag, and every unacked message on that channel is
 * redelivered; Service Bus throws on a message already settled (or settled in receiveAndDelete
 * mode). Kafka commits, SQS deletes, Pub/Sub and JetStream acks and Redis `xack` are idempotent or
 * ignored the second time: nothing breaks there, so nothing is reported.
 *
 * An ack inside a loop of the handler, with no way out of the loop after it, settles once per
 * iteration: reported too, unless the same settle is already part of a finding on a path.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, FixSuggestion, RelatedLocation, SettleOccurrence } from '../model';
import { ackOnDelivery, consumerName, registrationRelated, secondSettleConsequence } from './describe';
import type { SourceReader } from '../analysis/source/reader';
import { manualAckFix } from './fixes/manual-ack';
import {
  moveOutOfLoopFix,
  removeSettleFix,
  repeatsEarlierSettle,
  settleLoop,
  settleStatement,
} from './fixes/remove-settle';
import { Rule, RuleContext, docsUrl } from './rule';
import { nodeAt } from '../analysis/source/locate';

const ID = 'double-ack';

export const doubleAck: Rule<'settledTwice' | 'settledAfterAutoAck' | 'settledInLoop'> = {
  meta: {
    id: ID,
    defaultSeverity: 'error',
    description: 'A path settles the same message twice, or an auto-acked handler settles it explicitly.',
    rationale:
      'RabbitMQ closes the channel with 406 PRECONDITION_FAILED when a delivery tag is settled twice (or settled at all under noAck), and every unacked message on that channel is redelivered: duplicates of other messages, and a consumer that stops receiving until it reconnects. Service Bus throws on a message that is already settled.',
    docsUrl: docsUrl(ID),
    fixable: 'code',
    fixes: [
      'Remove the second settle (one settle per path; a safe fix when it repeats the same call that always ran before it)',
      'Move an ack out of a loop',
      'Switch an auto-acked amqplib consumer to manual ack',
    ],
    messages: {
      settledTwice:
        'The message is settled a second time on this path, which the broker rejects. {{consumer}}: {{settle}} settles the message a second time on a path that already settled it with {{first}} (line {{line}}). {{consequence}} Settle each message once per path.',
      settledAfterAutoAck:
        'An explicit settle of a message acked on delivery, which the broker rejects. {{consumer}}: {{settle}} settles a message that was acked on delivery ({{ackedBecause}}). {{consequence}} Remove the explicit settle, or switch to manual ack.',
      settledInLoop:
        'A settle in a loop settles the same message once per iteration, which the broker rejects. {{consumer}}: {{settle}} is inside a loop (line {{line}}) with no way out after it, so it settles the same message once per iteration; the second one is a double settle. {{consequence}} Settle once, after the loop.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (consumer.incomplete) return;
    const consequence = secondSettleConsequence(consumer);
    if (!consequence) return;
    const auto = consumer.registration.ackMode === 'auto-before-handler';
    const findings = new Map<number, { settle: SettleOccurrence; first?: SettleOccurrence }>();
    if (auto) {
      // Every explicit settle of a message acked on delivery is one too many.
      for (const settle of consumer.settles) findings.set(settle.id, { settle });
    } else {
      for (const { settle, first } of consumer.flow.secondSettles) {
        if (!findings.has(settle.id) && !behindFlag(consumer, settle, context.source))
          findings.set(settle.id, { settle, first });
      }
    }

    for (const { settle, first } of [...findings.values()].sort(
      (a, b) => a.settle.handlerLocation.start - b.settle.handlerLocation.start,
    )) {
      const related: RelatedLocation[] = [];
      if (settle.chain.length)
        related.push({ location: settle.location, message: `${settle.label} settles the message here` });
      if (first)
        related.push({ location: first.handlerLocation, message: `the first settle on this path: ${first.label}` });
      else if (consumer.registration.ackModeLocation)
        related.push({
          location: consumer.registration.ackModeLocation,
          message: `${ackOnDelivery(consumer)}: the message is already acked`,
        });
      related.push(registrationRelated(consumer));
      const name = consumerName(consumer);
      context.report({
        ...(first
          ? {
              messageId: 'settledTwice',
              data: {
                consumer: name,
                settle: settle.label,
                first: first.label,
                line: first.handlerLocation.line,
                consequence,
              },
            }
          : {
              messageId: 'settledAfterAutoAck',
              data: { consumer: name, settle: settle.label, ackedBecause: ackOnDelivery(consumer), consequence },
            }),
        location: settle.handlerLocation,
        related,
        fixes: fixesFor(consumer, settle, first, context.source),
      });
    }

    // An ack in a loop runs once per iteration: the second iteration settles again.
    for (const settle of consumer.settles) {
      if (auto || findings.has(settle.id) || [...findings.values()].some((finding) => finding.first === settle))
        continue;
      const loop = settleLoop(consumer, settle, context.source);
      if (!loop) continue;
      context.report({
        messageId: 'settledInLoop',
        data: { consumer: consumerName(consumer), settle: settle.label, line: loop.line, consequence },
        location: settle.handlerLocation,
        related: [{ location: loop, message: 'the loop that repeats the settle' }, registrationRelated(consumer)],
        fixes: moveOutOfLoopFix(settle, context.source),
      });
    }
  },
};

function fixesFor(
  consumer: ConsumerReport,
  settle: SettleOccurrence,
  first: SettleOccurrence | undefined,
  context: SourceReader,
): FixSuggestion[] {
  if (!first) {
    // Auto-acked: every explicit settle is extra, or the consumer meant to ack manually.
    return [
      ...removeSettleFix(settle, context, true),
      ...manualAckFix(consumer, context).map((fix) => ({ ...fix, preferred: false })),
    ];
  }
  // Keep one settle on every path: remove the second where each path through it settles otherwise, else the first.
  for (const candidate of [settle, first]) {
    if (!everyPathSettlesWithout(consumer, candidate)) continue;
    const safe = candidate === settle && repeatsEarlierSettle(first, settle, context);
    const fix = removeSettleFix(candidate, context, true, safe);
    if (fix.length) return fix;
  }
  return [];
}

/**
 * `if (!acked) channel.nack(msg)` where the handler sets `acked` (a success flag): the paths do not
 * follow variables, so a settle behind a condition on a variable the handler assigns is taken to
 * run only when no settle ran before it.
 */
function behindFlag(consumer: ConsumerReport, settle: SettleOccurrence, context: SourceReader): boolean {
  const statement = settleStatement(settle, context) ?? nodeAt(context, settle.handlerLocation);
  if (!statement) return false;
  const handler = nodeAt(context, consumer.handlerRange);
  if (!handler) return false;
  const assigned = new Set<string>();
  const collect = (node: ts.Node): void => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isIdentifier(node.left)
    )
      assigned.add(node.left.text);
    ts.forEachChild(node, collect);
  };
  collect(handler);
  if (!assigned.size) return false;
  const mentionsFlag = (condition: ts.Node): boolean => {
    let found = false;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isIdentifier(node) && assigned.has(node.text)) found = true;
      else ts.forEachChild(node, visit);
    };
    visit(condition);
    return found;
  };
  for (let node: ts.Node = statement; node.parent && node !== handler; node = node.parent) {
    const parent = node.parent;
    if (ts.isIfStatement(parent) && parent.expression !== node && mentionsFlag(parent.expression)) return true;
    if (ts.isConditionalExpression(parent) && parent.condition !== node && mentionsFlag(parent.condition)) return true;
    if (
      ts.isBinaryExpression(parent) &&
      parent.right === node &&
      /^(&&|\|\||\?\?)$/.test(parent.operatorToken.getText()) &&
      mentionsFlag(parent.left)
    )
      return true;
  }
  return false;
}

function everyPathSettlesWithout(consumer: ConsumerReport, removed: SettleOccurrence): boolean {
  return !consumer.flow.soleSettles.includes(removed);
}
