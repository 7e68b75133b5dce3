/**
 * The `missing-event-id-check` quick-fix: a dedup guard at the top of the handler, keyed by the
 * message identity, in the strategies of docs/rules/missing-event-id-check.md. The configured strategy is preferred.
 *
 * The handler body is split into three parts: the head (validation before any effect) stays
 * above the guard; the work goes under it; the tail (a final ack or `return message`) stays after
 * it, so the claim is marked done (or the transaction committed) before the message is settled.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, FixSuggestion, TextEdit } from '../../model';
import type { GuardStrategy } from '../../config/resolved-config';
import type { SourceReader } from '../../analysis/source/reader';
import type { SettleWriter } from './settle';
import { fillPhrase } from '../describe';
import { CodeStyle, detectStyle, indentLines, indentationAt, quoted } from './style';
import { nodeAt } from '../../analysis/source/locate';

interface HandlerShape {
  /** Statements moved under the guard. */
  work: readonly ts.Statement[];
  /** Trailing settles and `return message` kept after the guarded block. */
  tail: readonly ts.Statement[];
  sourceFile: ts.SourceFile;
  /** Indentation of the handler body's statements. */
  indent: string;
}

/** Builds one strategy's fix; `preferred` is the strategy the config names (its fix is marked preferred). */
type Builder = (
  consumer: ConsumerReport,
  shape: HandlerShape,
  context: SourceReader,
  style: CodeStyle,
  preferred: GuardStrategy,
) => FixSuggestion;

function containsReturn(statements: readonly ts.Statement[]): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node)) found = true;
    else ts.forEachChild(node, visit);
  };
  statements.forEach(visit);
  return found;
}

function handlerShape(consumer: ConsumerReport, context: SourceReader): HandlerShape | undefined {
  const handler = nodeAt(context, consumer.handlerRange);
  if (!handler || !ts.isFunctionLike(handler)) return undefined;
  const body = (handler as ts.FunctionLikeDeclaration).body;
  if (!body || !ts.isBlock(body) || !body.statements.length) return undefined;
  const touches = (statement: ts.Statement, starts: number[]) =>
    starts.some((start) => start >= statement.getStart() && start < statement.getEnd());
  const effectStarts = consumer.effects.map((effect) => effect.handlerLocation.start);
  const settleStarts = consumer.settles.map((settle) => settle.handlerLocation.start);
  const statements = body.statements;
  const first = statements.findIndex((statement) => touches(statement, [...effectStarts, ...settleStarts]));
  if (first < 0) return undefined;
  let tailStart = statements.length;
  while (tailStart > first + 1) {
    const statement = statements[tailStart - 1];
    const isSettle =
      ts.isExpressionStatement(statement) && touches(statement, settleStarts) && !touches(statement, effectStarts);
    if (!isSettle && !ts.isReturnStatement(statement)) break;
    tailStart--;
  }
  const work = statements.slice(first, tailStart);
  // An early return inside the work would skip the 'done' mark or the COMMIT: no mechanical fix.
  if (containsReturn(work)) return undefined;
  return {
    work,
    tail: statements.slice(tailStart),
    sourceFile: body.getSourceFile(),
    indent: indentationAt(body.getSourceFile().text, statements[first].getStart()),
  };
}

/** The work's text, one level deeper than the handler body. */
function workText(shape: HandlerShape, style: CodeStyle): string {
  const text = shape.sourceFile.text;
  const first = shape.work[0];
  const last = shape.work[shape.work.length - 1];
  const lineStart = text.lastIndexOf('\n', first.getStart() - 1) + 1;
  return indentLines(text.slice(lineStart, last.getEnd()), style.indentUnit);
}

/** Everything from the line after the work to the end of the tail (comments between them too). */
function tailText(shape: HandlerShape): string {
  if (!shape.tail.length) return '';
  const text = shape.sourceFile.text;
  const workEnd = shape.work[shape.work.length - 1].getEnd();
  const nextLine = text.indexOf('\n', workEnd) + 1;
  return text.slice(nextLine, shape.tail[shape.tail.length - 1].getEnd()).replace(/\r$/, '');
}

/**
 * The settle calls through the channel of the registration (`channel.consume(queue, …)`), for
 * libraries whose guard fix settles there (traits.code.guardSettlesThroughRegistration).
 */
