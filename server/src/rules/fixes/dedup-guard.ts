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
import { identifierNames } from './statements';
import { type ProjectRedis, projectRedis } from './project-clients';
import { originModule, typeName } from '../../analysis/source/symbols';
import { creationOf } from '../../analysis/libraries/shared';

interface HandlerShape {
  /** Statements moved under the guard. */
  work: readonly ts.Statement[];
  /** Trailing settles and `return message` kept after the guarded block. */
  tail: readonly ts.Statement[];
  sourceFile: ts.SourceFile;
  handler: ts.FunctionLikeDeclaration;
  /** Indentation of the handler body's statements. */
  indent: string;
  /**
   * The names the guard declares in the handler (`dedupKey`, `claimed`), made unique against every
   * identifier the handler already uses: a guard added twice (or over one added before) still compiles.
   */
  names: { key: string; claimed: string };
}

/** `base`, or `base2`, `base3`… : the first that no identifier in `node` is called. */
function freshName(base: string, used: ReadonlySet<string>): string {
  if (!used.has(base)) return base;
  let index = 2;
  while (used.has(`${base}${index}`)) index++;
  return `${base}${index}`;
}

/** Builds one strategy's fix; `preferred` is the strategy the config names (its fix is marked preferred). */
type Builder = (
  consumer: ConsumerReport,
  shape: HandlerShape,
  context: SourceReader,
  style: CodeStyle,
  preferred: GuardStrategy,
) => FixSuggestion | undefined;

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

/** Whether `later` refers to a name a statement of `block` declares at its top level. */
function usesNamesDeclaredIn(later: readonly ts.Statement[], block: readonly ts.Statement[]): boolean {
  const declared = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) declared.add(name.text);
    else for (const element of name.elements) if (ts.isBindingElement(element)) bind(element.name);
  };
  for (const statement of block) {
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations) bind(declaration.name);
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name)
      declared.add(statement.name.text);
  }
  let used = false;
  const visit = (node: ts.Node): void => {
    if (used) return;
    if (ts.isIdentifier(node) && declared.has(node.text)) used = true;
    else ts.forEachChild(node, visit);
  };
  later.forEach(visit);
  return used;
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
  // The work moves into a block (a try, a transaction's callback): what the tail uses must not be declared in it.
  if (usesNamesDeclaredIn(statements.slice(tailStart), work)) return undefined;
  const used = identifierNames(handler);
  return {
    work,
    tail: statements.slice(tailStart),
    sourceFile: body.getSourceFile(),
    handler: handler as ts.FunctionLikeDeclaration,
    indent: indentationAt(body.getSourceFile().text, statements[first].getStart()),
    names: { key: freshName('dedupKey', used), claimed: freshName('claimed', used) },
  };
}

/**
 * The work's text, one level deeper than the handler body; `rewrites` (nodes in it) are replaced,
 * given `handle`, which puts those calls on the transaction.
 */
