/**
 * Fixes that settle a message on one path, for swallowed-failure-ack and unsettled-message:
 * rethrow from a catch, a settle call inserted before an early return or at the end of a block,
 * a settle replaced by another, `return message` for sqs-consumer. Each builds text edits only;
 * the rules decide which apply.
 */
import { ts } from 'ts-morph';
import type { ConsumerReport, FixSuggestion, SettleCode, SettleOccurrence, TextEdit } from '../../model';
import { fillPhrase } from '../describe';
import type { SourceReader } from '../../analysis/source/reader';
import { detectStyle, indentationAt, lineStartOf } from './style';
import { fullLineRange } from './statements';
import { functionOf, nodeAt } from '../../analysis/source/locate';

/**
 * `throw error;` at the end of a catch block, naming the catch variable (adding one if there is none).
 * `replacing`: a settle statement in the catch that acks the failed message; the rethrow takes its
 * place instead of following it (an ack before the throw would still settle the message). Only a
 * settle written as a statement of its own can be taken out; otherwise there is no mechanical fix.
 */
export function rethrowFix(
  clause: ts.CatchClause,
  title: string,
  preferred: boolean,
  replacing?: ts.Node,
): FixSuggestion | undefined {
  const sourceFile = clause.getSourceFile();
  const filePath = sourceFile.fileName;
  const declaration = clause.variableDeclaration;
  if (declaration && !ts.isIdentifier(declaration.name)) return undefined;
  const name = declaration ? (declaration.name as ts.Identifier).text : freeName(clause.block, 'error');
  const edits: TextEdit[] = [];
  if (!declaration) {
    const keywordEnd = clause.getStart(sourceFile) + 'catch'.length;
    edits.push({ filePath, start: keywordEnd, end: keywordEnd, newText: ` (${name})` });
  }
  const style = detectStyle(sourceFile.text);
  const statement = `throw ${name}${style.semicolon}`;
  let removed: ts.Statement | undefined;
  if (replacing) {
    removed = settleStatement(replacing);
    if (!removed || !removed.parent || !ts.isBlock(removed.parent)) return undefined;
  }
  const statements = clause.block.statements.filter((candidate) => candidate !== removed);
  const last = statements[statements.length - 1];
  const lastOfBlock = clause.block.statements[clause.block.statements.length - 1];
  if (removed && removed === lastOfBlock && removed.parent === clause.block) {
    // `catch (e) { log(e); channel.ack(msg); }`: the ack becomes the rethrow.
    edits.push({ filePath, start: removed.getStart(sourceFile), end: removed.getEnd(), newText: statement });
    return { title, safe: false, preferred, edits };
  }
  if (removed) {
    const range = fullLineRange(sourceFile.text, removed);
    edits.push({ filePath, start: range.start, end: range.end, newText: '' });
  }
  if (last && ts.isReturnStatement(last) && !last.expression) {
    // `catch (e) { log(e); return; }`: the return becomes the rethrow.
    edits.push({ filePath, start: last.getStart(sourceFile), end: last.getEnd(), newText: statement });
  } else if (last && (ts.isReturnStatement(last) || ts.isThrowStatement(last))) {
    return undefined;
  } else {
    edits.push(...appendToBlock(clause.block, [statement]));
  }
  return { title, safe: false, preferred, edits };
}

/** The statement a settle call makes on its own (`channel.ack(msg);`, `await message.complete();`). */
export function settleStatement(call: ts.Node): ts.Statement | undefined {
  let node: ts.Node = call;
  while (
    ts.isAwaitExpression(node.parent) ||
    ts.isParenthesizedExpression(node.parent) ||
    ts.isVoidExpression(node.parent)
  )
    node = node.parent;
  return ts.isExpressionStatement(node.parent) ? node.parent : undefined;
}

