/**
 * The unique keys a project declares for its tables, where the code shows them: SQL migrations
 * (`CREATE TABLE … PRIMARY KEY / UNIQUE`, `CREATE UNIQUE INDEX`, `ALTER TABLE … ADD … UNIQUE`,
 * in `.sql` files or in strings of the project's code), a Prisma schema (`@id`, `@unique`,
 * `@@id`, `@@unique`, `@@map`, `@map`), TypeORM entities (`@Entity`, `@PrimaryColumn`,
 * `@Column({ unique: true })`, `@Unique`, `@Index(…, { unique: true })`) and Knex migrations
 * (`createTable(t, (table) => … .primary() / .unique())`). A conflict-ignoring insert is offered
 * with the conflict target only where such a key covers it (docs/rules/missing-event-id-check.md).
 *
 * Reads files below the project's root (the nearest folder above the analysed file with a
 * package.json or a tsconfig.json), never
 * node_modules; runs nothing. What it cannot parse it does not report: a key it misses makes the
 * fix say what to check instead of naming a key it has seen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { SourceReader } from '../../analysis/source/reader';

/** Table name (lower case, without schema or quotes) → its unique keys, each a list of column names. */
export type UniqueKeys = Map<string, string[][]>;

const SKIP_DIRECTORIES = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.turbo']);
const MAX_FILES = 4000;
const MAX_BYTES = 512 * 1024;

const cache = new WeakMap<object, Map<string, UniqueKeys>>();

/** The unique keys visible in the project of `filePath`, memoised per program. */
export function projectUniqueKeys(filePath: string, reader: SourceReader): UniqueKeys {
  const root = projectRoot(filePath);
  const owner: object = reader.program ?? reader;
  let byRoot = cache.get(owner);
  if (!byRoot) {
    byRoot = new Map();
    cache.set(owner, byRoot);
  }
  const cached = byRoot.get(root);
  if (cached) return cached;
  const keys: UniqueKeys = new Map();
  for (const file of walk(root)) {
    const text = read(file);
    if (text === undefined) continue;
    if (file.endsWith('.sql')) sqlKeys(text, keys);
    else if (file.endsWith('.prisma')) prismaKeys(text, keys);
    else if (/\.[cm]?[jt]sx?$/.test(file) && !file.endsWith('.d.ts')) codeKeys(file, text, keys);
  }
  byRoot.set(root, keys);
  return keys;
}

function projectRoot(filePath: string): string {
  let directory = path.dirname(filePath);
  for (let depth = 0; depth < 12; depth++) {
    if (fs.existsSync(path.join(directory, 'package.json')) || fs.existsSync(path.join(directory, 'tsconfig.json')))
      return directory;
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return path.dirname(filePath);
}

function* walk(root: string): Generator<string> {
  const pending = [root];
  let count = 0;
  while (pending.length && count < MAX_FILES) {
    const directory = pending.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.'))
          pending.push(path.join(directory, entry.name));
      } else if (entry.isFile() && /\.(sql|prisma|[cm]?[jt]sx?)$/.test(entry.name)) {
        count++;
        yield path.join(directory, entry.name);
      }
    }
  }
}

