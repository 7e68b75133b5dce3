/**
 * Effect-level fixes: make one effect idempotent by giving it a key derived from the message
 * (Stripe idempotencyKey, conflict-ignoring insert, BullMQ jobId, SQS MessageDeduplicationId).
 * Offered only for effects called directly in the handler, where the message is in scope.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, EffectOccurrence, FixSuggestion } from '../../model';
import type { SourceReader } from '../../analysis/source/reader';
import { prefixedKey } from './style';
import { unwrap } from '../../analysis/source/ast';
import { nodeAt } from '../../analysis/source/locate';

/** Sets `name: value` in an object literal: replaces an existing value, or adds the property. */
function setObjectProperty(
  object: ts.ObjectLiteralExpression,
  name: string,
  value: string,
  filePath: string,
): FixSuggestion['edits'] {
  const existing = object.properties.find(
    (property) => property.name && ts.isIdentifier(property.name) && property.name.text === name,
  );
  if (existing && ts.isPropertyAssignment(existing))
    return [{ filePath, start: existing.initializer.getStart(), end: existing.initializer.getEnd(), newText: value }];
  if (existing) return [{ filePath, start: existing.getStart(), end: existing.getEnd(), newText: `${name}: ${value}` }];
  return addObjectProperty(object, `${name}: ${value}`, filePath);
}

export function addObjectProperty(
  object: ts.ObjectLiteralExpression,
  property: string,
  filePath: string,
): FixSuggestion['edits'] {
  const last = object.properties[object.properties.length - 1];
  if (!last) return [{ filePath, start: object.getStart() + 1, end: object.getEnd() - 1, newText: ` ${property} ` }];
  const text = object.getSourceFile().text;
  const multiline = text.slice(object.getStart(), object.getEnd()).includes('\n');
  if (multiline) {
    const lineStart = text.lastIndexOf('\n', last.getStart() - 1) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
    const hasComma = text.slice(last.getEnd()).trimStart().startsWith(',');
    const insertAt = hasComma ? text.indexOf(',', last.getEnd()) + 1 : last.getEnd();
    return [
      {
        filePath,
        start: insertAt,
        end: insertAt,
        newText: `${hasComma ? '' : ','}\n${indent}${property}${hasComma ? ',' : ''}`,
      },
    ];
  }
  return [{ filePath, start: last.getEnd(), end: last.getEnd(), newText: `, ${property}` }];
}

function stripeFix(effect: EffectOccurrence, call: ts.CallExpression, identity: string): FixSuggestion[] {
  const filePath = effect.location.filePath;
  const key = prefixedKey(identity, `${effect.description.label.replace(/^Stripe /, '').replace(/\W+/g, '-')}-`);
  const options = call.arguments[1] && unwrap(call.arguments[1]);
  let edits: FixSuggestion['edits'];
  if (options && ts.isObjectLiteralExpression(options))
    edits = setObjectProperty(options, 'idempotencyKey', key, filePath);
  else if (call.arguments.length === 1)
    edits = [
      {
        filePath,
        start: call.arguments[0].getEnd(),
        end: call.arguments[0].getEnd(),
        newText: `, { idempotencyKey: ${key} }`,
      },
    ];
  else return [];
  return [{ title: 'Pass a Stripe idempotencyKey derived from the message', safe: false, edits }];
}

