/**
 * The `non-atomic-dedup` quick-fix: a Redis check-then-record in the handler body
 *
 *     if (await redis.exists(key)) { <skip> }
 *     <work>
 *     await redis.set(key, '1');
 *
 * becomes a claim that is atomic, released on failure and marked done after the work:
 *
 *     const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
 *     if (!claimed) {
 *       const claimState = await redis.get(key);
 *       if (claimState !== null && claimState !== 'processing') { <skip> }   // done before: skip
 *       throw new Error(…);                                                   // in flight: retry later
 *     }
 *     try { <work>; await redis.set(key, 'done'); } catch (error) { await redis.del(key); throw error; }
 *
 * A duplicate that arrives while the first delivery still holds the claim is retried, never skipped:
 * the first one may yet fail and release it. How it is retried depends on the consumer: amqplib
 * nacks it back to the queue, a loop-style consumer leaves it unsettled (it comes back after the
 * visibility timeout), the others throw so the library redelivers it.
 * Only where the shape is mechanical: the check and the record are plain statements of one block,
 * on the same Redis client and key, with no early exit in the work between them.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, EffectOccurrence, FixSuggestion, GuardOccurrence } from '../../model';
import { calledName, receiverOf, unwrap, unwrapAwait } from '../../analysis/source/ast';
import type { SourceReader } from '../../analysis/source/reader';
import { identifierNames, statementInBlock } from './statements';
import { settleWriter } from './settle';
import { detectStyle, indentLines, indentationAt, lineStartOf, quoted } from './style';
import { nodeAt } from '../../analysis/source/locate';

/** Lease of the claim: longer than a normal run, short enough that a crash frees the message soon. */
const CLAIM_LEASE_SECONDS = 300;

interface CheckShape {
  client: string;
  key: ts.Expression;
  /** The statements the claim replaces: the if, and a `const seen = await redis.exists(k)` before it. */
  first: ts.Statement;
  ifStatement: ts.IfStatement;
  block: ts.Block;
}

export function safeClaimFix(
  consumer: ConsumerReport,
  guard: GuardOccurrence,
  record: EffectOccurrence | undefined,
  context: SourceReader,
): FixSuggestion[] {
  if (guard.chain.length || guard.kind !== 'check' || guard.scope !== 'message') return [];
  if (!record || record.chain.length || record.description.category !== 'redis') return [];
  const check = checkShape(context, guard);
  if (!check) return [];
  const recordCall = nodeAt(context, record.location);
  if (
    !recordCall ||
    !ts.isCallExpression(recordCall) ||
    calledName(recordCall) !== 'set' ||
    recordCall.arguments.length < 2
  )
    return [];
  const recordReceiver = receiverOf(recordCall);
  if (
    !recordReceiver ||
    same(recordReceiver.getText(), check.client) === false ||
    !same(recordCall.arguments[0].getText(), check.key.getText())
  )
    return [];
  const recordStatement = statementInBlock(recordCall);
  if (!recordStatement || recordStatement.parent !== check.block || !ts.isExpressionStatement(recordStatement))
    return [];
  const statements = check.block.statements;
  const from = statements.indexOf(check.ifStatement) + 1;
  const to = statements.indexOf(recordStatement);
  const work = statements.slice(from, to);
  if (!work.length || work.some(leavesEarly)) return [];
  // The work moves into a try block: what it declares must not be used after the record.
  const declared = work.flatMap((statement) =>
    ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.flatMap((declaration) => bindingNames(declaration.name))
      : [],
  );
  const after = statements.slice(to + 1);
  if (declared.some((name) => after.some((statement) => identifierNames(statement).has(name)))) return [];

  const sourceFile = check.block.getSourceFile();
  const text = sourceFile.text;
  const style = detectStyle(text);
  const { semicolon: s, newline: n, indentUnit: u } = style;
  const q = (value: string) => quoted(value, style);
  const i = indentationAt(text, check.first.getStart());
  const taken = identifierNames(check.block);
  const hoist = !ts.isIdentifier(unwrap(check.key));
  const keyName = hoist ? freeName('claimKey', taken) : check.key.getText();
  const claimed = freeName('claimed', taken);
  const state = freeName('claimState', taken);
  const errorName = freeName('error', taken);
  const client = check.client;

  const lines: string[] = [];
  if (hoist) lines.push(`const ${keyName} = ${check.key.getText()}${s}`);
  lines.push(
    `// Claim the message atomically, with a short lease so a crash frees it for the redelivery.`,
    `const ${claimed} = await ${client}.set(${keyName}, ${q('processing')}, ${q('EX')}, ${CLAIM_LEASE_SECONDS}, ${q('NX')})${s}`,
    `if (!${claimed}) {`,
    `${u}// Done by an earlier delivery: skip it. Still in flight (or just released): retry it later, never skip it.`,
    `${u}const ${state} = await ${client}.get(${keyName})${s}`,
    `${u}if (${state} !== null && ${state} !== ${q('processing')}) ${seenBranch(check.ifStatement, text, u, i, n)}`,
    ...inFlight(consumer, context, check.ifStatement, style).map((line) => `${u}${line}`),
    `}`,
    `try {`,
  );
  const head = lines.map((line, index) => (index === 0 ? line : `${i}${line}`)).join(n);
  const workStart = lineStartOf(text, work[0].getStart());
  const workText = indentLines(text.slice(workStart, work[work.length - 1].getEnd()), u);
  const done = `${i}${u}await ${client}.set(${[keyName, q('done'), ...recordCall.arguments.slice(2).map((argument) => argument.getText())].join(', ')})${s}`;
  const tail = [
    `${i}} catch (${errorName}) {`,
    `${i}${u}await ${client}.del(${keyName})${s} // release the claim so a retry can run`,
    `${i}${u}throw ${errorName}${s}`,
    `${i}}`,
  ].join(n);
  const filePath = sourceFile.fileName;
  return [
    {
      title: `Replace the check-then-record on ${check.key.getText()} with a Redis claim (SET NX with a lease, released on failure)`,
      safe: false,
      preferred: true,
      edits: [
        {
          filePath,
          start: check.first.getStart(),
          end: recordStatement.getEnd(),
          newText: [head, workText, done, tail].join(n),
        },
      ],
    },
  ];
}