function read(file: string): string | undefined {
  try {
    if (fs.statSync(file).size > MAX_BYTES) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function add(keys: UniqueKeys, table: string, columns: string[]): void {
  const name = bare(table);
  const key = columns.map(bare).filter(Boolean);
  if (!name || !key.length) return;
  const list = keys.get(name) ?? [];
  if (!list.some((existing) => sameColumns(existing, key))) list.push(key);
  keys.set(name, list);
}

/** `"public"."Orders"` → `orders`. */
export function bare(name: string): string {
  const last = name.trim().split('.').pop() ?? '';
  return last.replace(/["`[\]]/g, '').toLowerCase();
}

export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column) => b.includes(column));
}

function columnList(text: string): string[] {
  return text
    .split(',')
    .map((column) => column.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** The text between the parenthesis at `open` and its match. */
function parenthesized(text: string, open: number): string | undefined {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    if (text[index] === '(') depth++;
    else if (text[index] === ')' && --depth === 0) return text.slice(open + 1, index);
  }
  return undefined;
}

/** Splits on commas outside parentheses. */
function topLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '(') depth++;
    else if (text[index] === ')') depth--;
    else if (text[index] === ',' && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const NAME = '((?:[\\w$]+|"[^"]+"|`[^`]+`)(?:\\.(?:[\\w$]+|"[^"]+"|`[^`]+`))?)';

export function sqlKeys(text: string, keys: UniqueKeys): void {
  const sql = text.replace(/--[^\n]*/g, ' ');
  for (const match of sql.matchAll(new RegExp(`create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?${NAME}\\s*\\(`, 'gi'))) {
    const body = parenthesized(sql, (match.index ?? 0) + match[0].length - 1);
    if (!body) continue;
    for (const part of topLevel(body)) {
      const definition = part.trim();
      const constraint = /^(?:constraint\s+\S+\s+)?(primary\s+key|unique)(?:\s+key)?\s*\(([^)]*)\)/i.exec(definition);
      if (constraint) add(keys, match[1], columnList(constraint[2]));
      else if (
        /\b(primary\s+key|unique)\b/i.test(definition) &&
        !/^(constraint|check|foreign|index|key)\b/i.test(definition)
      )
        add(keys, match[1], [definition.split(/\s+/)[0]]);
    }
  }
  for (const match of sql.matchAll(
    new RegExp(
      `create\\s+unique\\s+index\\s+(?:concurrently\\s+)?(?:if\\s+not\\s+exists\\s+)?(?:${NAME}\\s+)?on\\s+(?:only\\s+)?${NAME}\\s*(?:using\\s+\\w+\\s*)?\\(([^)]*)\\)`,
      'gi',
    ),
  ))
    add(keys, match[2], columnList(match[3]));
  for (const match of sql.matchAll(
    new RegExp(
      `alter\\s+table\\s+(?:only\\s+)?(?:if\\s+exists\\s+)?${NAME}\\s+add\\s+(?:constraint\\s+\\S+\\s+)?(?:primary\\s+key|unique)\\s*\\(([^)]*)\\)`,
      'gi',
    ),
  ))
    add(keys, match[1], columnList(match[2]));
}

export function prismaKeys(text: string, keys: UniqueKeys): void {
  for (const model of text.matchAll(/model\s+(\w+)\s*\{([\s\S]*?)\n\}/g)) {
    const body = model[2];
    const table = /@@map\(\s*"([^"]+)"\s*\)/.exec(body)?.[1] ?? model[1];
    const columns = new Map<string, string>();
    for (const line of body.split('\n')) {
      const field = /^\s*(\w+)\s+\w/.exec(line);
      if (!field || line.trim().startsWith('@@')) continue;
      const column = /@map\(\s*"([^"]+)"\s*\)/.exec(line)?.[1] ?? field[1];
      columns.set(field[1], column);
      if (/@id\b|@unique\b/.test(line)) add(keys, table, [column]);
    }
    for (const compound of body.matchAll(/@@(?:id|unique)\(\s*(?:fields:\s*)?\[([^\]]*)\]/g))
      add(
        keys,
        table,
        compound[1].split(',').map((name) => columns.get(name.trim()) ?? name.trim()),
      );
  }
}

/** SQL in the code's strings, TypeORM entities and Knex `createTable` migrations. */
function codeKeys(file: string, text: string, keys: UniqueKeys): void {
  if (/create\s+(unique\s+index|table)|alter\s+table/i.test(text)) sqlKeys(text, keys);
  if (!/@Entity|createTable|\.primary\(|\.unique\(/.test(text)) return;
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node)) entityKeys(node, keys);
    if (ts.isCallExpression(node) && /\bcreateTable$|\balterTable$|\btable$/.test(node.expression.getText()))
      knexTableKeys(node, keys);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
}

