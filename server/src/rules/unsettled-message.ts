/**
 * unsettled-message: a consumer whose unsettled messages are held, not retried, has a path that
 * completes normally without settling the message (docs/rules/unsettled-message.md): an early `return` on bad
 * input, falling off the end, a `catch` that only logs. Held means: amqplib and NestJS RMQ in
 * manual-ack mode (until the channel closes, blocking the prefetch window), Pub/Sub (while the
 * client extends the lease), Redis streams (pending forever without a claimer), sqs-consumer 14+
 * handlers that resolve without returning the message (never deleted, back forever). Not SQS
 * receive loops, JetStream, Service Bus or Kafka, where not settling is the broker's timed retry.
 *
 * An exception escaping the handler is the failure path, not this rule, except with NestJS RMQ in
 * manual-ack mode, where Nest catches it and leaves the message unacked. Reported on the path's
 * exit: the `return` (or `continue`), or the handler's closing brace when it falls off the end.
 */
import { ts } from 'ts-morph';
import type {
  ConsumerReport,
  EffectOccurrence,
  FixSuggestion,
  HeldUnsettled,
  WitnessedExit,
  RelatedLocation,
  SourceLocation,
} from '../model';
import { isAsyncFunction, locationOf } from '../analysis/source/ast';
import { consumerName, failureOutcome, heldUnsettled, registrationRelated } from './describe';
import type { SourceReader } from '../analysis/source/reader';
import { appendToBlock, insertBefore, rethrowFix, settleWriter } from './fixes/settle';
import { detectStyle } from './fixes/style';
import { catchClauseAt } from './locate';
import { blockAlwaysExits } from '../analysis/source/ast';
import { Rule, RuleContext, RuleReport, docsUrl } from './rule';
import { functionOf, nodeAt, nodeContaining, placesOf, reachedWithin } from '../analysis/source/locate';

const ID = 'unsettled-message';

type MessageId =
  | 'notReturned'
  | 'exitUnsettled'
  | 'exitUnsettledAfterFailure'
  | 'throwUnsettled'
  | 'throwUnsettledAfterFailure'
  | 'exceptionUnsettled';

const SETTLE_IT = 'Settle it on this path: nack it, or ack bad input after routing it to a dead-letter queue.';
const NACK_IT = 'Nack it for redelivery on this path (or rethrow where the library retries).';
const THROWN =
  '{{consumer}}: this throw leaves the handler without acking or nacking the message; {{caughtBy}} catches the exception and does not settle it{{afterCatch}}. {{held}}. ';

