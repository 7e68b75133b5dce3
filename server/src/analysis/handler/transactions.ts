/**
 * Database (and other) transactions around effects, for the crash timeline (report/derive-timeline.ts): an
 * effect inside a transaction that has not committed yet is rolled back by a crash, together with
 * an inbox claim made in the same transaction (docs/model.md, "Transactions").
 *
 * Recognised shapes, all read from the call's receiver (or its `{ transaction }` / `{ session }`
 * option) back to where that value comes from:
 * - a callback's parameter: `prisma.$transaction(async (tx) => …)`, `knex.transaction(async (trx) => …)`,
 *   `dataSource.transaction(async (manager) => …)`, `sql.begin(async (sql) => …)`: it commits when
 *   that call completes;
 * - a value on which `BEGIN` / `START TRANSACTION` is run (`db.query('BEGIN')`), or `startTransaction()`
 *   / `beginTransaction()` is called, or which is made by a call named `transaction()`
 *   (`await knex.transaction()`, `await producer.transaction()`), up to the next `COMMIT`
 *   (`db.query('COMMIT')`, `.commit()`, `.commitTransaction()`) in the same function;
 * - the array form `prisma.$transaction([a, b])`.
 * A transaction handle passed into a helper function is not followed (the helper's parameter is
 * not known to be one).
 */
import { ts } from 'ts-morph';
import type { EffectOccurrence, GuardOccurrence, SettleOccurrence, TransactionScope } from '../../model';
import { forEachStep, type Step } from './steps';
import {
  calledName,
  isFunctionWithBody,
  locationOf,
  rootExpression,
  staticText,
  symbolOf,
  unwrap,
  unwrapAwait,
} from '../source/ast';

export const CALLBACK_TRANSACTION =
  /^(\$transaction|transaction|begin|withTransaction|runInTransaction|transactional|transact)$/;
const MADE_BY_TRANSACTION = /^(transaction|startTransaction|beginTransaction)$/;
const BEGIN_METHOD = /^(startTransaction|beginTransaction)$/;
const COMMIT_METHOD = /^(commit|commitTransaction)$/;
const SQL_METHOD = /^(query|execute|exec|raw|run|none|unsafe|\$executeRaw|\$executeRawUnsafe)$/;
const BEGIN_SQL = /^\s*(begin|start\s+transaction)\b/i;
const COMMIT_SQL = /^\s*(commit|end)\b/i;

/** The occurrences of one handler, as the path enumerator made them from its steps. */
export interface HandlerOccurrences {
  readonly effects: readonly EffectOccurrence[];
  readonly settles: readonly SettleOccurrence[];
  readonly guards: readonly GuardOccurrence[];
}

/** Annotates the effects, settles and guards of a handler with the transaction they run in. */
export function annotateTransactions(steps: Step[], occurrences: HandlerOccurrences, checker: ts.TypeChecker): void {
  const found = new Map<string, TransactionScope>();
  const visit = (node: ts.Node): void => {
    const key = `${node.getSourceFile().fileName}:${node.getStart()}`;
    if (found.has(key)) return;
    const scope = transactionOf(node, checker);
    if (scope) found.set(key, scope);
  };
  forEachStep(steps, (step) => {
    if (step.t === 'effect') visit(step.effect.node);
    else if (step.t === 'settle') visit(step.settle.node);
    else if (step.t === 'if' && step.guard) visit(step.guard.guard.node);
    else if (step.t === 'guarded') visit(step.guard.node);
    else if (step.t === 'try' && step.claim) visit(step.claim.node);
  });
  if (!found.size) return;
  for (const occurrence of [...occurrences.effects, ...occurrences.settles, ...occurrences.guards]) {
    const scope = found.get(`${occurrence.location.filePath}:${occurrence.location.start}`);
    if (scope) occurrence.transaction = scope;
  }
}

/** The transaction a call (an effect, a settle, a guard) runs in, when it can be read. */
function transactionOf(node: ts.Node, checker: ts.TypeChecker): TransactionScope | undefined {
  try {
    return arrayTransaction(node) ?? handleTransaction(node, checker);
  } catch {
    return undefined; // code that does not compile: no transaction is claimed
  }
}

/** `prisma.$transaction([prisma.a.create(…), …])`: every call in the array commits together. */
function arrayTransaction(node: ts.Node): TransactionScope | undefined {
  for (let current: ts.Node = node; current.parent && !ts.isFunctionLike(current.parent); current = current.parent) {
    const parent = current.parent;
    if (
      ts.isArrayLiteralExpression(parent) &&
      parent.parent &&
      ts.isCallExpression(parent.parent) &&
      parent.parent.arguments.includes(parent) &&
      calledName(parent.parent) === '$transaction'
    ) {
      return callTransaction(parent.parent);
    }
  }
  return undefined;
}

function handleTransaction(node: ts.Node, checker: ts.TypeChecker): TransactionScope | undefined {
  const handle = transactionHandle(node);
  if (!handle) return undefined;
  const symbol = symbolOf(handle, checker);
  const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (!symbol || !declaration) return undefined;
  // A callback's parameter: the transaction of the call the callback is passed to.
  if (ts.isParameter(declaration)) {
    const fn = declaration.parent;
    const call = fn.parent;
    if (
      isFunctionWithBody(fn) &&
      call &&
      ts.isCallExpression(call) &&
      call.arguments.some((argument) => unwrap(argument) === fn) &&
      CALLBACK_TRANSACTION.test(calledName(call) ?? '')
    ) {
      return callTransaction(call);
    }
    return undefined;
  }
  if (!ts.isVariableDeclaration(declaration) || declaration.getSourceFile() !== node.getSourceFile()) return undefined;
  return variableTransaction(node, declaration, symbol, checker);
}