function decorators(node: ts.Node): { name: string; args: readonly ts.Expression[] }[] {
  return (ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : []).flatMap(
    (decorator): { name: string; args: readonly ts.Expression[] }[] => {
      const expression = decorator.expression;
      if (ts.isCallExpression(expression))
        return [{ name: expression.expression.getText(), args: expression.arguments }];
      return [{ name: expression.getText(), args: [] }];
    },
  );
}

function stringOf(expression: ts.Expression | undefined): string | undefined {
  return expression && ts.isStringLiteralLike(expression) ? expression.text : undefined;
}

function objectProperty(expression: ts.Expression | undefined, name: string): ts.Expression | undefined {
  if (!expression || !ts.isObjectLiteralExpression(expression)) return undefined;
  for (const property of expression.properties)
    if (ts.isPropertyAssignment(property) && property.name.getText().replace(/['"]/g, '') === name)
      return property.initializer;
  return undefined;
}

function stringList(expression: ts.Expression | undefined): string[] | undefined {
  if (!expression || !ts.isArrayLiteralExpression(expression)) return undefined;
  const names = expression.elements.map((element) => stringOf(element));
  return names.every((name): name is string => !!name) ? names : undefined;
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** A TypeORM entity class: its table, and the keys its decorators declare. */
function entityKeys(node: ts.ClassDeclaration, keys: UniqueKeys): void {
  const entity = decorators(node).find((decorator) => decorator.name === 'Entity');
  if (!entity || !node.name) return;
  const [first] = entity.args;
  const table = stringOf(first) ?? stringOf(objectProperty(first, 'name')) ?? snakeCase(node.name.text);
  const columnOf = new Map<string, string>();
  for (const member of node.members) {
    if (!ts.isPropertyDeclaration(member) || !member.name) continue;
    const property = member.name.getText();
    let column = property;
    for (const decorator of decorators(member)) {
      const options = decorator.args.find((arg) => ts.isObjectLiteralExpression(arg));
      column = stringOf(objectProperty(options, 'name')) ?? column;
      if (/^Primary(Generated)?Column$/.test(decorator.name)) add(keys, table, [column]);
      if (decorator.name === 'Column' && objectProperty(options, 'unique')?.kind === ts.SyntaxKind.TrueKeyword)
        add(keys, table, [column]);
      if (decorator.name === 'Index' && objectProperty(options, 'unique')?.kind === ts.SyntaxKind.TrueKeyword)
        add(keys, table, [column]);
    }
    columnOf.set(property, column);
  }
  for (const decorator of decorators(node)) {
    const list = decorator.args.map(stringList).find((names) => !!names);
    if (!list) continue;
    const unique =
      decorator.name === 'Unique' ||
      (decorator.name === 'Index' &&
        decorator.args.some((arg) => objectProperty(arg, 'unique')?.kind === ts.SyntaxKind.TrueKeyword));
    if (unique)
      add(
        keys,
        table,
        list.map((name) => columnOf.get(name) ?? name),
      );
  }
}

/** `knex.schema.createTable('t', (table) => { table.string('a').primary(); table.unique(['a', 'b']); })` */
function knexTableKeys(call: ts.CallExpression, keys: UniqueKeys): void {
  const table = stringOf(call.arguments[0]);
  const callback = call.arguments[1];
  if (!table || !callback || !(ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))) return;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if (method === 'primary' || method === 'unique') {
        const list =
          stringList(node.arguments[0]) ?? (stringOf(node.arguments[0]) ? [stringOf(node.arguments[0])!] : undefined);
        if (list) add(keys, table, list);
        else {
          // table.string('event_id').notNullable().primary(): the column of the call the chain starts with
          let inner: ts.Expression = node.expression.expression;
          while (
            ts.isCallExpression(inner) &&
            !stringOf(inner.arguments[0]) &&
            ts.isPropertyAccessExpression(inner.expression)
          )
            inner = inner.expression.expression;
          const column = ts.isCallExpression(inner) ? stringOf(inner.arguments[0]) : undefined;
          if (column) add(keys, table, [column]);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(callback);
}