/** `redis.exists(k)` / `redis.get(k)` tested by an if (directly, or through a const just before it) whose then-branch skips. */
function checkShape(context: SourceReader, guard: GuardOccurrence): CheckShape | undefined {
  const call = nodeAt(context, guard.location);
  if (
    !call ||
    !ts.isCallExpression(call) ||
    !/^(exists|get)$/.test(calledName(call) ?? '') ||
    call.arguments.length !== 1
  )
    return undefined;
  const receiver = receiverOf(call);
  if (!receiver) return undefined;
  const statement = statementInBlock(call);
  if (!statement || !ts.isBlock(statement.parent)) return undefined;
  const block = statement.parent;
  let ifStatement: ts.IfStatement | undefined;
  let tested: ts.Node = call;
  if (ts.isIfStatement(statement)) {
    ifStatement = statement;
  } else if (ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
    const declaration = statement.declarationList.declarations[0];
    const next = block.statements[block.statements.indexOf(statement) + 1];
    if (
      !ts.isIdentifier(declaration.name) ||
      !declaration.initializer ||
      unwrapAwait(declaration.initializer) !== call ||
      !next ||
      !ts.isIfStatement(next)
    )
      return undefined;
    // The variable must serve only as the condition.
    const name = declaration.name.text;
    const uses = block.statements.filter(
      (other) => other !== statement && new RegExp(`\\b${name}\\b`).test(other.getText()),
    );
    if (uses.length !== 1 || uses[0] !== next) return undefined;
    ifStatement = next;
    tested = declaration.name;
  }
  if (
    !ifStatement ||
    ifStatement.elseStatement ||
    !seenWhenTruthy(ifStatement.expression, tested) ||
    !alwaysLeaves(ifStatement.thenStatement)
  )
    return undefined;
  return { client: receiver.getText(), key: call.arguments[0], first: statement, ifStatement, block };
}