function registrationWriter(consumer: ConsumerReport, context: SourceReader): SettleWriter | undefined {
  const code = consumer.registration.traits.code;
  if (!code?.guardSettlesThroughRegistration || !code.settle?.ack) return undefined;
  const registration = nodeAt(context, consumer.registration.location);
  if (!registration || !ts.isCallExpression(registration) || !ts.isPropertyAccessExpression(registration.expression))
    return undefined;
  const values = {
    channel: registration.expression.expression.getText(),
    message: consumer.identityExpression?.split(/[.?]/)[0] ?? 'msg',
  };
  return {
    ack: fillPhrase(code.settle.ack, values),
    ...(code.settle.nackRequeue ? { nackRequeue: fillPhrase(code.settle.nackRequeue, values) } : {}),
  };
}

/** What a duplicate does in this consumer: ack and return, or return (the library settles). */
function skipDuplicate(consumer: ConsumerReport, context: SourceReader, style: CodeStyle): string[] {
  const s = style.semicolon;
  const message = consumer.identityExpression?.split(/[.?]/)[0] ?? 'msg';
  const writer = registrationWriter(consumer, context);
  if (writer) return [`${writer.ack}${s}`, `return${s}`];
  // sqs-consumer 14+ deletes only messages the handler returns; earlier versions ignore it.
  if (consumer.registration.traits.code?.guardReturnsMessage) return [`return ${message}${s}`];
  return [`return${s}`];
}

/**
 * A claim still marked 'processing' belongs to another delivery in progress, or to one that
 * crashed within its lease: this copy must come back later, not be settled as a duplicate.
 */
function retryLater(consumer: ConsumerReport, context: SourceReader, style: CodeStyle): string[] {
  const s = style.semicolon;
  const writer = registrationWriter(consumer, context);
  if (writer?.nackRequeue) return [`${writer.nackRequeue}${s}`, `return${s}`];
  return [`throw new Error(\`\${dedupKey} is still being processed; retry later\`)${s}`];
}

function skipBlock(lines: string[], indent: string, style: CodeStyle): string {
  if (lines.length === 1) return lines[0];
  return ['{', ...lines.map((line) => indent + style.indentUnit + line), `${indent}}`].join(style.newline);
}

/**
 * The dedup key: the message identity (with a prefix for shared key spaces such as Redis), and a
 * content hash where an amqplib publisher set no messageId (else every such message shares one key).
 */
function dedupKey(
  consumer: ConsumerReport,
  style: CodeStyle,
  prefix: string,
): { expression: string; needsHash: boolean } {
  const identity = consumer.identityExpression!;
  const hashed = consumer.registration.traits.code?.identityHashFallback;
  if (hashed) {
    const message = identity.split('.')[0];
    const hash = `createHash(${quoted('sha256', style)}).update(${message}.${hashed}).digest(${quoted('hex', style)})`;
    return { expression: '`' + prefix + '${' + identity + ' ?? ' + hash + '}`', needsHash: true };
  }
  if (identity.startsWith('`')) return { expression: '`' + prefix + identity.slice(1), needsHash: false };
  return { expression: prefix ? '`' + prefix + '${' + identity + '}`' : identity, needsHash: false };
}

function hasModuleBinding(sourceFile: ts.SourceFile, name: string): boolean {
  return sourceFile.statements.some((statement) => {
    if (ts.isImportDeclaration(statement))
      return (
        statement.importClause
          ?.getText()
          .split(/[\s{},]+/)
          .includes(name) ?? false
      );
    if (ts.isVariableStatement(statement))
      return statement.declarationList.declarations.some(
        (declaration) => ts.isIdentifier(declaration.name) && declaration.name.text === name,
      );
    return false;
  });
}

/** Inserts module-level lines after the last import. */
function moduleEdit(sourceFile: ts.SourceFile, lines: string[], style: CodeStyle): TextEdit | undefined {
  if (!lines.length) return undefined;
  const imports = sourceFile.statements.filter(
    (statement) => ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement),
  );
  const position = imports.length ? imports[imports.length - 1].getEnd() : 0;
  const prefix = imports.length ? style.newline : '';
  const suffix = imports.length ? '' : style.newline;
  return {
    filePath: sourceFile.fileName,
    start: position,
    end: position,
    newText: prefix + lines.join(style.newline) + suffix,
  };
}

function hashImport(shape: HandlerShape, style: CodeStyle, needed: boolean): string[] {
  return needed && !hasModuleBinding(shape.sourceFile, 'createHash')
    ? [`import { createHash } from ${quoted('node:crypto', style)}${style.semicolon}`]
    : [];
}

