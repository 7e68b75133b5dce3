/** SQL through any driver (`query`, `execute`, `prepare(...).run`, tagged templates), by statement text. */
import { ts } from 'ts-morph';
import { staticText } from '../source/ast';
import { containsFreshValue } from '../source/message-values';
import { CallLink, ClassifiedCall, DEDUP_STORE_NAME, MatchContext, effect } from './matcher';

const SQL_METHODS = new Set([
  'query',
  'execute',
  'exec',
  'raw',
  'run',
  'none',
  'one',
  'oneOrNone',
  'many',
  'manyOrNone',
  'any',
  'result',
  'all',
  'get',
  'unsafe',
  '$executeRaw',
  '$executeRawUnsafe',
  '$queryRaw',
  '$queryRawUnsafe',
  'executeQuery',
  'prepare',
]);
const SQL_TAGS = /^(sql|\$executeRaw|\$queryRaw|query|raw)$/;
const STATEMENT = /^\s*(\/\*[\s\S]*?\*\/\s*)?(insert|update|delete|select|with|merge|upsert|replace)\b/i;

export interface SqlStatement {
  text: string;
  kind: 'insert' | 'update' | 'delete' | 'select' | 'other';
  table?: string;
  conflictClause: boolean;
  relativeUpdate: boolean;
}