/** The condition is truthy exactly when the value tested is "seen": `x`, `!!x`, `x === 1`, `x > 0`, `x !== null`. */
function seenWhenTruthy(condition: ts.Expression, tested: ts.Node): boolean {
  let value = unwrap(condition);
  if (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = unwrap(value.operand);
    if (!ts.isPrefixUnaryExpression(inner) || inner.operator !== ts.SyntaxKind.ExclamationToken) return false;
    value = unwrap(inner.operand);
  }
  const isTested = (node: ts.Expression): boolean => {
    const bare = unwrapAwait(node);
    return bare === tested || (ts.isIdentifier(tested) && ts.isIdentifier(bare) && bare.text === tested.text);
  };
  if (isTested(value)) return true;
  if (!ts.isBinaryExpression(value) || !isTested(value.left)) return false;
  const right = unwrap(value.right);
  const operator = value.operatorToken.kind;
  const isNullish = right.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(right) && right.text === 'undefined');
  const positive =
    (ts.isNumericLiteral(right) && Number(right.text) > 0) ||
    (ts.isStringLiteralLike(right) && right.text !== '') ||
    right.kind === ts.SyntaxKind.TrueKeyword;
  if ((operator === ts.SyntaxKind.EqualsEqualsEqualsToken || operator === ts.SyntaxKind.EqualsEqualsToken) && positive)
    return true;
  if (
    (operator === ts.SyntaxKind.ExclamationEqualsEqualsToken || operator === ts.SyntaxKind.ExclamationEqualsToken) &&
    isNullish
  )
    return true;
  if (operator === ts.SyntaxKind.GreaterThanToken && ts.isNumericLiteral(right) && Number(right.text) === 0)
    return true;
  if (operator === ts.SyntaxKind.GreaterThanEqualsToken && ts.isNumericLiteral(right) && Number(right.text) === 1)
    return true;
  return false;
}

function alwaysLeaves(statement: ts.Statement): boolean {
  if (ts.isReturnStatement(statement) || ts.isThrowStatement(statement) || ts.isContinueStatement(statement))
    return true;
  if (!ts.isBlock(statement)) return false;
  const last = statement.statements[statement.statements.length - 1];
  return !!last && (ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isContinueStatement(last));
}

/** A return or continue in the work would skip the 'done' mark: not mechanical. */
function leavesEarly(statement: ts.Statement): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node) || ts.isContinueStatement(node)) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(statement);
  return found;
}

/** The original "seen" branch, one level deeper: it now sits inside `if (!claimed) { … }`. */
function seenBranch(ifStatement: ts.IfStatement, text: string, unit: string, indent: string, newline: string): string {
  const branch = ifStatement.thenStatement;
  if (!ts.isBlock(branch)) return branch.getText();
  const body = branch.statements;
  const start = lineStartOf(text, body[0].getStart());
  return `{${newline}${indentLines(text.slice(start, body[body.length - 1].getEnd()), unit)}${newline}${indent}${unit}}`;
}

/** What a delivery does while another one holds the claim: come back later, never be skipped. */
function inFlight(
  consumer: ConsumerReport,
  context: SourceReader,
  at: ts.Node,
  style: ReturnType<typeof detectStyle>,
): string[] {
  const s = style.semicolon;
  const writer = settleWriter(consumer, context, at);
  if (writer?.nackRequeue && consumer.registration.traits.code?.settle?.via === 'channel') {
    return [
      `${writer.nackRequeue}${s} // back to the queue: redelivered once the other delivery is done or its lease ends`,
      `return${s}`,
    ];
  }
  const handler = nodeAt(context, consumer.handlerRange);
  if (handler && !ts.isFunctionLike(handler)) {
    // A loop-style consumer: leave it unsettled, the broker hands it out again after its timeout.
    const exit = handler.parent && ts.isFunctionLike(handler.parent) ? 'return' : 'continue';
    return [`${exit}${s} // not settled: it comes back after the visibility timeout`];
  }
  return [`throw new Error(${quoted('message is being processed by another delivery: retry later', style)})${s}`];
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) => (ts.isBindingElement(element) ? bindingNames(element.name) : []));
}

function freeName(wanted: string, taken: Set<string>): string {
  let name = wanted;
  for (let index = 2; taken.has(name); index++) name = `${wanted}${index}`;
  taken.add(name);
  return name;
}

function same(a: string, b: string): boolean {
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}