/** Lines appended at the end of a block, indented like its statements. */
export function appendToBlock(block: ts.Block, lines: string[]): TextEdit[] {
  const sourceFile = block.getSourceFile();
  const text = sourceFile.text;
  const filePath = sourceFile.fileName;
  const style = detectStyle(text);
  const closeBrace = block.getEnd() - 1;
  const last = block.statements[block.statements.length - 1];
  const braceIndent = indentationAt(text, closeBrace);
  const indent = last ? indentationAt(text, last.getStart(sourceFile)) : braceIndent + style.indentUnit;
  const onOwnLine = text.slice(lineStartOf(text, closeBrace), closeBrace).trim() === '';
  if (last && onOwnLine) {
    // After the last statement (and a trailing comment on its line).
    let at = last.getEnd();
    const newline = text.indexOf('\n', at);
    if (newline >= 0 && newline < closeBrace) at = text[newline - 1] === '\r' ? newline - 1 : newline;
    return [
      { filePath, start: at, end: at, newText: lines.map((line) => `${style.newline}${indent}${line}`).join('') },
    ];
  }
  if (onOwnLine) {
    // An empty block whose brace is on its own line.
    const lineStart = lineStartOf(text, closeBrace);
    return [
      {
        filePath,
        start: lineStart,
        end: lineStart,
        newText: lines.map((line) => `${indent}${line}${style.newline}`).join(''),
      },
    ];
  }
  // `{ log(e) }` or `{}` on one line.
  const open = block.getStart(sourceFile) + 1;
  const inner = text.slice(open, closeBrace).trim();
  const joined = [inner && !/[;}]$/.test(inner) ? `${inner};` : inner, ...lines].filter(Boolean).join(' ');
  return [{ filePath, start: open, end: closeBrace, newText: ` ${joined} ` }];
}

/**
 * A statement inserted so it runs just before `statement` (an early `return`, a `continue`): on its
 * own line in a block, or by turning `if (x) return;` into `if (x) { settle; return; }`.
 */
export function insertBefore(statement: ts.Statement, line: string): TextEdit[] {
  const sourceFile = statement.getSourceFile();
  const text = sourceFile.text;
  const filePath = sourceFile.fileName;
  const start = statement.getStart(sourceFile);
  if (ts.isBlock(statement.parent) || ts.isCaseClause(statement.parent) || ts.isDefaultClause(statement.parent)) {
    const lineStart = lineStartOf(text, start);
    if (text.slice(lineStart, start).trim() === '') {
      const style = detectStyle(text);
      return [
        { filePath, start: lineStart, end: lineStart, newText: `${indentationAt(text, start)}${line}${style.newline}` },
      ];
    }
    return [{ filePath, start, end: start, newText: `${line} ` }];
  }
  if (
    ts.isIfStatement(statement.parent) ||
    ts.isIterationStatement(statement.parent, false) ||
    ts.isLabeledStatement(statement.parent)
  ) {
    return [{ filePath, start, end: statement.getEnd(), newText: `{ ${line} ${statement.getText(sourceFile)} }` }];
  }
  return [];
}

/** How to write a settle of the message at a point of the handler, for its library. */
export interface SettleWriter {
  /** `channel.ack(msg)`, `message.ack()`, … (without the statement's semicolon). */
  ack: string;
  /** Nack for redelivery: `channel.nack(msg, false, true)`, `message.nack()`. */
  nackRequeue?: string;
  /** Nack without requeue (amqplib: dead-lettered if the queue has a DLX, dropped otherwise). */
  nackDrop?: string;
  /** Whether the calls need `await` (Redis `xack`). */
  awaited?: boolean;
}

/**
 * The settle calls for the handler, from the library's settle code (model/library.ts): through a
 * channel, copied from a settle the handler already makes before `at` (its channel and message
 * expressions) or else found where the library's code says; as a method of the message parameter;
 * or the handler's own settle call copied.
 */