export const unsettledMessage: Rule<MessageId> = {
  meta: {
    id: ID,
    defaultSeverity: 'error',
    description:
      'A path of the handler completes without settling the message, on a broker that holds unsettled messages instead of retrying them.',
    rationale:
      'RabbitMQ (manual ack), Pub/Sub, Redis streams and sqs-consumer 14+ do not retry a message the handler leaves unsettled: it is held (blocking the prefetch window, pending forever) or, for sqs-consumer, never deleted and delivered again forever, so consumers stall or loop instead of processing or dead-lettering it.',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: [
      'Settle the message on that path (nack it, or ack bad input after routing it to a dead-letter queue)',
      'Return the message from the sqs-consumer handler',
    ],
    messages: {
      notReturned:
        'This path does not return the message: it is never deleted and keeps coming back. {{consumer}}: {{exit}} resolves without returning the {{messages}}{{afterCatch}}. {{held}}. ' +
        'Return the message when it is done (after routing bad input to a dead-letter queue), or throw to have it retried.',
      exitUnsettled: `This path ends without settling the message: the broker holds it instead of retrying it. {{consumer}}: {{exit}} without acking or nacking the message{{afterCatch}}. {{held}}. ${SETTLE_IT}`,
      exitUnsettledAfterFailure: `After a failure this path ends without settling the message: it is held, not retried. {{consumer}}: {{exit}} without acking or nacking the message{{afterCatch}}. {{held}}. ${NACK_IT}`,
      throwUnsettled:
        'This throw leaves the message unsettled: the library catches it and the message is held. ' +
        THROWN +
        SETTLE_IT,
      throwUnsettledAfterFailure:
        'After a failure this throw leaves the message unsettled: it is held, not retried. ' + THROWN + NACK_IT,
      exceptionUnsettled:
        'An exception here leaves the message unsettled: it is caught, not nacked, and held. {{consumer}}: if {{effect}} throws, the exception leaves the handler before the message is settled; {{caughtBy}} catches it and does not nack it. ' +
        '{{held}}. Wrap the processing in try/catch and nack the message in the catch.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    const held = heldUnsettled(consumer);
    // Registered by unseen code: it may settle what the handler leaves unsettled (docs/model.md,
    // "Handlers registered outside the project").
    if (!held || consumer.incomplete || consumer.registration.outside) return;
    const reported = new Set<string>();
    for (const path of consumer.flow.exits) {
      if (settled(path, held)) continue;
      if (path.exit === 'throw' && !held.exceptionCaughtBy) continue;
      // A call the analysis could not follow may have settled it, or code it does not see that
      // was handed the message (not where only the handler's return settles it).
      if (path.unknown) continue;
      if (path.handedOff && held.kind !== 'until-returned') continue;
      const exit = exitOf(consumer, path, context.source);
      if (!exit) continue;
      if (exit.node && noContextMessageGuard(exit.node)) continue;
      // `if (!channel || !message) throw …`: without them there is nothing to settle with.
      if (exit.node && missingSettleOperand(consumer, exit.node, context.source)) continue;
      const key = `${exit.location.filePath}:${exit.location.start}`;
      if (reported.has(key)) continue;
      reported.add(key);
      context.report({
        ...messageFor(consumer, held, path, exit),
        location: exit.location,
        related: relatedFor(consumer, path),
        fixes: fixesFor(consumer, held, path, exit, context.source),
      });
    }
    if (held.exceptionCaughtBy) reportEscapingExceptions(consumer, held, context, reported);
  },
};

function settled(path: WitnessedExit, held: HeldUnsettled): boolean {
  if (held.kind === 'until-returned') return path.exit === 'throw' || path.returnsMessage;
  return path.settled;
}

interface Exit {
  location: SourceLocation;
  /** The return/continue/break/throw statement, when the path leaves by one. */
  node?: ts.Statement;
  /** The handler's body block, when the path falls off its end. */
  body?: ts.Block;
  /** The path falls off the end right after this call into a helper returned without settling. */
  via?: { location: SourceLocation; callee: string };
}

/** Where a path leaves: its exit statement, or the closing brace of the handler (or loop body). */
function exitOf(consumer: ConsumerReport, path: WitnessedExit, context: SourceReader): Exit | undefined {
  const exitLocation = path.location;
  if (exitLocation) {
    const node = nodeContaining(
      context,
      exitLocation,
      (candidate): candidate is ts.Statement =>
        (ts.isReturnStatement(candidate) ||
          ts.isContinueStatement(candidate) ||
          ts.isBreakStatement(candidate) ||
          ts.isThrowStatement(candidate)) &&
        candidate.getStart() === exitLocation.start,
    );
    return { location: exitLocation, node };
  }
  if (path.exit === 'throw') return undefined; // an exception from a call: reported by reportEscapingExceptions
  // The helper that left it unsettled is where to look: reported on the handler's call into it.
  if (path.via) return { location: path.via.location, via: path.via };
  const body = handlerBody(consumer, context);
  if (!body) return { location: consumer.handlerLocation };
  if (!ts.isBlock(body)) return { location: locationOf(body) };
  return { location: locationOf(body, body.getEnd() - 1, body.getEnd()), body };
}

/** The body of the function (or loop) that handles one message. */
function handlerBody(consumer: ConsumerReport, context: SourceReader): ts.ConciseBody | ts.Statement | undefined {
  // Through a wrapper, the path runs through the wrapper's own callback, given to the library there.
  if (consumer.registration.wrapperLocation) {
    const registration = nodeAt(context, consumer.registration.wrapperLocation);
    const callback =
      registration && ts.isCallExpression(registration)
        ? registration.arguments.find((argument) => ts.isFunctionLike(argument))
        : undefined;
    return callback && ts.isFunctionLike(callback) ? (callback as ts.FunctionLikeDeclaration).body : undefined;
  }
  const node = nodeAt(context, consumer.handlerRange);
  if (!node) return undefined;
  if (ts.isFunctionLike(node)) return (node as ts.FunctionLikeDeclaration).body;
  return ts.isStatement(node) ? node : undefined;
}

/**
 * `if (!context.getChannelRef() || !context.getMessage()) throw …`: a NestJS context with no channel
 * or no message has nothing to settle, so the exit under that test leaves nothing held.
 */
function noContextMessageGuard(exit: ts.Statement): boolean {
  for (let node: ts.Node = exit; node.parent && !ts.isFunctionLike(node.parent); node = node.parent) {
    const parent = node.parent;
    if (!ts.isIfStatement(parent) || parent.thenStatement !== node) continue;
    const operands: ts.Expression[] = [];
    const collect = (expression: ts.Expression): void => {
      const value = ts.isParenthesizedExpression(expression) ? expression.expression : expression;
      if (ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
        collect(value.left);
        collect(value.right);
      } else operands.push(value);
    };
    collect(parent.expression);
    return operands.every(
      (operand) =>
        ts.isPrefixUnaryExpression(operand) &&
        operand.operator === ts.SyntaxKind.ExclamationToken &&
        ts.isCallExpression(operand.operand) &&
        ts.isPropertyAccessExpression(operand.operand.expression) &&
        ['getMessage', 'getChannelRef'].includes(operand.operand.expression.name.text),
    );
  }
  return false;
}

/**
 * Whether the exit runs only when what the handler settles with is missing: it sits under
 * `if (!channel || !context.getMessage())` (or `x == null`), every operand of which is the
 * receiver or an argument of one of the consumer's settle calls (or what such a name was set to).
 */
function missingSettleOperand(consumer: ConsumerReport, exit: ts.Statement, context: SourceReader): boolean {
  const operands = new Set<string>();
  for (const settle of consumer.settles) {
    const call = nodeAt(context, settle.location, ts.isCallExpression);
    if (!call) continue;
    const callee = call.expression;
    const parts = [...call.arguments, ...(ts.isPropertyAccessExpression(callee) ? [callee.expression] : [])];
    for (const part of parts) {
      operands.add(compact(part.getText()));
      if (ts.isIdentifier(part)) {
        const initializer = localInitializer(part);
        if (initializer) operands.add(compact(initializer.getText()));
      }
    }
  }
  if (!operands.size) return false;
  const handler = functionOf(exit);
  for (let node: ts.Node = exit; node.parent && node !== handler; node = node.parent) {
    const parent = node.parent;
    if (ts.isIfStatement(parent) && parent.thenStatement === node) {
      const tested = missingChecks(parent.expression);
      if (tested?.length && tested.every((text) => operands.has(text))) return true;
    }
  }
  return false;
}

/** The operands of `!a || b == null || …`, or undefined when the condition is anything else. */
function missingChecks(condition: ts.Expression): string[] | undefined {
  let expression = condition;
  while (ts.isParenthesizedExpression(expression)) expression = expression.expression;
  if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
    const left = missingChecks(expression.left);
    const right = missingChecks(expression.right);
    return left && right ? [...left, ...right] : undefined;
  }
  if (ts.isPrefixUnaryExpression(expression) && expression.operator === ts.SyntaxKind.ExclamationToken)
    return [compact(expression.operand.getText())];
  if (
    ts.isBinaryExpression(expression) &&
    [ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.EqualsEqualsEqualsToken].includes(expression.operatorToken.kind)
  ) {
    const nullish = (side: ts.Expression): boolean =>
      side.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(side) && side.text === 'undefined');
    if (nullish(expression.right)) return [compact(expression.left.getText())];
    if (nullish(expression.left)) return [compact(expression.right.getText())];
  }
  return undefined;
}

