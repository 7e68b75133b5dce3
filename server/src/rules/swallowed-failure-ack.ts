/**
 * swallowed-failure-ack: the message's processing fails and the message is settled as if it had
 * succeeded (docs/rules/swallowed-failure-ack.md; docs/model.md, "Failure routing and handing failures on", "Settles"):
 *
 * - a `catch` of a try that encloses the processing effects (in the handler, in a helper it calls,
 *   or in a wrapper) hands nothing on, and the path's first settle is positive (reported on that
 *   settle), or, for consumers the library settles on return, the handler returns normally
 *   (reported on the catch, or on the handler's call into the helper holding it);
 * - an unconditional ack in a `finally` that a failure reaches (reported on the ack);
 * - on such a failure path, a settle that drops the message (amqplib nack/reject without requeue and
 *   no dead-letter exchange for the queue, JetStream `term()`) with nothing handed on first.
 *
 * Not failures of the processing as a whole: a catch around parsing or validation alone, a `.catch()`
 * on one promise, a try around one step after which processing goes on (best effort). Only the first
 * settle after the failure is judged; a second one is `double-ack`'s.
 */
import { ts } from 'ts-morph';
import type {
  ConsumerReport,
  EffectOccurrence,
  FixSuggestion,
  FailureOutcome,
  FlowFacts,
  RelatedLocation,
  SettleOccurrence,
  SourceLocation,
  SettleCode,
} from '../model';
import { isFailureRouting, isPositiveSettle } from '../analysis/report/ordering';
import {
  consumerName,
  effectPhrase,
  failureOutcome,
  fillPhrase,
  listPhrases,
  registrationRelated,
  settleMeaning,
  thrownFailureRedelivers,
} from './describe';
import { appendToBlock, rethrowFix, replaceSettle } from './fixes/settle';
import type { SourceReader } from '../analysis/source/reader';
import { catchSiteAt, conditionalWithin, enclosingFinally } from './locate';
import { blockAlwaysExits } from '../analysis/source/ast';
import type { CatchSite } from '../analysis/source/catches';
import { Rule, RuleContext, RuleReport, docsUrl } from './rule';
import { functionOf, locationWithin, nodeAt, reachedWithin, within } from '../analysis/source/locate';

const ID = 'swallowed-failure-ack';

type MessageId = 'ackAfterCaughtFailure' | 'returnAfterCaughtFailure' | 'dropAfterFailure' | 'ackInFinally';

