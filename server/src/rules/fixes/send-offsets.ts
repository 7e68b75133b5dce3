/**
 * The `exactly-once-incomplete` quick-fix, for kafkajs `eachMessage`: commit the consumed offset
 * inside the producer's transaction.
 *
 * - `await transaction.sendOffsets({ consumerGroupId, topics: [{ topic, partitions: [{ partition,
 *   offset: (Number(message.offset) + 1).toString() }] }] })` just before `transaction.commit()`
 *   (the committed offset is the next one to read);
 * - `autoCommit: false` in `consumer.run(...)`, so the consumer does not commit on its own;
 * - `commitOffsets(...)` statements in the handler removed (the transaction commits the offset now).
 *
 * Only where it is mechanical: the send and `commit()` are written in the handler on one
 * transaction variable, the group id is a literal or a module constant at the consumer's creation
 * in the same file, and every outside commit is a plain statement.
 */
import { ts } from 'ts-morph';
import type {
  ConsumerReport,
  EffectOccurrence,
  FixSuggestion,
  SettleOccurrence,
  TextEdit,
  TransactionScope,
} from '../../model';
import { calledName, propertyOf, propertyValue, receiverOf, unwrap, unwrapAwait } from '../../analysis/source/ast';
import type { SourceReader } from '../../analysis/source/reader';
import { removeSettleFix } from './remove-settle';
import { detectStyle, indentationAt, lineStartOf } from './style';
import { nodeAt } from '../../analysis/source/locate';

export interface OffsetsFixInput {
  scope?: TransactionScope;
  sends: EffectOccurrence[];
  /** No `sendOffsets` in the transaction: add one before `commit()`. */
  missingOffsets: boolean;
  /** The consumer auto-commits: set `autoCommit: false`. */
  autoCommit: boolean;
  /** `commitOffsets` calls outside the transaction: remove them. */
  outside: SettleOccurrence[];
}

export function sendOffsetsFix(
  consumer: ConsumerReport,
  input: OffsetsFixInput,
  context: SourceReader,
): FixSuggestion[] {
  const { traits, batch, wrapperLocation } = consumer.registration;
  if (!traits.code?.sendOffsetsFix || batch || wrapperLocation) return [];
  const run = nodeAt(context, consumer.registration.location);
  if (!run || !ts.isCallExpression(run)) return [];
  const options = run.arguments[0] && unwrap(run.arguments[0]);
  if (!options || !ts.isObjectLiteralExpression(options)) return [];
  const sourceFile = run.getSourceFile();
  const style = detectStyle(sourceFile.text);
  const edits: TextEdit[] = [];

  if (input.missingOffsets) {
    const added = sendOffsetsEdits(input.sends, run, context, style);
    if (!added) return [];
    edits.push(...added);
  }
  if (input.autoCommit) {
    const off = autoCommitOff(options, style);
    if (!off) return [];
    edits.push(off);
  }
  for (const settle of input.outside) {
    const [removal] = removeSettleFix(settle, context, false);
    if (!removal) return [];
    edits.push(...removal.edits);
  }
  if (!edits.length) return [];
  return [
    {
      title: 'Commit the consumed offset in the transaction (transaction.sendOffsets, autoCommit: false)',
      safe: false,
      preferred: true,
      edits,
    },
  ];
}

function sendOffsetsEdits(
  sends: EffectOccurrence[],
  run: ts.CallExpression,
  context: SourceReader,
  style: ReturnType<typeof detectStyle>,
): TextEdit[] | undefined {
  const send = sends.find((effect) => !effect.chain.length);
  const call = send && nodeAt(context, send.location);
  if (!call || !ts.isCallExpression(call)) return undefined;
  const transaction = receiverOf(call);
  if (!transaction || !ts.isIdentifier(unwrap(transaction))) return undefined;
  const name = unwrap(transaction).getText();
  const commit = commitStatement(call, name);
  if (!commit) return undefined;
  const names = payloadNames(call);
  if (!names) return undefined;
  const { topic, partition, message } = names;
  const group = groupIdOf(run);
  if (!group) return undefined;
  const text = run.getSourceFile().text;
  const indent = indentationAt(text, commit.getStart());
  const topicPart = topic === 'topic' ? 'topic' : `topic: ${topic}`;
  const partitionPart = partition === 'partition' ? 'partition' : `partition: ${partition}`;
  const line =
    `${indent}await ${name}.sendOffsets({ consumerGroupId: ${group}, topics: [{ ${topicPart}, partitions: [{ ${partitionPart}, offset: (Number(${message}.offset) + 1).toString() }] }] })${style.semicolon}` +
    style.newline;
  const at = lineStartOf(text, commit.getStart());
  const edits: TextEdit[] = [{ filePath: run.getSourceFile().fileName, start: at, end: at, newText: line }];
  if (names.binding) edits.unshift(names.binding);
  return edits;
}

/**
 * How the handler names the payload's topic, partition and message: `payload.topic` for a plain
 * parameter, the destructured names for `({ topic, partition, message })`, adding the missing ones
 * to the pattern (under another name where the body already uses `topic` or `partition`).
 */