/** The value the call runs on: `db` in `db.query(…)`, `sql` in sql`…`, `t` in `{ transaction: t }`. */
function transactionHandle(node: ts.Node): ts.Identifier | undefined {
  if (ts.isTaggedTemplateExpression(node)) {
    const root = rootExpression(node.tag);
    return ts.isIdentifier(root) ? root : undefined;
  }
  if (!ts.isCallExpression(node)) return undefined;
  for (const argument of node.arguments) {
    const object = unwrap(argument);
    if (!ts.isObjectLiteralExpression(object)) continue;
    for (const property of object.properties) {
      const name = property.name && ts.isIdentifier(property.name) ? property.name.text : undefined;
      if (name !== 'transaction' && name !== 'session') continue;
      if (ts.isShorthandPropertyAssignment(property)) return property.name;
      if (ts.isPropertyAssignment(property) && ts.isIdentifier(unwrap(property.initializer)))
        return unwrap(property.initializer) as ts.Identifier;
    }
  }
  const callee = unwrap(node.expression);
  if (!ts.isPropertyAccessExpression(callee) && !ts.isElementAccessExpression(callee)) return undefined;
  const root = rootExpression(callee.expression);
  return ts.isIdentifier(root) ? root : undefined;
}

/**
 * A variable on which a transaction is begun before the call and committed after it, in the
 * function that declares it: the nearest begin before the call, the first commit after it.
 */
function variableTransaction(
  node: ts.Node,
  declaration: ts.VariableDeclaration,
  symbol: ts.Symbol,
  checker: ts.TypeChecker,
): TransactionScope | undefined {
  const scope = enclosingBody(declaration);
  if (!scope || node.getStart() < scope.getStart() || node.getEnd() > scope.getEnd()) return undefined;
  const begins: ts.Node[] = [];
  const commits: ts.Node[] = [];
  const initializer = declaration.initializer && unwrapAwait(declaration.initializer);
  if (initializer && ts.isCallExpression(initializer) && MADE_BY_TRANSACTION.test(calledName(initializer) ?? ''))
    begins.push(initializer);
  const visit = (current: ts.Node): void => {
    if (ts.isCallExpression(current)) {
      const callee = unwrap(current.expression);
      if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(unwrap(callee.expression)) &&
        symbolOf(unwrap(callee.expression), checker) === symbol
      ) {
        const method = callee.name.text;
        const text = SQL_METHOD.test(method) ? staticText(current.arguments[0], checker) : undefined;
        if (BEGIN_METHOD.test(method) || (text !== undefined && BEGIN_SQL.test(text))) begins.push(current);
        else if (COMMIT_METHOD.test(method) || (text !== undefined && COMMIT_SQL.test(text))) commits.push(current);
        else if (method === 'withTransaction') {
          // session.withTransaction(async () => …): a call inside the callback commits with it.
          const callback = current.arguments.map(unwrap).find(isFunctionWithBody);
          if (callback && node.getStart() >= callback.getStart() && node.getEnd() <= callback.getEnd()) {
            begins.push(current);
            commits.push(current);
          }
        }
      }
    }
    ts.forEachChild(current, visit);
  };
  visit(scope);
  const start = node.getStart();
  const begin = begins
    .filter((candidate) => candidate.getStart() <= start)
    .sort((a, b) => b.getStart() - a.getStart())[0];
  if (!begin) return undefined;
  // A commit between the begin and the call closed that transaction before the call.
  if (commits.some((commit) => commit !== begin && commit.getStart() > begin.getEnd() && commit.getEnd() <= start))
    return undefined;
  const commit = commits
    .filter((candidate) => candidate === begin || candidate.getStart() >= node.getEnd())
    .sort((a, b) => a.getStart() - b.getStart())[0];
  const name = (declaration.name as ts.Node).getText();
  return {
    id: `${begin.getSourceFile().fileName}:${begin.getStart()}`,
    label: /transaction|^(tx|trx|t)$/i.test(name) ? name : `${name} transaction`,
    location: locationOf(begin),
    commit: commit ? locationOf(commit) : undefined,
  };
}

/** A transaction that commits when `call` completes (a callback or an array of operations). */
function callTransaction(call: ts.CallExpression): TransactionScope {
  const location = locationOf(call, call.getStart(), call.expression.getEnd());
  return {
    id: `${call.getSourceFile().fileName}:${call.getStart()}`,
    label: `${call.expression.getText().replace(/\s+/g, '')}(…)`,
    location,
    // It commits as the call returns: at its end.
    commit: locationOf(call, Math.max(call.getStart(), call.getEnd() - 1), call.getEnd()),
  };
}

function enclosingBody(node: ts.Node): ts.Node | undefined {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    if (isFunctionWithBody(current)) return current.body;
    if (ts.isSourceFile(current)) return current;
  }
  return undefined;
}