export const swallowedFailureAck: Rule<MessageId> = {
  meta: {
    id: ID,
    defaultSeverity: 'error',
    description:
      'A failure of the processing is caught and the message is then acked (or returned from normally) as if it had succeeded.',
    rationale:
      'Breaks at-least-once delivery: the broker only redelivers messages that were not acked, so a failure that is caught, logged and acked is never retried and its work is silently lost (an order never fulfilled, a payment never recorded).',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: [
      'Rethrow the error from the catch',
      'Nack the message with requeue on the failure path',
      'Route the message to a dead-letter queue',
    ],
    messages: {
      ackAfterCaughtFailure:
        'A failure is caught and the message acked anyway: it is never retried, the work is lost. {{consumer}}: when {{work}} {{fails}}, {{catch}} hands the failure on to nothing (no rethrow, nack or dead-letter) and {{settle}} then settles the message as if it had been processed. ' +
        'The broker will not redeliver it, so the failed work is silently lost. Rethrow, nack it for redelivery, or route it to a dead-letter queue.',
      returnAfterCaughtFailure:
        'A failure is caught and the handler returns normally: the message is never retried. {{consumer}}: {{catch}} swallows a failure of {{work}}; the handler then returns normally, so {{settled}} and the message is never retried. ' +
        'The failed work is silently lost. Rethrow the error (or route the message to a dead-letter queue) so the failure is handed on.',
      dropAfterFailure:
        'The failed message is dropped, with no requeue and no dead-letter route: it is lost. {{consumer}}: when {{work}} {{fails}}, {{settle}} {{drops}}. The failed message is lost. Nack it for redelivery, or publish it to a dead-letter queue first.',
      ackInFinally:
        'The ack in finally also runs on failure: a failed message is acked and never redelivered. {{consumer}}: {{settle}} in the finally block also runs when {{work}} {{throws}}, so a failed message is acked and never redelivered. ' +
        'Ack after the processing succeeds (or behind a success flag) and nack or rethrow on failure.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (consumer.incomplete || consumer.registration.ackMode === 'auto-before-handler') return;
    if (consumer.declaredSemanticsOverride === 'at-most-once') return;
    const findings = new Map<string, Swallow>();
    const add = (finding: Swallow): void => {
      const key = `${finding.location.filePath}:${finding.location.start}`;
      const previous = findings.get(key);
      if (previous) {
        for (const effect of finding.effects) if (!previous.effects.includes(effect)) previous.effects.push(effect);
        return;
      }
      findings.set(key, finding);
    };
    for (const outcome of consumer.flow.failures) {
      const verdict = judgeCaughtFailure(consumer, outcome, context.source);
      if (verdict) add(verdict);
    }
    for (const thrown of consumer.flow.settlesBeforeThrow) {
      const inFinally = judgeFinallyAck(consumer, thrown, context.source);
      if (inFinally) add(inFinally);
    }
    for (const finding of findings.values()) context.report(render(consumer, finding, context.source));
  },
};

/** A swallowed failure, before it is reported. */
interface Swallow {
  kind: 'ack' | 'return' | 'drop' | 'finally';
  location: SourceLocation;
  /** The catch that swallowed the failure (absent for a finally ack without catch). */
  catchLocation?: SourceLocation;
  /** How the message names that catch (CatchSite.label). */
  catchLabel?: string;
  /** Its clause, for the fixes that edit it (a `.catch(cb)` callback has none). */
  clause?: ts.CatchClause;
  settle?: SettleOccurrence;
  /** The processing effects the failing try encloses. */
  effects: EffectOccurrence[];
}

/**
 * Judges what a path did after the processing failed and was caught: the dataflow followed it from
 * the catch to its first settle, or to its exit (analysis/dataflow/facts.ts, "failures"). Was the
 * failure swallowed there?
 */
function judgeCaughtFailure(
  consumer: ConsumerReport,
  outcome: FailureOutcome,
  context: SourceReader,
): Swallow | undefined {
  const site = catchSiteAt(context, outcome.caught);
  if (!site) return undefined;
  // One class of failure dropped on purpose while the others are handed on (docs/model.md,
  // "Failure routing and handing failures on"): a decision about that failure, not a swallow.
  if (dropsOneFailureClass(consumer, site)) return undefined;
  // Every branch of the catch's own code hands the failure on, and the settle comes after the try:
  // a path that still reaches it skipped the hand-on inside a helper (a publish wrapper returning
  // early while its client is not configured), on that helper's state, not on this failure
  // (docs/model.md, same section). An ack in the catch or its finally is judged as it stands.
  const settledAfter = !outcome.settle || !reachedWithin(outcome.settle, site.construct);
  if (settledAfter && ts.isBlock(site.body) && handOnOfStatements(consumer, site.body.statements) === 'handed')
    return undefined;
  const clause = ts.isCatchClause(site.node) ? site.node : undefined;
  const settle = outcome.settle;
  if (settle) {
    if (answeredOrCrashed(consumer, outcome.exit, site)) return undefined;
    // `finally { if (ok) ack(msg); else nack(msg) }`: a success flag decides, not this path.
    const inFinally = enclosingFinally(context, settle.location);
    if (inFinally && conditionalWithin(context, settle.location, inFinally.block)) return undefined;
    const effects = enclosedEffects(consumer, site.tried);
    const base = {
      location: settleReportLocation(consumer, settle, outcome.caught, effects, site),
      catchLocation: outcome.caught,
      catchLabel: site.label,
      clause,
      settle,
      effects,
    };
    if (isPositiveSettle(settle)) return { kind: 'ack', ...base };
    if (drops(consumer, settle)) return { kind: 'drop', ...base };
    return undefined; // nack with requeue, dead-letter: handed on
  }
  if (outcome.exit.exit === 'throw') return undefined;
  if (consumer.registration.ackMode !== 'implicit-after-return') return undefined; // held or retried: not settled here
  // sqs-consumer 14+ deletes only a returned message; otherwise it is unsettled-message's.
  if (consumer.registration.settlesByReturn && !outcome.exit.returnsMessage) return undefined;
  if (answeredOrCrashed(consumer, outcome.exit, site)) return undefined;
  const effects = enclosedEffects(consumer, site.tried);
  return {
    kind: 'return',
    location: catchReportLocation(outcome.caught, effects, site),
    catchLocation: outcome.caught,
    catchLabel: site.label,
    clause,
    effects,
  };
}

/**
 * The catch answers for the failure without settling it: a request/reply handler (`@MessagePattern`)
 * returns the error to its caller from the catch, or throws it to the caller (Nest sends a thrown
 * `RpcException` back as the reply; also after acking the request: the caller gets the error), or
 * the catch ends the process (the broker redelivers).
 */
function answeredOrCrashed(consumer: ConsumerReport, exit: FailureOutcome['exit'], site: CatchSite): boolean {
  if (/\bprocess\.(exit|abort)\s*\(/.test(site.body.getText())) return true; // a crash: nothing is settled, the broker redelivers
  if (!consumer.registration.requestReply) return false;
  if (exit.exit === 'throw') return true;
  return exit.exit === 'return' && !!exit.location && within(exit.location, site.body);
}

/**
 * Whether the catch tells failures apart and hands the failure on except for the ones it singles
 * out: `if (err instanceof DuplicateKeyError) { log; ack } else throw err`, `if (err.code !== 'P2002')
 * throw err`, a `switch (err.code)` whose `default` rethrows, or a decision on a value a helper made
 * from the error (`const retry = classify(err); if (retry) nack(msg)`). The path that skips the hand-on
 * is a deliberate drop of that class of failure. A test whose singled-out side is the one handed on
 * (`if (err instanceof Timeout) throw err;` then a log) swallows every other failure: not a drop.
 */
function dropsOneFailureClass(consumer: ConsumerReport, site: CatchSite): boolean {
  const error = site.errorName;
  if (!error || !ts.isBlock(site.body)) return false;
  const block = site.body;
  // Locals holding what a helper (or a property) made of the error: `const retry = classify(err)`.
  const derived = new Set<string>();
  forEachStatementOf(block, (node) => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      mentions(node.initializer, error)
    )
      derived.add(node.name.text);
  });
  const handsOn = (nodes: readonly ts.Node[]): boolean => nodes.some((node) => handsFailureOnWithin(consumer, node));
  let found = false;
  forEachStatementOf(block, (node) => {
    if (found) return;
    if (ts.isIfStatement(node)) {
      const test = failureTest(node.expression, error, derived);
      if (!test) return;
      const thenSide = [node.thenStatement];
      const elseSide = node.elseStatement ? [node.elseStatement] : statementsAfter(node, block);
      if (test === 'derived') found = handsOn(thenSide) !== handsOn(elseSide);
      else {
        // The side the test singles out must be the dropping one, the other side hands on.
        const [narrow, wide] = test === 'positive' ? [thenSide, elseSide] : [elseSide, thenSide];
        found = !handsOn(narrow) && handsOn(wide);
      }
    } else if (ts.isSwitchStatement(node) && failureTest(node.expression, error, derived)) {
      const fallback = node.caseBlock.clauses.find(ts.isDefaultClause);
      const cases = node.caseBlock.clauses.filter(ts.isCaseClause);
      found = !!fallback && handsOn(fallback.statements) && cases.some((clauseOf) => !handsOn(clauseOf.statements));
    }
  });
  return found;
}