/** An existing Redis client in the file (imported or declared), by name. */
function existingRedisClient(sourceFile: ts.SourceFile): string | undefined {
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement)) {
      const names =
        statement.importClause
          ?.getText()
          .split(/[\s{},]+/)
          .filter(Boolean) ?? [];
      const client = names.find((name) => /redis(client)?$/i.test(name) && name !== 'Redis');
      if (client) return client;
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (
          ts.isIdentifier(declaration.name) &&
          /redis/i.test(declaration.name.text) &&
          declaration.initializer &&
          /new\s+Redis|createClient/.test(declaration.initializer.getText())
        ) {
          return declaration.name.text;
        }
      }
    }
  }
  return undefined;
}

const redisFix: Builder = (consumer, shape, context, style, preferred) => {
  const q = (text: string) => quoted(text, style);
  const { semicolon: s, newline: n, indentUnit: u } = style;
  const i = shape.indent;
  const key = dedupKey(consumer, style, 'processed:');
  const moduleLines = hashImport(shape, style, key.needsHash);
  let client = existingRedisClient(shape.sourceFile);
  if (!client) {
    client = 'dedupRedis';
    if (!hasModuleBinding(shape.sourceFile, 'Redis')) moduleLines.push(`import Redis from ${q('ioredis')}${s}`);
    moduleLines.push(`const ${client} = new Redis(process.env.REDIS_URL ?? ${q('redis://localhost:6379')})${s}`);
  }
  const lines = [
    `// Claim the message with a short lease: a crash mid-processing lets a redelivery retry it.`,
    `${i}const dedupKey = ${key.expression}${s}`,
    `${i}const claimed = await ${client}.set(dedupKey, ${q('processing')}, ${q('EX')}, 300, ${q('NX')})${s}`,
    `${i}if (!claimed) {`,
    `${i}${u}// 'done': a duplicate. 'processing': another copy holds the claim (or crashed within the lease).`,
    `${i}${u}if ((await ${client}.get(dedupKey)) !== ${q('done')}) ${skipBlock(retryLater(consumer, context, style), i + u, style)}`,
    ...skipDuplicate(consumer, context, style).map((line) => `${i}${u}${line}`),
    `${i}}`,
    `${i}try {`,
    workText(shape, style),
    `${i}${u}await ${client}.set(dedupKey, ${q('done')}, ${q('EX')}, 7 * 24 * 3600)${s}`,
    `${i}} catch (error) {`,
    `${i}${u}await ${client}.del(dedupKey)${s} // release the claim so the redelivery can retry`,
    `${i}${u}throw error${s}`,
    `${i}}`,
  ];
  return buildFix(
    shape,
    'redis',
    'Add a Redis dedup guard keyed by the message identity (SET NX lease)',
    lines.join(n),
    moduleLines,
    style,
    preferred,
  );
};

const sqlFix: Builder = (consumer, shape, context, style, preferred) => {
  const q = (text: string) => quoted(text, style);
  const { semicolon: s, newline: n, indentUnit: u } = style;
  const i = shape.indent;
  const key = dedupKey(consumer, style, '');
  const moduleLines = hashImport(shape, style, key.needsHash);
  if (!hasModuleBinding(shape.sourceFile, 'dedupPool')) {
    if (!hasModuleBinding(shape.sourceFile, 'Pool')) moduleLines.push(`import { Pool } from ${q('pg')}${s}`);
    moduleLines.push(`const dedupPool = new Pool({ connectionString: process.env.DATABASE_URL })${s}`);
  }
  const skip = skipDuplicate(consumer, context, style).map((line) => `${i}${u}${u}${line}`);
  const lines = [
    `// Inbox pattern: the claim commits or rolls back with this handler's writes (needs a unique key on event_id).`,
    `${i}// Run the handler's database writes on \`db\` so they share the transaction.`,
    `${i}const db = await dedupPool.connect()${s}`,
    `${i}try {`,
    `${i}${u}await db.query(${q('BEGIN')})${s}`,
    `${i}${u}const { rowCount } = await db.query(${q('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING')}, [${key.expression}])${s}`,
    `${i}${u}if (rowCount === 0) {`,
    `${i}${u}${u}await db.query(${q('ROLLBACK')})${s}`,
    ...skip,
    `${i}${u}}`,
    workText(shape, style),
    `${i}${u}await db.query(${q('COMMIT')})${s}`,
    `${i}} catch (error) {`,
    `${i}${u}await db.query(${q('ROLLBACK')})${s}`,
    `${i}${u}throw error${s}`,
    `${i}} finally {`,
    `${i}${u}db.release()${s}`,
    `${i}}`,
  ];
  return buildFix(
    shape,
    'sql',
    'Add an inbox-table dedup guard (INSERT … ON CONFLICT DO NOTHING in one transaction)',
    lines.join(n),
    moduleLines,
    style,
    preferred,
  );
};

