/**
 * The `missing-event-id-check` quick-fix: a dedup guard at the top of the handler, keyed by the
 * message identity, in the strategies of RULES.md section 3. The configured strategy is preferred.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, FixSuggestion, TextEdit } from '../../analysis/model';
import type { GuardStrategy } from '../../config/types';
import type { FixContext } from './context';
import { nodeAt } from './ast';
import { CodeStyle, detectStyle, indentLines, indentationAt, quoted } from './style';

interface HandlerShape {
  body: ts.Block;
  /** Statements kept above the guard (input validation that does no processing). */
  head: readonly ts.Statement[];
  /** Statements moved under the guard. */
  rest: readonly ts.Statement[];
  sourceFile: ts.SourceFile;
}

/** What a duplicate does in this consumer: ack and return, or return (the library settles). */
function skipDuplicate(consumer: ConsumerReport, context: FixContext, style: CodeStyle): string {
  const registration = nodeAt(context, consumer.registration.location);
  if (consumer.registration.library === 'amqplib' && registration && ts.isCallExpression(registration) && ts.isPropertyAccessExpression(registration.expression)) {
    const channel = registration.expression.expression.getText();
    const message = consumer.identityExpression?.split('.')[0] ?? 'msg';
    return `{${style.newline}${style.indentUnit}${channel}.ack(${message})${style.semicolon}${style.newline}${style.indentUnit}return${style.semicolon}${style.newline}}`;
  }
  if (consumer.registration.library === 'sqs-consumer' && consumer.identityExpression) {
    // sqs-consumer 14+ deletes only messages the handler returns; earlier versions ignore it.
    return `return ${consumer.identityExpression.split('.')[0]}${style.semicolon}`;
  }
  return `return${style.semicolon}`;
}

function handlerShape(consumer: ConsumerReport, context: FixContext): HandlerShape | undefined {
  const handler = nodeAt(context, consumer.handlerRange);
  if (!handler || !ts.isFunctionLike(handler)) return undefined;
  const body = (handler as ts.FunctionLikeDeclaration).body;
  if (!body || !ts.isBlock(body) || !body.statements.length) return undefined;
  const touched = [...consumer.effects.map((effect) => effect.handlerLocation.start), ...consumer.settles.map((settle) => settle.handlerLocation.start)];
  const firstTouching = body.statements.findIndex((statement) => touched.some((start) => start >= statement.getStart() && start < statement.getEnd()));
  if (firstTouching < 0) return undefined;
  return { body, head: body.statements.slice(0, firstTouching), rest: body.statements.slice(firstTouching), sourceFile: body.getSourceFile() };
}

/** Text of the statements, re-indented one level deeper than the handler body. */
function restText(shape: HandlerShape, style: CodeStyle): { text: string; indent: string } {
  const text = shape.sourceFile.text;
  const first = shape.rest[0];
  const last = shape.rest[shape.rest.length - 1];
  const indent = indentationAt(text, first.getStart());
  const lineStart = text.lastIndexOf('\n', first.getStart() - 1) + 1;
  const original = text.slice(lineStart, last.getEnd());
  return { text: indentLines(original, style.indentUnit), indent };
}

function hasModuleBinding(sourceFile: ts.SourceFile, name: string): boolean {
  return sourceFile.statements.some((statement) => {
    if (ts.isImportDeclaration(statement)) return statement.importClause?.getText().split(/[\s{},]+/).includes(name) ?? false;
    if (ts.isVariableStatement(statement)) return statement.declarationList.declarations.some((declaration) => ts.isIdentifier(declaration.name) && declaration.name.text === name);
    return false;
  });
}

/** Inserts module-level lines after the last import. */
function moduleEdit(sourceFile: ts.SourceFile, lines: string[], style: CodeStyle): TextEdit | undefined {
  if (!lines.length) return undefined;
  const imports = sourceFile.statements.filter((statement) => ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement));
  const position = imports.length ? imports[imports.length - 1].getEnd() : 0;
  const prefix = imports.length ? style.newline : '';
  const suffix = imports.length ? '' : style.newline;
  return { filePath: sourceFile.fileName, start: position, end: position, newText: prefix + lines.join(style.newline) + suffix };
}