function parseSql(text: string): SqlStatement | undefined {
  if (!STATEMENT.test(text)) return undefined;
  const normalized = text.replace(/\s+/g, ' ').trim();
  const lower = normalized.toLowerCase();
  const conflictClause =
    /on\s+conflict|on\s+duplicate\s+key|insert\s+ignore|insert\s+or\s+(ignore|replace)|^\s*replace\s+into|^\s*merge\b/i.test(
      normalized,
    );
  let kind: SqlStatement['kind'] = 'other';
  let table: string | undefined;
  const insert = /\binsert\s+(?:or\s+\w+\s+)?(?:ignore\s+)?into\s+([\w."`[\]]+)/i.exec(normalized);
  const update = /\bupdate\s+([\w."`[\]]+)\s+set\b/i.exec(normalized);
  const remove = /\bdelete\s+from\s+([\w."`[\]]+)/i.exec(normalized);
  if (insert) {
    kind = 'insert';
    table = insert[1];
  } else if (/^\s*(replace|merge|upsert)\b/i.test(normalized)) {
    kind = 'insert';
  } else if (update) {
    kind = 'update';
    table = update[1];
  } else if (remove) {
    kind = 'delete';
    table = remove[1];
  } else if (/^\s*(select|with)\b/i.test(lower)) {
    kind = 'select';
  }
  // SET balance = balance + $1, stock = stock - 1: a second run applies the change again.
  const unquoted = normalized.replace(/["`]/g, '');
  const relativeUpdate = kind === 'update' && /\bset\b.*?\b([\w.]+)\s*=\s*\1\s*[-+*/|]/i.test(unquoted);
  return { text: normalized, kind, table: table?.replace(/["`[\]]/g, ''), conflictClause, relativeUpdate };
}

const KEY_COLUMNS = /^(id|event_?id|message_?id|idempotency_?key|dedup_?key|deduplication_?id)$/i;

/** The expression bound to a placeholder: `$2` or the second `?` in the params array, or `${…}`. */
function placeholderValue(token: string, position: number, keyArgs: readonly ts.Node[]): ts.Node | undefined {
  const [params] = keyArgs;
  const list = params && ts.isArrayLiteralExpression(params) ? params.elements : keyArgs;
  const dollar = /^\$(\d+)$/.exec(token);
  if (dollar) return list[Number(dollar[1]) - 1];
  if (token === '?') return list[position];
  if (token === '${…}') return keyArgs[position];
  return undefined;
}

/** Whether an INSERT's key-like column (id, event_id…) receives the message identity. */
function keyColumnFromMessage(statement: SqlStatement, keyArgs: readonly ts.Node[], context: MatchContext): boolean {
  const match = /insert\s+(?:ignore\s+)?into\s+[\w."`[\]]+\s*\(([^)]*)\)\s*values\s*\(([^)]*)\)/i.exec(statement.text);
  if (!match) return false;
  const columns = match[1].split(',').map((column) => column.trim().replace(/["`[\]]/g, ''));
  const values = match[2].split(',').map((value) => value.trim());
  const extra = context.config.identityFields.map((field) => field.toLowerCase());
  let questionMarks = 0;
  let templates = 0;
  return values.some((value, index) => {
    const position = value === '?' ? questionMarks++ : value === '${…}' ? templates++ : index;
    const column = columns[index] ?? '';
    if (!KEY_COLUMNS.test(column) && !extra.includes(column.toLowerCase())) return false;
    const bound = placeholderValue(value, position, keyArgs);
    return !!bound && context.values.isIdentityKey(bound);
  });
}

/**
 * Where an `ON CONFLICT (col, …)` target's values come from: 'message' when every target column
 * receives the message identity (the first as the claim's key), 'fresh' when one receives a value
 * made per delivery (it never conflicts, so a redelivery inserts a second row), undefined when the
 * target or its values cannot be read.
 */
function conflictTargetValues(
  statement: SqlStatement,
  keyArgs: readonly ts.Node[],
  context: MatchContext,
): { from: 'message' | 'fresh'; key?: ts.Node } | undefined {
  const target = /on\s+conflict\s*\(([^)]*)\)/i.exec(statement.text);
  const match = /insert\s+into\s+[\w."`[\]]+\s*\(([^)]*)\)\s*values\s*\(([^)]*)\)/i.exec(statement.text);
  if (!target || !match) return undefined;
  const clean = (column: string): string =>
    column
      .trim()
      .replace(/["`[\]]/g, '')
      .toLowerCase();
  const columns = match[1].split(',').map(clean);
  const values = match[2].split(',').map((value) => value.trim());
  if (columns.length !== values.length) return undefined;
  const bound = (column: string): ts.Node | undefined => {
    const index = columns.indexOf(column);
    if (index < 0) return undefined;
    const value = values[index];
    const position =
      value === '?'
        ? values.slice(0, index).filter((v) => v === '?').length
        : value === '${…}'
          ? values.slice(0, index).filter((v) => v === '${…}').length
          : index;
    return placeholderValue(value, position, keyArgs);
  };
  const targets = target[1].split(',').map(clean);
  const nodes = targets.map(bound);
  if (nodes.some((node) => node && containsFreshValue(node, context.checker))) return { from: 'fresh' };
  if (nodes.every((node) => node && context.values.isIdentityKey(node))) return { from: 'message', key: nodes[0] };
  return undefined;
}

function classifySql(
  node: ts.Node,
  statement: SqlStatement,
  keyArgs: readonly ts.Node[],
  context: MatchContext,
): ClassifiedCall | undefined {
  const table = statement.table ?? 'table';
  const keyed = keyArgs.some((argument) => context.values.isIdentityKey(argument));
  switch (statement.kind) {
    case 'insert': {
      const dedupStore = DEDUP_STORE_NAME.test(table);
      // ON CONFLICT on a column given a fresh value never conflicts: judged as a plain insert.
      const target = statement.conflictClause ? conflictTargetValues(statement, keyArgs, context) : undefined;
      if (statement.conflictClause && target?.from !== 'fresh') {
        const claimKey = target?.key ?? keyArgs[0];
        const claimed = !!target?.key || keyed;
        const claims = /do\s+nothing|insert\s+ignore|insert\s+or\s+ignore/i.test(statement.text);
        return effect(node, 'idempotent', 'sql', `INSERT INTO ${table} … ON CONFLICT`, {
          keyedByMessage: claimed,
          guard: claims && claimed ? { kind: 'claim', key: claimKey, truthyMeans: 'new' } : undefined,
          record: dedupStore,
        });
      }
      if (dedupStore && keyed) {
        return effect(node, 'dedup-record', 'sql', `INSERT INTO ${table}`, {
          keyedByMessage: true,
          record: true,
          uniqueInsert: true,
        });
      }
      // A row whose primary key is the message's ID: a redelivery hits the key instead of adding a row.
      if (keyColumnFromMessage(statement, keyArgs, context)) {
        return effect(node, 'idempotent', 'sql', `INSERT INTO ${table} (key from the message)`, {
          keyedByMessage: true,
          uniqueInsert: true,
        });
      }
      return effect(node, 'duplicate-unsafe', 'sql', `INSERT INTO ${table}`, {
        onDuplicate: `inserts a second row into ${table}`,
        effectFix: 'conflict-ignoring-insert',
      });
    }
    case 'update':
      if (statement.relativeUpdate) {
        return effect(node, 'duplicate-unsafe', 'sql', `UPDATE ${table} (relative)`, {
          onDuplicate: `applies the relative update to ${table} twice`,
        });
      }
      return effect(node, 'idempotent', 'sql', `UPDATE ${table}`);
    case 'delete':
      // Keyed when its parameters carry the message identity: a release of a claim on that key.
      return effect(node, 'idempotent', 'sql', `DELETE FROM ${table}`, { keyedByMessage: keyed });
    case 'select': {
      return effect(node, 'read', 'sql', `SELECT`, {
        guard: keyed ? { kind: 'check', key: keyArgs[0], truthyMeans: 'seen' } : undefined,
      });
    }
    default:
      return undefined;
  }
}

/** `db.query('INSERT …', [id])`, `client.execute(sql, params)`, `db.prepare('INSERT …').run(id)`. */
export function matchSqlCall(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method || !SQL_METHODS.has(link.method)) return undefined;
  const first = link.argument(0);
  const text =
    first && ts.isTaggedTemplateExpression(first) ? staticText(first.template) : staticText(first, context.checker);
  if (text === undefined) return undefined;
  const statement = parseSql(text);
  if (!statement) return undefined;
  if (link.method === 'prepare') {
    // prepare() alone runs nothing; the chained run()/get()/all() does, with its own arguments.
    const runner = link.later.find((later) => later.method && ['run', 'get', 'all', 'execute'].includes(later.method));
    if (!runner) return undefined;
    return classifySql(runner.call, statement, runner.call.arguments, context);
  }
  const params = link.call.arguments.slice(1);
  const templateArgs =
    first && ts.isTemplateExpression(first) ? first.templateSpans.map((span) => span.expression) : [];
  return classifySql(link.call, statement, [...params, ...templateArgs], context);
}

/** sql`INSERT …`, prisma.$executeRaw`…`, postgres.js / slonik style tagged templates. */
export function matchSqlTemplate(node: ts.TaggedTemplateExpression, context: MatchContext): ClassifiedCall | undefined {
  const tag = node.tag;
  const name = ts.isIdentifier(tag) ? tag.text : ts.isPropertyAccessExpression(tag) ? tag.name.text : '';
  if (!SQL_TAGS.test(name)) return undefined;
  const text = staticText(node.template);
  if (!text) return undefined;
  const statement = parseSql(text);
  if (!statement) return undefined;
  const args = ts.isTemplateExpression(node.template) ? node.template.templateSpans.map((span) => span.expression) : [];
  return classifySql(node, statement, args, context);
}