const memoryFix: Builder = (consumer, shape, context, style, preferred) => {
  const { semicolon: s, newline: n } = style;
  const i = shape.indent;
  const key = dedupKey(consumer, style, 'processed:');
  const moduleLines = [
    ...hashImport(shape, style, key.needsHash),
    ...(hasModuleBinding(shape.sourceFile, 'processedMessageIds')
      ? []
      : [
          `// In-memory dedup, for tests only: it is empty again after a restart, so it does not`,
          `// protect against the redeliveries a crash causes. Use the redis or sql strategy in production.`,
          `const processedMessageIds = new Set<string>()${s}`,
        ]),
  ];
  const first = shape.work[0];
  const guard = [
    `const dedupKey = ${key.expression}${s}`,
    `${i}if (processedMessageIds.has(dedupKey)) ${skipBlock(skipDuplicate(consumer, context, style), i, style)}`,
    `${i}processedMessageIds.add(dedupKey)${s}`,
  ];
  const edits: TextEdit[] = [
    {
      filePath: shape.sourceFile.fileName,
      start: first.getStart(),
      end: first.getStart(),
      newText: guard.join(n) + n + i,
    },
  ];
  const module = moduleEdit(shape.sourceFile, moduleLines, style);
  if (module) edits.unshift(module);
  return {
    title: 'Add an in-memory dedup guard (tests only: lost on restart)',
    safe: false,
    preferred: preferred === 'memory',
    edits: withBinding(consumer, edits),
  };
};

function buildFix(
  shape: HandlerShape,
  strategy: GuardStrategy,
  title: string,
  replacement: string,
  moduleLines: string[],
  style: CodeStyle,
  preferred: GuardStrategy,
): FixSuggestion {
  const first = shape.work[0];
  const last = shape.tail.length ? shape.tail[shape.tail.length - 1] : shape.work[shape.work.length - 1];
  const tail = tailText(shape);
  const edits: TextEdit[] = [
    {
      filePath: shape.sourceFile.fileName,
      start: first.getStart(),
      end: last.getEnd(),
      newText: tail ? replacement + style.newline + tail : replacement,
    },
  ];
  const module = moduleEdit(shape.sourceFile, moduleLines, style);
  if (module) edits.unshift(module);
  return { title, safe: false, preferred: preferred === strategy, edits };
}

/** Adds the parameter bindings the identity expression needs (kafkajs `{ topic, partition, message }`). */
function withBinding(consumer: ConsumerReport, edits: TextEdit[]): TextEdit[] {
  return consumer.identityBinding ? [consumer.identityBinding, ...edits] : edits;
}

const BUILDERS: Partial<Record<GuardStrategy, Builder>> = { redis: redisFix, sql: sqlFix, memory: memoryFix };

/**
 * One fix per strategy that applies to this handler. Powertools' makeIdempotent wraps a Lambda
 * handler, so it is not offered for these consumers.
 */
export function dedupGuardFixes(
  consumer: ConsumerReport,
  context: SourceReader,
  preferred: GuardStrategy,
): FixSuggestion[] {
  if (!consumer.identityExpression) return [];
  const shape = handlerShape(consumer, context);
  if (!shape) return [];
  const style = detectStyle(shape.sourceFile.text);
  const fixes: FixSuggestion[] = [];
  for (const strategy of ['redis', 'sql', 'memory'] as const) {
    const build = BUILDERS[strategy];
    if (!build) continue;
    const fix = build(consumer, shape, context, style, preferred);
    fixes.push(strategy === 'memory' ? fix : { ...fix, edits: withBinding(consumer, fix.edits) });
  }
  // The configured strategy first, so editors list it on top.
  return fixes.sort((a, b) => Number(!!b.preferred) - Number(!!a.preferred));
}