function payloadNames(
  at: ts.Node,
): { topic: string; partition: string; message: string; binding?: TextEdit } | undefined {
  let handler: ts.Node | undefined = at.parent;
  while (handler && !ts.isFunctionLike(handler)) handler = handler.parent;
  if (!handler || !ts.isFunctionLike(handler)) return undefined;
  const parameter = (handler as ts.FunctionLikeDeclaration).parameters[0];
  if (!parameter) return undefined;
  if (ts.isIdentifier(parameter.name)) {
    const payload = parameter.name.text;
    return { topic: `${payload}.topic`, partition: `${payload}.partition`, message: `${payload}.message` };
  }
  if (!ts.isObjectBindingPattern(parameter.name)) return undefined;
  const pattern = parameter.name;
  const local = (property: string): string | undefined => {
    for (const element of pattern.elements) {
      const key = element.propertyName ?? element.name;
      if (ts.isIdentifier(key) && key.text === property && ts.isIdentifier(element.name)) return element.name.text;
    }
    return undefined;
  };
  const message = local('message');
  if (!message || pattern.elements.some((element) => element.dotDotDotToken)) return undefined;
  const bodyText = (handler as ts.FunctionLikeDeclaration).body?.getText() ?? '';
  const added: string[] = [];
  const name = (property: string, fallback: string): string => {
    const existing = local(property);
    if (existing) return existing;
    if (!new RegExp(`\\b${property}\\b`).test(bodyText)) {
      added.push(property);
      return property;
    }
    added.push(`${property}: ${fallback}`);
    return fallback;
  };
  const topic = name('topic', 'consumedTopic');
  const partition = name('partition', 'consumedPartition');
  const sourceFile = handler.getSourceFile();
  const start = pattern.elements[0].getStart();
  const binding = added.length
    ? { filePath: sourceFile.fileName, start, end: start, newText: `${added.join(', ')}, ` }
    : undefined;
  return { topic, partition, message, binding };
}

/** `await transaction.commit();` after the send, a plain statement of the same function. */
function commitStatement(send: ts.CallExpression, name: string): ts.Statement | undefined {
  let fn: ts.Node | undefined = send.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  if (!fn) return undefined;
  let found: ts.Statement | undefined;
  const visit = (node: ts.Node): void => {
    if (found || (ts.isFunctionLike(node) && node !== fn)) return;
    if (ts.isExpressionStatement(node) && node.getStart() > send.getEnd() && ts.isBlock(node.parent)) {
      const value = unwrapAwait(node.expression);
      if (ts.isCallExpression(value) && calledName(value) === 'commit' && receiverOf(value)?.getText() === name) {
        found = node;
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(fn);
  return found;
}

/**
 * The consumer's group id, as code usable in the handler: the literal, or a module-level constant,
 * given where the consumer `run` is called on was created (`kafka.consumer({ groupId })`, same file).
 */
function groupIdOf(run: ts.CallExpression): string | undefined {
  const receiver = receiverOf(run);
  if (!receiver || !ts.isIdentifier(unwrap(receiver))) return undefined;
  const name = unwrap(receiver).getText();
  const sourceFile = run.getSourceFile();
  let creation: ts.CallExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (creation) return;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name && node.initializer) {
      const value = unwrapAwait(node.initializer);
      if (ts.isCallExpression(value) && calledName(value) === 'consumer') creation = value;
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  const config = creation?.arguments[0] && unwrap(creation.arguments[0]);
  if (!config || !ts.isObjectLiteralExpression(config)) return undefined;
  const group = propertyValue(config, 'groupId');
  if (!group) {
    // `{ groupId }` shorthand: a constant of that name.
    const shorthand = propertyOf(config, 'groupId');
    return shorthand && ts.isShorthandPropertyAssignment(shorthand) && isModuleConstant(sourceFile, 'groupId')
      ? 'groupId'
      : undefined;
  }
  const value = unwrap(group);
  if (ts.isStringLiteralLike(value)) return value.getText();
  if (ts.isIdentifier(value) && isModuleConstant(sourceFile, value.text)) return value.text;
  return undefined;
}

function isModuleConstant(sourceFile: ts.SourceFile, name: string): boolean {
  return sourceFile.statements.some(
    (statement) =>
      ts.isVariableStatement(statement) &&
      (statement.declarationList.flags & ts.NodeFlags.Const) !== 0 &&
      statement.declarationList.declarations.some(
        (declaration) => ts.isIdentifier(declaration.name) && declaration.name.text === name,
      ),
  );
}

/** `autoCommit: true` → `autoCommit: false`, or `autoCommit: false,` added before the handler. */
function autoCommitOff(
  options: ts.ObjectLiteralExpression,
  style: ReturnType<typeof detectStyle>,
): TextEdit | undefined {
  const filePath = options.getSourceFile().fileName;
  const existing = propertyOf(options, 'autoCommit');
  if (existing) {
    if (!ts.isPropertyAssignment(existing)) return undefined;
    const value = unwrap(existing.initializer);
    if (value.kind !== ts.SyntaxKind.TrueKeyword) return undefined;
    return { filePath, start: value.getStart(), end: value.getEnd(), newText: 'false' };
  }
  const first = options.properties[0];
  if (!first) return undefined;
  const text = options.getSourceFile().text;
  const multiline = text.slice(options.getStart(), first.getStart()).includes('\n');
  const newText = multiline
    ? `autoCommit: false,${style.newline}${indentationAt(text, first.getStart())}`
    : 'autoCommit: false, ';
  return { filePath, start: first.getStart(), end: first.getStart(), newText };
}