/** `const channel = context.getChannelRef()` in the function around a name: its initializer. */
function localInitializer(name: ts.Identifier): ts.Expression | undefined {
  const fn = functionOf(name);
  if (!fn?.body) return undefined;
  let found: ts.Expression | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === name.text &&
      node.initializer
    ) {
      let value = node.initializer;
      while (ts.isAwaitExpression(value) || ts.isParenthesizedExpression(value)) value = value.expression;
      found = value;
      return;
    }
    if (!ts.isFunctionLike(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  return found;
}

function compact(text: string): string {
  return text.replace(/\s+/g, '').replace(/\?\./g, '.');
}

/** The message for a path that leaves the message unsettled: which exit, and whether a failure was caught on the way. */
function messageFor(
  consumer: ConsumerReport,
  held: HeldUnsettled,
  path: WitnessedExit,
  exit: Exit,
): Pick<RuleReport<MessageId>, 'messageId' | 'data'> {
  const caught = path.lastCaught;
  const base = {
    consumer: consumerName(consumer),
    afterCatch: caught ? ` (after the catch on line ${caught.location.line})` : '',
    held: capitalize(held.explanation),
  };
  if (path.exit === 'throw') {
    return {
      messageId: caught?.enclosesProcessing ? 'throwUnsettledAfterFailure' : 'throwUnsettled',
      data: { ...base, caughtBy: held.exceptionCaughtBy ?? 'the library' },
    };
  }
  if (held.kind === 'until-returned') {
    return {
      messageId: 'notReturned',
      data: {
        ...base,
        exit: exit.node ? 'this return' : 'the handler',
        messages: consumer.registration.batch ? 'messages' : 'message',
      },
    };
  }
  const how = exit.node
    ? `this ${exit.node.getFirstToken()?.getText() ?? 'exit'} leaves the handler`
    : exit.via
      ? `the handler reaches its end after ${exit.via.callee}() returns`
      : 'the handler reaches its end';
  return {
    messageId: caught?.enclosesProcessing ? 'exitUnsettledAfterFailure' : 'exitUnsettled',
    data: { ...base, exit: how },
  };
}

function relatedFor(consumer: ConsumerReport, path: WitnessedExit): RelatedLocation[] {
  const related: RelatedLocation[] = [];
  const caught = path.lastCaught;
  if (caught) related.push({ location: caught.location, message: 'the catch this path goes through' });
  for (const settle of consumer.settles.slice(0, 3))
    related.push({ location: settle.location, message: `${settle.label} settles the message on other paths` });
  related.push(registrationRelated(consumer));
  return related;
}

// ---- fixes -----------------------------------------------------------------------------------

function fixesFor(
  consumer: ConsumerReport,
  held: HeldUnsettled,
  path: WitnessedExit,
  exit: Exit,
  context: SourceReader,
): FixSuggestion[] {
  if (path.exit === 'throw') return [];
  const caught = path.lastCaught;
  const clause = caught ? catchClauseAt(context, caught.location) : undefined;
  // Where the settle goes: before the exit statement, or at the end of the catch (or of the handler).
  let place: { before?: ts.Statement; append?: ts.Block } | undefined;
  if (exit.node) place = { before: exit.node };
  else if (
    clause &&
    !blockAlwaysExits(clause.block) &&
    !consumer.settles.some((settle) => reachedWithin(settle, clause.block))
  )
    place = { append: clause.block };
  else if (
    exit.body &&
    !consumer.settles.length &&
    !(held.kind === 'until-returned' && consumer.flow.exits.some((other) => other.returnsMessage))
  )
    place = { append: exit.body };
  if (!place) return [];
  const anchor = place.before ?? place.append!;
  const style = detectStyle(anchor.getSourceFile().text);
  const statement = (text: string): string => `${text}${style.semicolon}`;
  const edit = (text: string): FixSuggestion['edits'] =>
    place.before ? insertBefore(place.before, statement(text)) : appendToBlock(place.append!, [statement(text)]);
  const failure = !!caught?.enclosesProcessing;

  if (held.kind === 'until-returned') {
    if (failure && clause) {
      const rethrow = rethrowFix(clause, `Rethrow the error so ${failureOutcome(consumer)}`, true);
      return rethrow ? [rethrow] : [];
    }
    const handler = functionOf(anchor);
    const parameter = handler?.parameters[0];
    if (!parameter || !ts.isIdentifier(parameter.name)) return [];
    const name = parameter.name.text;
    const what = consumer.registration.batch ? 'messages' : 'message';
    const deletes = `${consumer.registration.library} deletes ${what === 'message' ? 'it' : 'them'}`;
    if (exit.node && ts.isReturnStatement(exit.node)) {
      if (exit.node.expression) return [];
      return [
        {
          title: `Return the ${what} so ${deletes}`,
          safe: false,
          preferred: true,
          edits: [
            {
              filePath: exit.location.filePath,
              start: exit.node.getStart(),
              end: exit.node.getEnd(),
              newText: statement(`return ${name}`),
            },
          ],
        },
      ];
    }
    if (place.append && place.append === exit.body) {
      return [
        {
          title: `Return the ${what} so ${deletes}`,
          safe: false,
          preferred: true,
          edits: appendToBlock(place.append, [statement(`return ${name}`)]),
        },
      ];
    }
    return [];
  }

  const writer = settleWriter(consumer, context, anchor);
  if (!writer) return [];
  const prefix = writer.awaited && functionOf(anchor) && isAsyncFunction(functionOf(anchor)!) ? 'await ' : '';
  const fixes: FixSuggestion[] = [];
  if (failure) {
    if (writer.nackRequeue)
      fixes.push({
        title: `Nack the message for redelivery on this path (${writer.nackRequeue})`,
        safe: false,
        preferred: true,
        edits: edit(prefix + writer.nackRequeue),
      });
    return fixes;
  }
  if (writer.nackDrop) {
    fixes.push({
      title: `Reject the message on this path (${writer.nackDrop}: dead-lettered if the queue has a dead-letter exchange)`,
      safe: false,
      preferred: true,
      edits: edit(prefix + writer.nackDrop),
    });
  } else if (writer.nackRequeue) {
    fixes.push({
      title: `Nack the message on this path (${writer.nackRequeue}: redelivered, or dead-lettered by the subscription's policy)`,
      safe: false,
      preferred: true,
      edits: edit(prefix + writer.nackRequeue),
    });
  }
  fixes.push({
    title: `Ack the message on this path (${writer.ack}; route bad input to a dead-letter queue first)`,
    safe: false,
    preferred: !fixes.length,
    edits: edit(prefix + writer.ack),
  });
  return fixes;
}

/**
 * NestJS RMQ in manual-ack mode: an exception escaping the handler is caught by Nest, which does not
 * nack it. Reported once, on the first awaited processing call before the path's settle whose
 * failure can reach the handler's caller: not a synchronous publish (it returns the write buffer's
 * state; it throws only on a closed channel, which returns every unacked message anyway), and not
 * an effect whose failure a try/catch of the handler encloses, or that is caught deeper, on the way
 * from the handler to the effect, by a catch that does not rethrow or inside `Promise.allSettled`
 * (docs/model.md, "NestJS").
 */
function reportEscapingExceptions(
  consumer: ConsumerReport,
  held: HeldUnsettled,
  context: RuleContext<MessageId>,
  reported: Set<string>,
): void {
  for (const effect of consumer.flow.escapeCandidates) {
    if (effect.description.category === 'publish' && effect.description.synchronous) continue;
    const call = nodeAt(context.source, effect.handlerLocation);
    if (!call || insideCatchingTry(call) || caughtOnTheWay(effect, context.source)) continue;
    const key = `${effect.handlerLocation.filePath}:${effect.handlerLocation.start}`;
    if (reported.has(key)) return;
    reported.add(key);
    context.report({
      messageId: 'exceptionUnsettled',
      data: {
        consumer: consumerName(consumer),
        effect: effect.description.label,
        caughtBy: held.exceptionCaughtBy ?? 'the library',
        held: capitalize(held.explanation),
      },
      location: effect.handlerLocation,
      related: [
        { location: effect.location, message: `${effect.description.label} may throw` },
        registrationRelated(consumer),
      ],
      fixes: [],
    });
    return;
  }
}

/** The effect's failure is caught before it reaches the handler: by a catch that does not rethrow, or by `Promise.allSettled`. */
function caughtOnTheWay(effect: EffectOccurrence, source: SourceReader): boolean {
  return placesOf(effect).some((place) => {
    const node = nodeAt(source, place);
    if (!node) return false;
    // Through the callbacks written inline (`Promise.allSettled(items.map((item) => send(item)))`),
    // up to the function that holds the call.
    for (let current: ts.Node = node; current.parent; current = current.parent) {
      if (ts.isFunctionLike(current) && !isInlineCallback(current)) return false;
      const parent = current.parent;
      if (
        ts.isTryStatement(parent) &&
        parent.tryBlock === current &&
        parent.catchClause &&
        !rethrows(parent.catchClause.block)
      )
        return true;
      if (ts.isCallExpression(parent) && parent.arguments.includes(current as ts.Expression)) {
        const callee = parent.expression;
        if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'allSettled') return true;
      }
    }
    return false;
  });
}

function isInlineCallback(node: ts.Node): boolean {
  return (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isCallExpression(node.parent);
}

/** A catch block that may throw again: a `throw` statement in it (not in a nested function). */
function rethrows(block: ts.Block): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isThrowStatement(node)) found = true;
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(block, visit);
  return found;
}

function insideCatchingTry(node: ts.Node): boolean {
  for (let current: ts.Node = node; current.parent && !ts.isFunctionLike(current); current = current.parent) {
    const parent = current.parent;
    if (ts.isTryStatement(parent) && parent.tryBlock === current && parent.catchClause) return true;
  }
  return false;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