export function settleWriter(consumer: ConsumerReport, context: SourceReader, at: ts.Node): SettleWriter | undefined {
  const code = consumer.registration.traits.code?.settle;
  if (!code) return undefined;
  const handler = functionOf(at);
  const existing = consumer.settles
    .filter((settle) => settle.chain.length === 0)
    .map((settle) => nodeAt(context, settle.location))
    .filter((node): node is ts.CallExpression => !!node && ts.isCallExpression(node) && functionOf(node) === handler);
  switch (code.via) {
    case 'channel': {
      for (const call of existing) {
        const callee = call.expression;
        const [message] = call.arguments;
        if (!ts.isPropertyAccessExpression(callee) || !message || !/^(ack|nack|reject)$/.test(callee.name.text))
          continue;
        const channel = callee.expression.getText();
        const msg = message.getText();
        if (!inScope(channel, at) || !inScope(msg, at)) continue;
        return writerFor(code, { channel, message: msg });
      }
      if (code.fallback === 'registration') {
        // The handler written inline in channel.consume(queue, (msg) => …): the consume's channel is in scope.
        const consume = nodeAt(context, consumer.registration.location);
        const parameter = handler?.parameters[0];
        if (
          consume &&
          ts.isCallExpression(consume) &&
          ts.isPropertyAccessExpression(consume.expression) &&
          handler &&
          consume.arguments[1] === handler &&
          parameter &&
          ts.isIdentifier(parameter.name)
        ) {
          return writerFor(code, { channel: consume.expression.expression.getText(), message: parameter.name.text });
        }
        return undefined;
      }
      if (code.fallback === 'nest-context' && code.contextChannel && code.contextMessage) {
        const ctx = nestContextName(handler);
        return ctx
          ? writerFor(code, {
              channel: fillPhrase(code.contextChannel, { context: ctx }),
              message: fillPhrase(code.contextMessage, { context: ctx }),
            })
          : undefined;
      }
      return undefined;
    }
    case 'message': {
      const parameter = handler?.parameters[0];
      if (!parameter || !ts.isIdentifier(parameter.name)) return undefined;
      return writerFor(code, { message: parameter.name.text });
    }
    case 'copy':
      // Copy the handler's own settle call (`xack(stream, group, id)`), when it is written in this function.
      for (const call of existing) {
        if (!call.arguments.every((argument) => inScope(argument.getText(), at))) continue;
        return { ack: call.getText(), awaited: ts.isAwaitExpression(call.parent) };
      }
      return undefined;
  }
}

function writerFor(code: SettleCode, values: Record<string, string>): SettleWriter | undefined {
  if (!code.ack) return undefined;
  return {
    ack: fillPhrase(code.ack, values),
    ...(code.nackRequeue ? { nackRequeue: fillPhrase(code.nackRequeue, values) } : {}),
    ...(code.nackDrop ? { nackDrop: fillPhrase(code.nackDrop, values) } : {}),
  };
}

/** The `@Ctx()` parameter of a NestJS handler (the second parameter without decorators). */
function nestContextName(handler: ts.FunctionLikeDeclaration | undefined): string | undefined {
  if (!handler) return undefined;
  const decorated = handler.parameters.find((parameter) =>
    (ts.canHaveDecorators(parameter) ? (ts.getDecorators(parameter) ?? []) : []).some((decorator) =>
      /^Ctx\b/.test(decorator.expression.getText()),
    ),
  );
  const parameter =
    decorated ??
    (handler.parameters.some((p) => ts.canHaveDecorators(p) && (ts.getDecorators(p) ?? []).length)
      ? undefined
      : handler.parameters[1]);
  return parameter && ts.isIdentifier(parameter.name) ? parameter.name.text : undefined;
}

/**
 * Whether the names an expression starts with are usable at `at`: not a local declared later in the
 * same function (`const channel = …` below an early return).
 */
function inScope(expression: string, at: ts.Node): boolean {
  const root = /^[A-Za-z_$][\w$]*/.exec(expression)?.[0];
  if (!root || root === 'this') return true;
  const fn = functionOf(at);
  if (!fn?.body) return true;
  let declaredLater = false;
  const visit = (node: ts.Node): void => {
    if (declaredLater) return;
    if (ts.isVariableDeclaration(node) && bindsName(node.name, root) && node.getStart() > at.getStart())
      declaredLater = true;
    if (!ts.isFunctionLike(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  return !declaredLater;
}

function bindsName(name: ts.BindingName, wanted: string): boolean {
  if (ts.isIdentifier(name)) return name.text === wanted;
  return name.elements.some((element) => ts.isBindingElement(element) && bindsName(element.name, wanted));
}

/** A settle replaced by another call (ack → nack with requeue), keeping its `await` and statement. */
export function replaceSettle(
  settle: SettleOccurrence,
  context: SourceReader,
  replacement: (call: ts.CallExpression) => string | undefined,
): TextEdit[] {
  const call = nodeAt(context, settle.location);
  if (!call || !ts.isCallExpression(call)) return [];
  const text = replacement(call);
  if (!text) return [];
  return [{ filePath: settle.location.filePath, start: call.getStart(), end: call.getEnd(), newText: text }];
}

/** A name not used in a block (for a catch variable that is added). */
function freeName(block: ts.Block, wanted: string): string {
  const used = new Set<string>();
  const visit = (node: ts.Node): void => {
    // `console.error` does not take the name `error`; a variable or a free reference does.
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node))
      used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(block);
  let name = wanted;
  for (let index = 2; used.has(name); index++) name = `${wanted}${index}`;
  return name;
}