function conflictFix(effect: EffectOccurrence, call: ts.CallExpression): FixSuggestion[] {
  const filePath = effect.location.filePath;
  const [first] = call.arguments;
  if (
    first &&
    (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) &&
    /^\s*insert\b/i.test(first.text)
  ) {
    const raw = first.getText();
    const body = raw.slice(1, -1);
    const trimmed = body.replace(/\s*;?\s*$/, '');
    const returning = /\breturning\b/i.exec(trimmed);
    const insertAt = returning ? returning.index : trimmed.length;
    const updated = `${trimmed.slice(0, insertAt).trimEnd()} ON CONFLICT DO NOTHING${returning ? ' ' + trimmed.slice(insertAt) : ''}`;
    return [
      {
        title: 'Ignore duplicate inserts (ON CONFLICT DO NOTHING; needs a unique key from the message)',
        safe: false,
        edits: [{ filePath, start: first.getStart() + 1, end: first.getEnd() - 1, newText: updated }],
      },
    ];
  }
  // knex(...).insert(...) → .onConflict().ignore(); drizzle insert(...).values(...) → .onConflictDoNothing()
  let outer: ts.Node = call;
  while (
    outer.parent &&
    ts.isPropertyAccessExpression(outer.parent) &&
    outer.parent.parent &&
    ts.isCallExpression(outer.parent.parent)
  ) {
    const name = outer.parent.name.text;
    if (name !== 'values' && name !== 'returning') break;
    outer = outer.parent.parent;
  }
  const method = ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : '';
  if (method !== 'insert') return [];
  const drizzle = outer !== call;
  const addition = drizzle ? '.onConflictDoNothing()' : '.onConflict().ignore()';
  const at = drizzle ? outer.getEnd() : call.getEnd();
  return [
    {
      title: `Ignore duplicate inserts (${addition}; needs a unique key from the message)`,
      safe: false,
      edits: [{ filePath, start: at, end: at, newText: addition }],
    },
  ];
}

function bullmqFix(effect: EffectOccurrence, call: ts.CallExpression, identity: string): FixSuggestion[] {
  const filePath = effect.location.filePath;
  // BullMQ rejects custom job ids containing ':' (its key separator).
  const key = prefixedKey(identity, 'job-').replace(/:(?=\$\{)/g, '-');
  const options = call.arguments[2] && unwrap(call.arguments[2]);
  if (options && ts.isObjectLiteralExpression(options))
    return [
      {
        title: 'Give the BullMQ job a jobId derived from the message',
        safe: false,
        edits: setObjectProperty(options, 'jobId', key, filePath),
      },
    ];
  if (call.arguments.length !== 2) return [];
  return [
    {
      title: 'Give the BullMQ job a jobId derived from the message',
      safe: false,
      edits: [
        {
          filePath,
          start: call.arguments[1].getEnd(),
          end: call.arguments[1].getEnd(),
          newText: `, { jobId: ${key} }`,
        },
      ],
    },
  ];
}

/** SQS rejects MessageDeduplicationId on standard queues: offered only when the queue may be FIFO. */
function sqsFix(effect: EffectOccurrence, call: ts.CallExpression, identity: string): FixSuggestion[] {
  const command = call.arguments[0] && unwrap(call.arguments[0]);
  const input = command && ts.isNewExpression(command) ? command.arguments?.[0] : undefined;
  const object = input && unwrap(input);
  if (!object || !ts.isObjectLiteralExpression(object)) return [];
  const queueUrl = object.properties.find((property) => property.name?.getText() === 'QueueUrl');
  const url = queueUrl && ts.isPropertyAssignment(queueUrl) ? unwrap(queueUrl.initializer) : undefined;
  const staticUrl = url && (ts.isStringLiteral(url) || ts.isNoSubstitutionTemplateLiteral(url)) ? url.text : undefined;
  if (staticUrl !== undefined && !staticUrl.endsWith('.fifo')) return [];
  const title = staticUrl
    ? 'Set MessageDeduplicationId from the message'
    : 'Set MessageDeduplicationId from the message (FIFO queues only)';
  return [
    {
      title,
      safe: false,
      edits: setObjectProperty(object, 'MessageDeduplicationId', prefixedKey(identity, ''), effect.location.filePath),
    },
  ];
}

export function effectLevelFixes(
  consumer: ConsumerReport,
  effect: EffectOccurrence,
  context: SourceReader,
): FixSuggestion[] {
  const kind = effect.description.effectFix;
  if (!kind || effect.chain.length) return [];
  const node = nodeAt(context, effect.location);
  if (!node || !ts.isCallExpression(node)) return [];
  if (kind === 'conflict-ignoring-insert') return conflictFix(effect, node);
  const identity = consumer.identityExpression;
  if (!identity) return [];
  const fixes =
    kind === 'stripe-idempotency-key'
      ? stripeFix(effect, node, identity)
      : kind === 'bullmq-job-id'
        ? bullmqFix(effect, node, identity)
        : sqsFix(effect, node, identity);
  // The key may use names the fix adds to the handler's parameters.
  return consumer.identityBinding
    ? fixes.map((fix) => ({ ...fix, edits: [consumer.identityBinding!, ...fix.edits] }))
    : fixes;
}