/** The nodes of a block in order, not entering nested functions. */
function forEachStatementOf(block: ts.Block, visit: (node: ts.Node) => void): void {
  const walk = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    visit(node);
    ts.forEachChild(node, walk);
  };
  ts.forEachChild(block, walk);
}

function statementsAfter(statement: ts.Statement, block: ts.Block): ts.Statement[] {
  let node: ts.Node = statement;
  while (node.parent && node.parent !== block) node = node.parent;
  const index = block.statements.indexOf(node as ts.Statement);
  return index < 0 ? [] : block.statements.slice(index + 1);
}

function mentions(node: ts.Node, name: string): boolean {
  let found = false;
  const visit = (child: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(child) && child.text === name) found = true;
    else ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

/**
 * Whether a condition tells failures apart by the caught error: its class (`instanceof`), name, code,
 * status or message, or a type guard (`isDuplicateKey(err)`); `positive` when it is true for the
 * singled-out failures, `negative` when it is negated (`!==`, `!(… instanceof …)`), `derived` when it
 * tests what a helper made of the error.
 */
function failureTest(
  condition: ts.Expression,
  error: string,
  derived: ReadonlySet<string>,
): 'positive' | 'negative' | 'derived' | undefined {
  let expression = condition;
  let negated = false;
  for (;;) {
    if (ts.isParenthesizedExpression(expression)) expression = expression.expression;
    else if (ts.isPrefixUnaryExpression(expression) && expression.operator === ts.SyntaxKind.ExclamationToken) {
      negated = !negated;
      expression = expression.operand;
    } else break;
  }
  if ([...derived].some((name) => mentions(expression, name)) && !mentions(expression, error)) return 'derived';
  if (!mentions(expression, error)) return undefined;
  if (ts.isBinaryExpression(expression)) {
    const operator = expression.operatorToken.kind;
    if (operator === ts.SyntaxKind.InstanceOfKeyword) return negated ? 'negative' : 'positive';
    if (operator === ts.SyntaxKind.ExclamationEqualsEqualsToken || operator === ts.SyntaxKind.ExclamationEqualsToken)
      negated = !negated;
    else if (operator !== ts.SyntaxKind.EqualsEqualsEqualsToken && operator !== ts.SyntaxKind.EqualsEqualsToken)
      return undefined;
    return negated ? 'negative' : 'positive';
  }
  if (ts.isCallExpression(expression)) {
    // isDuplicateKeyError(err), err.message.includes('duplicate'), ERRORS.includes(err.code)
    const name = expression.expression.getText();
    if (/(^|\.)(is[A-Z]\w*|includes|startsWith|endsWith|test|match)$/.test(name))
      return negated ? 'negative' : 'positive';
    return undefined;
  }
  return undefined;
}

/**
 * What a catch's statements do with the failure on all their branches: `handed` when every branch
 * rethrows or runs a hand-on (a nack, a failure-routing publish) before it ends, `dropped` when one
 * returns or falls off the end without, `unknown` for control flow this does not follow (loops,
 * switches, nested trys, labels).
 */
function handOnOfStatements(
  consumer: ConsumerReport,
  statements: readonly ts.Statement[],
): 'handed' | 'dropped' | 'open' | 'unknown' {
  for (const statement of statements) {
    const outcome = handOnOfStatement(consumer, statement);
    if (outcome !== 'open') return outcome;
  }
  return 'open';
}

function handOnOfStatement(
  consumer: ConsumerReport,
  statement: ts.Statement,
): 'handed' | 'dropped' | 'open' | 'unknown' {
  if (ts.isThrowStatement(statement)) return 'handed';
  if (ts.isReturnStatement(statement))
    return statement.expression && handsFailureOnWithin(consumer, statement.expression) ? 'handed' : 'dropped';
  if (ts.isBlock(statement)) return handOnOfStatements(consumer, statement.statements);
  if (ts.isIfStatement(statement)) {
    const sides = [statement.thenStatement, statement.elseStatement].map((side) =>
      side ? handOnOfStatement(consumer, side) : 'open',
    );
    if (sides.includes('unknown')) return 'unknown';
    if (sides.includes('dropped')) return 'dropped';
    return sides.every((side) => side === 'handed') ? 'handed' : 'open';
  }
  if (ts.isExpressionStatement(statement) || ts.isVariableStatement(statement) || ts.isEmptyStatement(statement))
    return handsFailureOnWithin(consumer, statement) ? 'handed' : 'open';
  return 'unknown';
}

/** Whether the code of a node hands the failure on: rethrows, nacks for redelivery, or routes it. */
function handsFailureOnWithin(consumer: ConsumerReport, node: ts.Node): boolean {
  let throws = false;
  const visit = (child: ts.Node): void => {
    if (throws || ts.isFunctionLike(child)) return;
    if (ts.isThrowStatement(child)) throws = true;
    else ts.forEachChild(child, visit);
  };
  visit(node);
  if (throws) return true;
  const redelivers = consumer.settles.some(
    (settle) =>
      !isPositiveSettle(settle) &&
      settle.kind !== 'term' &&
      (settle.requeue !== false || consumer.registration.deadLetterRoute === true) &&
      reachedWithin(settle, node),
  );
  if (redelivers) return true;
  return consumer.effects.some((effect) => isFailureRouting(effect) && reachedWithin(effect, node));
}

/** A positive settle in a `finally` that runs when the processing in its try throws. */
function judgeFinallyAck(
  consumer: ConsumerReport,
  thrown: FlowFacts['settlesBeforeThrow'][number],
  context: SourceReader,
): Swallow | undefined {
  const settle = thrown.settle;
  for (const place of [settle.location, ...settle.chain.map((link) => link.location)]) {
    const found = enclosingFinally(context, place);
    if (!found) continue;
    // The failure must come from the try the finally belongs to (not a throw after it).
    const exitLocation = thrown.exitLocation;
    if (
      exitLocation &&
      !within(exitLocation, found.tryStatement.tryBlock) &&
      !(found.tryStatement.catchClause && within(exitLocation, found.tryStatement.catchClause))
    )
      return undefined;
    // A success flag (`finally { if (ok) channel.ack(msg) }`) makes it an ack of the success path only.
    if (conditionalWithin(context, place, found.block)) return undefined;
    const effects = enclosedEffects(consumer, found.tryStatement.tryBlock).filter((effect) =>
      reachedWithin(effect, found.tryStatement.tryBlock),
    );
    if (!effects.length) return undefined;
    return { kind: 'finally', location: settle.handlerLocation, settle, effects };
  }
  return undefined;
}

/** Whether a settle drops the message: no requeue and no dead-letter route (docs/model.md, "Settles"). */
function drops(consumer: ConsumerReport, settle: SettleOccurrence): boolean {
  if (!consumer.registration.traits.drop) return false;
  if (settle.kind === 'term') return true;
  if (settle.kind !== 'nack' && settle.kind !== 'reject') return false;
  return settle.requeue === false && consumer.registration.deadLetterRoute === false;
}

/** The processing effects a try block (or the promise `.catch` is called on) encloses, directly or through calls made inside it. */
function enclosedEffects(consumer: ConsumerReport, tried: ts.Node): EffectOccurrence[] {
  const seen = new Set<string>();
  // In a wrapper, `try { await handler(payload) }` encloses the callback's effects, written elsewhere.
  const callsCallback = !!consumer.registration.wrapperLocation && callsParameter(tried);
  return consumer.effects.filter((effect) => {
    if (!effect.description.processing) return false;
    if (
      !reachedWithin(effect, tried) &&
      !(callsCallback && locationWithin(effect.handlerLocation, consumer.handlerRange))
    )
      return false;
    const key = `${effect.handlerLocation.filePath}:${effect.handlerLocation.start}:${effect.location.start}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether a block calls a parameter of a function around it (a wrapper calling its handler callback). */
function callsParameter(block: ts.Node): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const name = node.expression.text;
      for (let fn = functionOf(node); fn; fn = functionOf(fn)) {
        if (fn.parameters.some((parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === name))
          found = true;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(block);
  return found;
}

/**
 * Where a catch is reported: on it, when it is in the handler (or the wrapper); when it is in a helper,
 * on the handler's call that leads into that helper (docs/model.md, "Wrappers, dispatch tables and where findings go").
 */
/**
 * Where a swallow followed by a settle is reported: on the settle, unless the settle is in a wrapper
 * (outside the handler) and the swallowing catch is the handler's own, in the handler or in a helper
 * it calls. The wrapper's settle serves every handler it is given, those that hand failures on too,
 * so the fix (rethrow) goes in the handler's catch: reported there, as a return after it is.
 */
function settleReportLocation(
  consumer: ConsumerReport,
  settle: SettleOccurrence,
  caught: SourceLocation,
  effects: EffectOccurrence[],
  site: CatchSite,
): SourceLocation {
  if (locationWithin(settle.handlerLocation, consumer.handlerRange)) return settle.handlerLocation;
  const handlersOwn =
    locationWithin(caught, consumer.handlerRange) ||
    effects.some((effect) => effect.chain.some((link) => within(link.location, site.tried)));
  return handlersOwn ? catchReportLocation(caught, effects, site) : settle.handlerLocation;
}

function catchReportLocation(
  catchLocation: SourceLocation,
  effects: EffectOccurrence[],
  site: CatchSite,
): SourceLocation {
  for (const effect of effects) {
    // chain[j] is a call in the j-th function from the handler; the effect is in the last one.
    // The function holding the try is reached through the links before the one inside the try.
    const depth = within(effect.location, site.tried)
      ? effect.chain.length
      : effect.chain.findIndex((link) => within(link.location, site.tried));
    if (depth < 0) continue;
    return depth > 0 ? effect.chain[0].location : catchLocation;
  }
  return catchLocation;
}

function render(consumer: ConsumerReport, finding: Swallow, context: SourceReader): RuleReport<MessageId> {
  const name = consumerName(consumer);
  const work = finding.effects.length ? listPhrases(finding.effects.map(effectPhrase)) : 'the processing';
  const fails = finding.effects.length > 1 ? 'fail' : 'fails';
  const catchLine = finding.catchLocation
    ? `the ${finding.kind === 'finally' ? 'catch' : (finding.catchLabel ?? 'catch')} on line ${finding.catchLocation.line}${finding.catchLocation.filePath !== finding.location.filePath ? ` of ${baseName(finding.catchLocation.filePath)}` : ''}`
    : '';
  const related: RelatedLocation[] = [];
  if (finding.catchLocation && finding.catchLocation.start !== finding.location.start)
    related.push({ location: finding.catchLocation, message: 'the catch that swallows the failure' });
  for (const effect of finding.effects)
    related.push({ location: effect.location, message: `${effect.description.label}: its failure is swallowed` });
  if (finding.settle && finding.settle.location.start !== finding.location.start)
    related.push({ location: finding.settle.location, message: `${finding.settle.label} settles the message here` });
  related.push(registrationRelated(consumer));
  const base = { consumer: name, work, fails };
  const report = { location: finding.location, related, fixes: fixesFor(consumer, finding, context) };
  switch (finding.kind) {
    case 'ack':
      return {
        ...report,
        messageId: 'ackAfterCaughtFailure',
        data: { ...base, catch: catchLine, settle: finding.settle!.label },
      };
    case 'return':
      return {
        ...report,
        messageId: 'returnAfterCaughtFailure',
        data: { ...base, catch: catchLine, settled: settleMeaning(consumer) },
      };
    case 'drop':
      return {
        ...report,
        messageId: 'dropAfterFailure',
        data: {
          ...base,
          settle: finding.settle!.label,
          drops: fillPhrase(consumer.registration.traits.drop!.explanation, {
            queue: consumer.registration.source ? `queue '${consumer.registration.source}'` : 'the queue',
          }),
        },
      };
    case 'finally':
      return {
        ...report,
        messageId: 'ackInFinally',
        data: { ...base, settle: finding.settle!.label, throws: finding.effects.length > 1 ? 'throw' : 'throws' },
      };
  }
}

function fixesFor(consumer: ConsumerReport, finding: Swallow, context: SourceReader): FixSuggestion[] {
  const fixes: FixSuggestion[] = [];
  const settleCode = consumer.registration.traits.code?.settle;
  const settleInFinally = finding.settle ? !!enclosingFinally(context, finding.settle.location) : false;
  const redeliver = consumer.registration.traits.drop?.redeliver;
  if (finding.kind === 'drop' && finding.settle && redeliver) {
    const edits = replaceSettle(finding.settle, context, (call) => {
      const callee = call.expression;
      const [message] = call.arguments;
      if (!ts.isPropertyAccessExpression(callee) || (!message && /\{\{\s*message\s*\}\}/.test(redeliver.call)))
        return undefined;
      return fillPhrase(redeliver.call, {
        receiver: callee.expression.getText(),
        ...(message ? { message: message.getText() } : {}),
      });
    });
    if (edits.length) fixes.push({ title: redeliver.title, safe: false, preferred: true, edits });
    return fixes;
  }
  if (finding.kind === 'finally' || !finding.clause || settleInFinally) return fixes;
  const clause = finding.clause;
  if (settleCode && finding.kind === 'ack' && finding.settle && finding.settle.chain.length === 0) {
    const nack = nackOnFailurePath(consumer, settleCode, finding.settle, clause, context);
    fixes.push(...nack);
  }
  // A thrown error hands the failure on only where the library then redelivers; where it holds an
  // unsettled message (RabbitMQ, Pub/Sub), the failure is nacked instead (docs/rules/swallowed-failure-ack.md).
  if (!thrownFailureRedelivers(consumer)) return fixes;
  // An ack in the catch itself is taken out: the rethrow replaces it rather than following it.
  let replacing: ts.Node | undefined;
  if (finding.settle && within(finding.settle.handlerLocation, clause.block)) {
    if (finding.settle.chain.length) return fixes;
    replacing = nodeAt(context, finding.settle.location, ts.isCallExpression);
    if (!replacing) return fixes;
  }
  const rethrow = rethrowFix(
    clause,
    `Rethrow the error from the catch${finding.kind === 'return' ? ` so ${failureOutcome(consumer)}` : replacing ? ` instead of ${finding.settle!.label}` : ''}`,
    !fixes.length,
    replacing,
  );
  if (rethrow) fixes.push(rethrow);
  return fixes;
}

/**
 * The settle the failure path gets instead of the ack: a nack with requeue (`channel.nack(msg,
 * false, true)`, `message.nack()`), written from the ack call itself (the ack in the catch is
 * replaced; an ack after the try gets a nack and a `return` at the end of the catch); with a
 * dead-letter exchange for the queue, also the nack without requeue, which routes there.
 */
function nackOnFailurePath(
  consumer: ConsumerReport,
  code: SettleCode,
  settle: SettleOccurrence,
  clause: ts.CatchClause,
  context: SourceReader,
): FixSuggestion[] {
  const call = nodeAt(context, settle.location, ts.isCallExpression);
  if (!call || !code.nackRequeue) return [];
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'ack') return [];
  const [message] = call.arguments;
  let values: Record<string, string>;
  if (code.via === 'channel') {
    if (!message) return [];
    values = { channel: callee.expression.getText(), message: message.getText() };
  } else if (code.via === 'message') {
    if (message) return [];
    values = { message: callee.expression.getText() };
  } else return [];
  const variants: { title: string; text: string; preferred: boolean }[] = [
    {
      title: 'Nack the message with requeue on the failure path, for redelivery',
      text: fillPhrase(code.nackRequeue, values),
      preferred: true,
    },
  ];
  if (consumer.registration.deadLetterRoute && code.nackDrop) {
    const drop = fillPhrase(code.nackDrop, values);
    variants.push({
      title: `Route the failed message to the dead-letter exchange (${drop})`,
      text: drop,
      preferred: false,
    });
  }
  const filePath = settle.location.filePath;
  if (within(settle.location, clause.block)) {
    return variants.map((variant) => ({
      title: variant.title,
      safe: false,
      preferred: variant.preferred,
      edits: [{ filePath, start: call.getStart(), end: call.getEnd(), newText: variant.text }],
    }));
  }
  // The ack after the try serves the success path too: nack and leave from the catch instead.
  if (blockAlwaysExits(clause.block) || functionOf(clause) !== functionOf(call)) return [];
  const semicolon = /;\s*$/.test(call.parent.getText()) ? ';' : '';
  return variants.map((variant) => ({
    title: variant.title,
    safe: false,
    preferred: variant.preferred,
    edits: appendToBlock(clause.block, [`${variant.text}${semicolon}`, `return${semicolon}`]),
  }));
}

function baseName(filePath: string): string {
  return filePath.split(/[\\/]/).pop() ?? filePath;
}