/** An existing Redis client in the file (imported or declared), by name. */
function existingRedisClient(sourceFile: ts.SourceFile): string | undefined {
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement)) {
      const names = statement.importClause?.getText().split(/[\s{},]+/).filter(Boolean) ?? [];
      const client = names.find((name) => /^redis$|redis(client)?$/i.test(name) && name !== 'Redis');
      if (client) return client;
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && /redis/i.test(declaration.name.text) && declaration.initializer && /new\s+Redis|createClient/.test(declaration.initializer.getText())) {
          return declaration.name.text;
        }
      }
    }
  }
  return undefined;
}

function redisFix(consumer: ConsumerReport, shape: HandlerShape, context: FixContext, style: CodeStyle): FixSuggestion {
  const q = (text: string) => quoted(text, style);
  const s = style.semicolon;
  const n = style.newline;
  const moduleLines: string[] = [];
  let client = existingRedisClient(shape.sourceFile);
  if (!client) {
    client = 'dedupRedis';
    if (!hasModuleBinding(shape.sourceFile, 'Redis')) moduleLines.push(`import Redis from ${q('ioredis')}${s}`);
    moduleLines.push(`const ${client} = new Redis(process.env.REDIS_URL ?? ${q('redis://localhost:6379')})${s}`);
  }
  const { text, indent } = restText(shape, style);
  const u = style.indentUnit;
  const key = consumer.identityExpression!;
  const guard = [
    `// Claim the message: a short lease so a crash mid-processing lets a redelivery retry it.`,
    `const dedupKey = ${key.startsWith('`') ? '`processed:' + key.slice(1) : '`processed:${' + key + '}`'}${s}`,
    `const claimed = await ${client}.set(dedupKey, ${q('processing')}, ${q('EX')}, 300, ${q('NX')})${s}`,
    `if (!claimed) ${skipDuplicate(consumer, context, style).split(n).join(n + indent)}`,
    `try {`,
  ].map((line, index) => (index === 0 ? line : indent + line));
  const tail = [
    `${u}await ${client}.set(dedupKey, ${q('done')}, ${q('EX')}, 7 * 24 * 3600)${s}`,
    `} catch (error) {`,
    `${u}await ${client}.del(dedupKey)${s} // release the claim so the redelivery can retry`,
    `${u}throw error${s}`,
    `}`,
  ].map((line) => indent + line);
  return buildFix(consumer, shape, 'Add a Redis dedup guard keyed by the message identity (SET NX lease)', [guard.join(n), text, tail.join(n)].join(n), moduleLines, style, context);
}

function sqlFix(consumer: ConsumerReport, shape: HandlerShape, context: FixContext, style: CodeStyle): FixSuggestion {
  const q = (text: string) => quoted(text, style);
  const s = style.semicolon;
  const n = style.newline;
  const u = style.indentUnit;
  const moduleLines: string[] = [];
  if (!hasModuleBinding(shape.sourceFile, 'dedupPool')) {
    if (!hasModuleBinding(shape.sourceFile, 'Pool')) moduleLines.push(`import { Pool } from ${q('pg')}${s}`);
    moduleLines.push(`const dedupPool = new Pool({ connectionString: process.env.DATABASE_URL })${s}`);
  }
  const { text, indent } = restText(shape, style);
  const key = consumer.identityExpression!;
  const head = [
    `// Inbox pattern: the claim commits or rolls back with this handler's writes (needs a unique key on event_id).`,
    `// Run the handler's database writes on \`db\` so they share the transaction.`,
    `const db = await dedupPool.connect()${s}`,
    `try {`,
    `${u}await db.query(${q('BEGIN')})${s}`,
    `${u}const { rowCount } = await db.query(${q('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING')}, [${key}])${s}`,
    `${u}if (rowCount === 0) {`,
    `${u}${u}await db.query(${q('ROLLBACK')})${s}`,
    ...skipDuplicate(consumer, context, style)
      .replace(/^\{|\}$/g, '')
      .split(n)
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => `${u}${u}${line}`),
    `${u}}`,
  ].map((line, index) => (index === 0 ? line : indent + line));
  const tail = [
    `${u}await db.query(${q('COMMIT')})${s}`,
    `} catch (error) {`,
    `${u}await db.query(${q('ROLLBACK')})${s}`,
    `${u}throw error${s}`,
    `} finally {`,
    `${u}db.release()${s}`,
    `}`,
  ].map((line) => indent + line);
  return buildFix(consumer, shape, 'Add an inbox-table dedup guard (INSERT … ON CONFLICT DO NOTHING in one transaction)', [head.join(n), indentLines(text, u), tail.join(n)].join(n), moduleLines, style, context);
}

