/**
 * Effect-level fixes: make one effect idempotent by giving it a key derived from the message
 * (Stripe idempotencyKey, conflict-ignoring insert, BullMQ jobId, SQS MessageDeduplicationId).
 * Offered only for effects called directly in the handler, where the message is in scope. A
 * conflict-ignoring insert names its conflict target: a unique key the project declares for the
 * table (unique-keys.ts), or, when none is visible, the column to check, which the title names.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, EffectOccurrence, FixSuggestion } from '../../model';
import type { SourceReader } from '../../analysis/source/reader';
import { prefixedKey } from './style';
import { unwrap } from '../../analysis/source/ast';
import { nodeAt } from '../../analysis/source/locate';
import { bare, projectUniqueKeys } from './unique-keys';

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

/**
 * The column of an insert a conflict target most likely names when no unique key is visible: one
 * that holds an identity (`source_message_id`, `event_id`, `reference`), else the first `…_id`.
 */
function likelyKeyColumn(columns: readonly string[]): string | undefined {
  return (
    columns.find((column) =>
      /(^|_)(message_?id|event_?id|idempotency_?key|reference|ref)$|(Message|Event)Id$/i.test(column),
    ) ?? columns.find((column) => /(^|_)id$|[a-z]Id$/.test(column))
  );
}

/**
 * The conflict target for an insert into `table` of `columns`: a unique key the project declares
 * (migration, schema, entity) whose columns the insert sets, or, when none is visible, the column
 * to check (the fix then says so in its title).
 */
function conflictTarget(
  table: string | undefined,
  columns: readonly string[],
  filePath: string,
  context: SourceReader,
): { columns: string[]; verified: boolean } | undefined {
  if (!table || !columns.length) return undefined;
  const inserted = columns.map(bare);
  const keys = (projectUniqueKeys(filePath, context).get(bare(table)) ?? []).filter((key) =>
    key.every((column) => inserted.includes(column)),
  );
  if (keys.length) {
    const key = [...keys].sort((a, b) => a.length - b.length)[0];
    return { columns: key.map((column) => columns[inserted.indexOf(column)]), verified: true };
  }
  const guess = likelyKeyColumn(columns);
  return guess ? { columns: [guess], verified: false } : undefined;
}

function conflictTitle(clause: string, table: string, target: { columns: string[]; verified: boolean }): string {
  const key = target.columns.join(', ');
  return target.verified
    ? `Ignore duplicate inserts (${clause}: ${table} has a unique key on (${key}))`
    : `Ignore duplicate inserts (${clause}) after checking that ${table} has a unique key on (${key}): none is visible in the project's migrations, schema or entities, and without one the insert fails`;
}

function conflictFix(effect: EffectOccurrence, call: ts.CallExpression, context: SourceReader): FixSuggestion[] {
  const filePath = effect.location.filePath;
  const [first] = call.arguments;
  if (
    first &&
    (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) &&
    /^\s*insert\b/i.test(first.text)
  ) {
    const shape = /^\s*insert\s+into\s+([\w."`[\]]+)\s*\(([^)]*)\)/i.exec(first.text);
    if (!shape) return [];
    const table = shape[1].replace(/["`[\]]/g, '');
    const columns = shape[2]
      .split(',')
      .map((column) => column.trim().replace(/["`[\]]/g, ''))
      .filter(Boolean);
    const target = conflictTarget(table, columns, filePath, context);
    if (!target) return [];
    const clause = `ON CONFLICT (${target.columns.join(', ')}) DO NOTHING`;
    const raw = first.getText();
    const body = raw.slice(1, -1);
    const trimmed = body.replace(/\s*;?\s*$/, '');
    const returning = /\breturning\b/i.exec(trimmed);
    const insertAt = returning ? returning.index : trimmed.length;
    const updated = `${trimmed.slice(0, insertAt).trimEnd()} ${clause}${returning ? ' ' + trimmed.slice(insertAt) : ''}`;
    return [
      {
        title: conflictTitle(clause, table, target),
        safe: false,
        preferred: target.verified,
        edits: [{ filePath, start: first.getStart() + 1, end: first.getEnd() - 1, newText: updated }],
      },
    ];
  }
  // knex(...).insert(...) → .onConflict(target).ignore(); drizzle insert(...).values(...) → .onConflictDoNothing()
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
  if (drizzle) {
    const table = call.arguments[0]?.getText() ?? 'the table';
    return [
      {
        title: `Ignore duplicate inserts (.onConflictDoNothing()) after checking that ${table} has a unique key on the columns taken from the message: the conflict target is not named`,
        safe: false,
        edits: [{ filePath, start: outer.getEnd(), end: outer.getEnd(), newText: '.onConflictDoNothing()' }],
      },
    ];
  }
  // knex('table').insert({ a, b }): the table from the builder call, the columns from the row.
  const builder = ts.isPropertyAccessExpression(call.expression) ? call.expression.expression : undefined;
  const table =
    builder && ts.isCallExpression(builder) && builder.arguments[0] && ts.isStringLiteralLike(builder.arguments[0])
      ? builder.arguments[0].text
      : undefined;
  const row = call.arguments[0] && unwrap(call.arguments[0]);
  const columns =
    row && ts.isObjectLiteralExpression(row)
      ? row.properties.map((property) => property.name?.getText().replace(/['"]/g, '') ?? '').filter(Boolean)
      : [];
  const target = conflictTarget(table, columns, filePath, context);
  if (!target || !table) return [];
  const argument =
    target.columns.length === 1
      ? `'${target.columns[0]}'`
      : `[${target.columns.map((column) => `'${column}'`).join(', ')}]`;
  const addition = `.onConflict(${argument}).ignore()`;
  return [
    {
      title: conflictTitle(addition, table, target),
      safe: false,
      preferred: target.verified,
      edits: [{ filePath, start: call.getEnd(), end: call.getEnd(), newText: addition }],
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
  if (kind === 'conflict-ignoring-insert') return conflictFix(effect, node, context);
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