function workText(
  shape: HandlerShape,
  style: CodeStyle,
  rewrites: readonly { node: ts.Node; text: (handle: string) => string }[] = [],
  handle = '',
): string {
  const text = shape.sourceFile.text;
  const first = shape.work[0];
  const last = shape.work[shape.work.length - 1];
  const lineStart = text.lastIndexOf('\n', first.getStart() - 1) + 1;
  let slice = text.slice(lineStart, last.getEnd());
  for (const rewrite of [...rewrites].sort((a, b) => b.node.getStart() - a.node.getStart()))
    slice =
      slice.slice(0, rewrite.node.getStart() - lineStart) +
      rewrite.text(handle) +
      slice.slice(rewrite.node.getEnd() - lineStart);
  return indentLines(slice, style.indentUnit);
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
function retryLater(consumer: ConsumerReport, context: SourceReader, style: CodeStyle, key: string): string[] {
  const s = style.semicolon;
  const writer = registrationWriter(consumer, context);
  if (writer?.nackRequeue) return [`${writer.nackRequeue}${s}`, `return${s}`];
  return [`throw new Error(\`\${${key}} is still being processed; retry later\`)${s}`];
}

function skipBlock(lines: string[], indent: string, style: CodeStyle): string {
  if (lines.length === 1) return lines[0];
  return ['{', ...lines.map((line) => indent + style.indentUnit + line), `${indent}}`].join(style.newline);
}

/**
 * The dedup key: the consumer's group or queue and the message identity (with a prefix for shared
 * key spaces such as Redis), and a content hash where an amqplib publisher set no messageId (else
 * every such message shares one key). The group or queue keeps two consumers of the same message
 * (two Kafka groups, two queues bound to one exchange, two BullMQ queues counting job ids from 1)
 * from skipping each other's copies when they share the store.
 */
function dedupKey(
  consumer: ConsumerReport,
  style: CodeStyle,
  prefix: string,
): { expression: string; needsHash: boolean } {
  const identity = consumer.identityExpression!;
  const scope = consumer.dedupScope ? `${consumer.dedupScope}:` : '';
  const head = prefix + scope;
  const hashed = consumer.registration.traits.code?.identityHashFallback;
  if (hashed) {
    const message = identity.split('.')[0];
    const hash = `createHash(${quoted('sha256', style)}).update(${message}.${hashed}).digest(${quoted('hex', style)})`;
    return { expression: '`' + head + '${' + identity + ' ?? ' + hash + '}`', needsHash: true };
  }
  if (identity.startsWith('`')) return { expression: '`' + head + identity.slice(1), needsHash: false };
  return { expression: head ? '`' + head + '${' + identity + '}`' : identity, needsHash: false };
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

/** The Redis calls of the claim, in the project's package (ioredis or node-redis). */
function redisCalls(redis: ProjectRedis, client: string, q: (text: string) => string, key: string) {
  if (redis.package === 'node-redis')
    return {
      claim: `${client}.set(${key}, ${q('processing')}, { NX: true, EX: 300 })`,
      done: `${client}.set(${key}, ${q('done')}, { EX: 7 * 24 * 3600 })`,
    };
  return {
    claim: `${client}.set(${key}, ${q('processing')}, ${q('EX')}, 300, ${q('NX')})`,
    done: `${client}.set(${key}, ${q('done')}, ${q('EX')}, 7 * 24 * 3600)`,
  };
}

const redisFix: Builder = (consumer, shape, context, style, preferred) => {
  const q = (text: string) => quoted(text, style);
  const { semicolon: s, newline: n, indentUnit: u } = style;
  const i = shape.indent;
  const { key: k, claimed: c } = shape.names;
  const key = dedupKey(consumer, style, 'processed:');
  const moduleLines = hashImport(shape, style, key.needsHash);
  const redis = projectRedis(shape.handler, context);
  let client = redis.client;
  if (redis.importFrom) {
    moduleLines.push(`import { ${redis.importFrom.name} } from ${q(redis.importFrom.module)}${s}`);
  } else if (!client) {
    client = 'dedupRedis';
    if (redis.package === 'node-redis') {
      if (!hasModuleBinding(shape.sourceFile, 'createClient'))
        moduleLines.push(`import { createClient } from ${q('redis')}${s}`);
      moduleLines.push(`const ${client} = createClient({ url: process.env.REDIS_URL })${s}`);
      moduleLines.push(`void ${client}.connect()${s} // commands wait in its queue until it is connected`);
    } else {
      if (!hasModuleBinding(shape.sourceFile, 'Redis')) moduleLines.push(`import Redis from ${q('ioredis')}${s}`);
      moduleLines.push(`const ${client} = new Redis(process.env.REDIS_URL ?? ${q('redis://localhost:6379')})${s}`);
    }
  }
  const calls = redisCalls(redis, client!, q, k);
  const lines = [
    `// Claim the message with a short lease: a crash mid-processing lets a redelivery retry it.`,
    `${i}const ${k} = ${key.expression}${s}`,
    `${i}const ${c} = await ${calls.claim}${s}`,
    `${i}if (!${c}) {`,
    `${i}${u}// 'done': a duplicate. 'processing': another copy holds the claim (or crashed within the lease).`,
    `${i}${u}if ((await ${client}.get(${k})) !== ${q('done')}) ${skipBlock(retryLater(consumer, context, style, k), i + u, style)}`,
    ...skipDuplicate(consumer, context, style).map((line) => `${i}${u}${line}`),
    `${i}}`,
    `${i}try {`,
    workText(shape, style),
    `${i}${u}await ${calls.done}${s}`,
    `${i}} catch (error) {`,
    `${i}${u}await ${client}.del(${k})${s} // release the claim so the redelivery can retry`,
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

/** A client library whose transaction the inbox fix can open: how the claim and the transaction are written. */
type DbFamily = 'pg' | 'prisma' | 'knex' | 'typeorm';

const DB_FAMILIES: Record<string, DbFamily> = {
  pg: 'pg',
  '@prisma/client': 'prisma',
  knex: 'knex',
  typeorm: 'typeorm',
};

/**
 * The handler's database writes, all made directly in the work through one client of the project:
 * the transaction to open on it (`pool.connect()`, `prisma.$transaction`, `this.orders.manager.transaction`)
 * and the rewrites that put each write on the transaction's handle (`pool.query(` → `db.query(`,
 * `prisma.order` → `tx.order`, `this.orders.save(` → `manager.withRepository(this.orders).save(`).
 * Undefined when a write goes through a helper (it cannot be moved into the transaction by an edit
 * here), when writes use different clients, or when there is no write at all (nothing for the
 * inbox to make atomic).
 */
interface DbWrites {
  family: DbFamily;
  /** What the transaction is opened on (`pool`, `prisma`, `this.orders.manager`). */
  client: string;
  /** Nodes of the work replaced, given the transaction's handle. */
  rewrites: { node: ts.Node; text: (handle: string) => string }[];
}

function clientRoot(call: ts.CallExpression): ts.Expression | undefined {
  let current: ts.Expression = call.expression;
  for (;;) {
    if (ts.isPropertyAccessExpression(current)) {
      if (current.expression.kind === ts.SyntaxKind.ThisKeyword) return current; // this.prisma
      current = current.expression;
    } else if (ts.isCallExpression(current))
      current = current.expression; // knex('t').insert
    else if (ts.isIdentifier(current)) return current;
    else return undefined;
  }
}

/**
 * A TypeORM write's repository, and how it is reached from the transaction's entity manager:
 * `dataSource.getRepository(Order)` → `manager.getRepository(Order)` (opened on `dataSource`),
 * a repository `this.orders` → `manager.withRepository(this.orders)` (opened on `this.orders.manager`).
 */
function typeormWrite(
  call: ts.CallExpression,
): { client: string; node: ts.Node; text: (handle: string) => string } | undefined {
  if (!ts.isPropertyAccessExpression(call.expression)) return undefined;
  const repository = call.expression.expression;
  if (
    ts.isCallExpression(repository) &&
    ts.isPropertyAccessExpression(repository.expression) &&
    repository.expression.name.text === 'getRepository'
  ) {
    const entity = repository.arguments.map((argument) => argument.getText()).join(', ');
    return {
      client: repository.expression.expression.getText(),
      node: repository,
      text: (handle) => `${handle}.getRepository(${entity})`,
    };
  }
  if (ts.isIdentifier(repository) || ts.isPropertyAccessExpression(repository)) {
    const text = repository.getText();
    return { client: `${text}.manager`, node: repository, text: (handle) => `${handle}.withRepository(${text})` };
  }
  return undefined;
}

function databaseWrites(consumer: ConsumerReport, shape: HandlerShape, context: SourceReader): DbWrites | undefined {
  const checker = context.program?.getTypeChecker();
  if (!checker) return undefined;
  const start = shape.work[0].getStart();
  const end = shape.work[shape.work.length - 1].getEnd();
  let found: DbWrites | undefined;
  for (const effect of consumer.effects) {
    const category = effect.description.category;
    if (category !== 'sql' && category !== 'orm') continue;
    if (!effect.description.processing || effect.description.class === 'read') continue;
    if (effect.handlerLocation.start < start || effect.handlerLocation.end > end) continue;
    if (effect.chain.length) return undefined; // in a helper: not movable by an edit here
    const call = nodeAt(context, effect.location, ts.isCallExpression);
    const root = call && clientRoot(call);
    if (!call || !root) return undefined;
    const origin = originModule(root, checker);
    const family = origin ? (DB_FAMILIES[origin] ?? (origin.startsWith('.prisma') ? 'prisma' : undefined)) : undefined;
    if (!family) return undefined;
    // pg: only a pool hands out a connection of its own for the transaction.
    if (family === 'pg' && !/\bPool\b/.test(creationOf(root, checker)?.getText() ?? typeName(root, checker) ?? ''))
      return undefined;
    let client = root.getText();
    let rewrite: DbWrites['rewrites'][number] = { node: root, text: (handle) => handle };
    if (family === 'typeorm') {
      const write = typeormWrite(call);
      if (!write) return undefined;
      client = found?.family === 'typeorm' ? found.client : write.client; // one data source: the first write's
      rewrite = write;
    }
    if (found && (found.family !== family || found.client !== client)) return undefined;
    found ??= { family, client, rewrites: [] };
    found.rewrites.push(rewrite);
  }
  return found;
}

/** A name not used in the handler, for the transaction's handle. */
function freeHandle(shape: HandlerShape, wanted: string[]): string {
  const text = shape.handler.getText();
  const free = wanted.find((name) => !new RegExp(`\\b${name}\\b`).test(text));
  return free ?? `${wanted[0]}${2}`;
}

const sqlFix: Builder = (consumer, shape, context, style, preferred) => {
  const writes = databaseWrites(consumer, shape, context);
  if (!writes) return undefined;
  const q = (text: string) => quoted(text, style);
  const { semicolon: s, newline: n, indentUnit: u } = style;
  const i = shape.indent;
  const key = dedupKey(consumer, style, '');
  const moduleLines = hashImport(shape, style, key.needsHash);
  const insert = 'INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING';
  const header = `// Inbox pattern: the claim commits or rolls back with this handler's writes (needs a unique key on processed_events.event_id).`;
  let lines: string[];
  if (writes.family === 'pg') {
    const db = freeHandle(shape, ['db', 'inboxClient']);
    const work = workText(shape, style, writes.rewrites, db);
    lines = [
      header,
      `${i}const ${db} = await ${writes.client}.connect()${s}`,
      `${i}try {`,
      `${i}${u}await ${db}.query(${q('BEGIN')})${s}`,
      `${i}${u}const { rowCount } = await ${db}.query(${q(insert)}, [${key.expression}])${s}`,
      `${i}${u}if (rowCount === 0) {`,
      `${i}${u}${u}await ${db}.query(${q('ROLLBACK')})${s}`,
      ...skipDuplicate(consumer, context, style).map((line) => `${i}${u}${u}${line}`),
      `${i}${u}}`,
      work,
      `${i}${u}await ${db}.query(${q('COMMIT')})${s}`,
      `${i}} catch (error) {`,
      `${i}${u}await ${db}.query(${q('ROLLBACK')})${s}`,
      `${i}${u}throw error${s}`,
      `${i}} finally {`,
      `${i}${u}${db}.release()${s}`,
      `${i}}`,
    ];
  } else {
    // A callback transaction: it commits when the callback resolves, and rolls back when it throws.
    const handle = freeHandle(
      shape,
      writes.family === 'prisma' ? ['tx'] : writes.family === 'knex' ? ['trx'] : ['manager', 'entityManager'],
    );
    const open =
      writes.family === 'prisma'
        ? `${writes.client}.$transaction(async (${handle}) => {`
        : `${writes.client}.transaction(async (${handle}) => {`;
    const claim =
      writes.family === 'prisma'
        ? [
            // Parameterised ($1), as $executeRaw would be; the call form is what the claim's row count is read from.
            `${i}${u}const claimed = await ${handle}.$executeRawUnsafe(${q(insert)}, ${key.expression})${s}`,
            `${i}${u}if (claimed === 0) return false${s} // a duplicate: commit nothing`,
          ]
        : writes.family === 'knex'
          ? [
              `${i}${u}const claimed = await ${handle}.raw(${q(insert.replace('$1', '?'))}, [${key.expression}])${s}`,
              `${i}${u}if (claimed.rowCount === 0) return false${s} // a duplicate: commit nothing`,
            ]
          : [
              `${i}${u}const claimed: unknown[] = await ${handle}.query(${q(`${insert} RETURNING event_id`)}, [${key.expression}])${s}`,
              `${i}${u}if (claimed.length === 0) return false${s} // a duplicate: commit nothing`,
            ];
    const fresh = freeHandle(shape, ['fresh', 'firstDelivery']);
    lines = [
      header,
      `${i}const ${fresh} = await ${open}`,
      ...claim,
      workText(shape, style, writes.rewrites, handle),
      `${i}${u}return true${s}`,
      `${i}})${s}`,
      `${i}if (!${fresh}) ${skipBlock(skipDuplicate(consumer, context, style), i, style)}`,
    ];
  }
  return buildFix(
    shape,
    'sql',
    `Add an inbox-table dedup guard in a ${writes.family === 'pg' ? `transaction on ${writes.client}` : `${writes.client} transaction`}, with the handler's writes inside it`,
    lines.join(n),
    moduleLines,
    style,
    preferred,
  );
};

const memoryFix: Builder = (consumer, shape, context, style, preferred) => {
  const { semicolon: s, newline: n } = style;
  const i = shape.indent;
  const k = shape.names.key;
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
    `const ${k} = ${key.expression}${s}`,
    `${i}if (processedMessageIds.has(${k})) ${skipBlock(skipDuplicate(consumer, context, style), i, style)}`,
    `${i}processedMessageIds.add(${k})${s}`,
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
  // Without the consumer's group or queue, a key could collide with another consumer's copy of the message.
  if (!consumer.identityExpression || consumer.dedupScope === undefined) return [];
  const shape = handlerShape(consumer, context);
  if (!shape) return [];
  const style = detectStyle(shape.sourceFile.text);
  const fixes: FixSuggestion[] = [];
  // A handler that already has a message check (one that does not count, such as the in-memory Set
  // the memory strategy added) is not offered the in-memory guard again: it would add the same check.
  const checked = consumer.guards.some((guard) => guard.scope === 'message');
  for (const strategy of ['redis', 'sql', 'memory'] as const) {
    const build = BUILDERS[strategy];
    if (!build || (strategy === 'memory' && checked)) continue;
    const fix = build(consumer, shape, context, style, preferred);
    if (!fix) continue;
    fixes.push(strategy === 'memory' ? fix : { ...fix, edits: withBinding(consumer, fix.edits) });
  }
  // The configured strategy first, so editors list it on top.
  return fixes.sort((a, b) => Number(!!b.preferred) - Number(!!a.preferred));
}