function memoryFix(consumer: ConsumerReport, shape: HandlerShape, context: FixContext, style: CodeStyle): FixSuggestion {
  const s = style.semicolon;
  const n = style.newline;
  const moduleLines = hasModuleBinding(shape.sourceFile, 'processedMessageIds')
    ? []
    : [
        `// In-memory dedup, for tests only: it is empty again after a restart, so it does not`,
        `// protect against the redeliveries a crash causes. Use the redis or sql strategy in production.`,
        `const processedMessageIds = new Set<string>()${s}`,
      ];
  const first = shape.rest[0];
  const indent = indentationAt(shape.sourceFile.text, first.getStart());
  const key = consumer.identityExpression!;
  const guard = [`const dedupKey = String(${key})${s}`, `if (processedMessageIds.has(dedupKey)) ${skipDuplicate(consumer, context, style).split(n).join(n + indent)}`, `processedMessageIds.add(dedupKey)${s}`].map(
    (line, index) => (index === 0 ? line : indent + line),
  );
  const lineStart = shape.sourceFile.text.lastIndexOf('\n', first.getStart() - 1) + 1;
  const edits: TextEdit[] = [{ filePath: shape.sourceFile.fileName, start: first.getStart(), end: first.getStart(), newText: guard.join(n) + n + indent }];
  void lineStart;
  const module = moduleEdit(shape.sourceFile, moduleLines, style);
  if (module) edits.unshift(module);
  return { title: 'Add an in-memory dedup guard (tests only: lost on restart)', safe: false, preferred: context.config.guardStrategy === 'memory', edits };
}

function buildFix(consumer: ConsumerReport, shape: HandlerShape, title: string, replacement: string, moduleLines: string[], style: CodeStyle, context: FixContext): FixSuggestion {
  void consumer;
  const first = shape.rest[0];
  const last = shape.rest[shape.rest.length - 1];
  const edits: TextEdit[] = [{ filePath: shape.sourceFile.fileName, start: first.getStart(), end: last.getEnd(), newText: replacement.trimStart() }];
  const module = moduleEdit(shape.sourceFile, moduleLines, style);
  if (module) edits.unshift(module);
  const strategy = title.startsWith('Add a Redis') ? 'redis' : title.startsWith('Add an inbox') ? 'sql' : 'memory';
  return { title, safe: false, preferred: context.config.guardStrategy === strategy, edits };
}

const BUILDERS: Partial<Record<GuardStrategy, (consumer: ConsumerReport, shape: HandlerShape, context: FixContext, style: CodeStyle) => FixSuggestion>> = {
  redis: redisFix,
  sql: sqlFix,
  memory: memoryFix,
};

/**
 * One fix per strategy that applies to this handler. Powertools' makeIdempotent wraps a Lambda
 * handler, so it is offered only for Lambda consumers.
 */
export function dedupGuardFixes(consumer: ConsumerReport, context: FixContext): FixSuggestion[] {
  if (!consumer.identityExpression) return [];
  const shape = handlerShape(consumer, context);
  if (!shape) return [];
  const style = detectStyle(shape.sourceFile.text);
  const fixes: FixSuggestion[] = [];
  for (const strategy of ['redis', 'sql', 'memory'] as const) {
    const build = BUILDERS[strategy];
    if (build) fixes.push(build(consumer, shape, context, style));
  }
  // The configured strategy first, so editors list it on top.
  return fixes.sort((a, b) => Number(!!b.preferred) - Number(!!a.preferred));
}
