/**
 * AWS Lambda SQS handlers: `export const handler = async (event: SQSEvent) => { for (const record of
 * event.Records) {…} }` (or `export async function handler(event: SQSEvent, context)`), and Lambda
 * Powertools' `processPartialResponse(event, recordHandler, processor)`.
 *
 * Lambda deletes the whole batch when the handler returns normally (implicit-after-return); a record
 * whose `messageId` is pushed to `batchItemFailures` (and returned as `{ batchItemFailures }`, with
 * ReportBatchItemFailures on the event source mapping) is not deleted but delivered again, so that
 * push is modelled as a nack of the record. The per-record handler is the loop body over
 * `event.Records` (a loop-style consumer), or Powertools' record handler, which the processor calls
 * per record and reports as failed when it throws.
 *
 * Recognised by the `SQSEvent`/`SQSHandler` types, by the loop shape over `event.Records` in a file
 * that imports aws-lambda or Powertools, and, with no import at all (plain JavaScript), by a
 * function exported as `handler` whose parameter's `.Records` are looped over and read as SQS
 * records (`.body`, `.messageId`, `.receiptHandle`). Powertools `makeIdempotent(fn, …)`, middy's
 * `makeHandlerIdempotent` and `@idempotent()` around the handler make it guarded.
 */
import { ts } from 'ts-morph';
import type { MessageValues } from '../source/message-values';
import {
  FunctionWithBody,
  calledName,
  constInitializer,
  forEachDescendant,
  isFunctionWithBody,
  receiverOf,
  unwrap,
} from '../source/ast';
import { resolveFunction, typeName } from '../source/symbols';
import { findProperty } from '../effects/objects';
import { type MessageBinding, MESSAGE, ShapeTracker, bindingProperty } from './loop-shapes';
import { callsNamed, SQS_DEAD_LETTER } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const IDEMPOTENCY = '@aws-lambda-powertools/idempotency';
const BATCH = '@aws-lambda-powertools/batch';
const PACKAGES = ['aws-lambda', IDEMPOTENCY, BATCH];
/** Event types with `Records` that are not SQS. */
const OTHER_EVENTS =
  /^(S3|SNS|DynamoDBStream|KinesisStream|Kinesis|Firehose|SES|CodeCommit|CloudWatchLogs|EventBridge|MSK|SelfManagedKafka)\w*Event$/;
const SQS_RECORD_READS = /\.(body|messageId|receiptHandle|messageAttributes|md5OfBody)\b/;
const OTHER_RECORD_READS = /\.(s3|Sns|dynamodb|kinesis|ses)\b/;

export const lambdaSqs: LibraryModule = {
  info: {
    id: 'lambda-sqs',
    displayName: 'AWS Lambda SQS handler (+ Powertools)',
    packages: PACKAGES,
    // Plain JavaScript Lambdas import nothing: a `handler` looping `.Records` is enough to look closer.
    mentions: /^(?=[\s\S]*\bhandler\b)(?=[\s\S]*\.Records\b)/,
    registration:
      '`export const handler = async (event: SQSEvent)` looping `event.Records`; Powertools `processPartialResponse(event, recordHandler, processor)`',
    ackModes:
      'implicit-after-return (the batch is deleted when the handler returns); a record pushed to `batchItemFailures` is retried',
    identity: '`record.messageId`',
  },
  traits: {
    // No noun for a Lambda's event source in messages yet: the queue is not in the code.
    sourceNoun: 'source',
    redeliveryCause: {
      default:
        'a failed or timed-out invocation (without batchItemFailures, one failing record fails the whole batch) or an SQS duplicate makes Lambda deliver it again',
    },
    settleMeaning: 'Lambda deletes the batch from SQS',
    failureOutcome: 'Lambda reports the batch (or the record) as failed',
    deadLetter: SQS_DEAD_LETTER,
    code: { identityUniquePerQueue: true },
  },
  identity: { idProperties: ['messageId', 'MessageDeduplicationId'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const imported = [...context.imports].some((module) =>
      PACKAGES.some((name) => module === name || module.startsWith(`${name}/`)),
    );
    if (
      !imported &&
      !lambdaSqs.info.mentions!.test(sourceFile.text) &&
      !/SQSEvent|processPartialResponse/.test(sourceFile.text)
    )
      return [];
    const sites: ConsumerSite[] = [];
    const recordHandlerCalls = new Set<FunctionWithBody>();

    // Powertools: processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS))
    for (const call of callsNamed(sourceFile, ['processPartialResponse', 'processPartialResponseSync'])) {
      if (!imported && !context.imports.has(BATCH)) continue;
      if (!isSqsProcessor(call.arguments[2], context.checker)) continue;
      const unwrapped = unwrapIdempotent(call.arguments[1], context);
      const handler = unwrapped && resolveFunction(unwrapped.target, context.checker);
      const parameter = handler?.parameters[0];
      if (!handler || !parameter) continue;
      const owner = enclosingFunctionOf(call);
      if (owner) recordHandlerCalls.add(owner);
      sites.push({
        library: lambdaSqs,
        form: calledName(call)!,
        registrationNode: call,
        handler,
        messageBindings: [parameter.name],
        ackMode: 'implicit-after-return',
        guardedBy: unwrapped.guard ?? idempotencyWrapper(handler, sourceFile, context),
        identityHint: 'record.messageId',
        identityExpression: messageIdOf(parameter.name),
      });
    }

    // Handlers of the SQS event: typed, or shaped like one.
    forEachDescendant(
      sourceFile,
      (node) => {
        if (!isFunctionWithBody(node) || !node.parameters.length) return;
        const typed = eventTyping(node, context.checker);
        if (typed === 'other') return;
        if (!typed && !imported && !exportedAsHandler(node)) return;
        const parameter = node.parameters[0];
        const tracker = new ShapeTracker(context.checker, {
          call: () => undefined,
          property: (shape, name) =>
            shape.kind === 'event' && name === 'Records' ? { ...shape, kind: 'records' } : undefined,
          element: (shape) => (shape.kind === 'records' ? { ...shape, kind: MESSAGE } : undefined),
        });
        tracker.seed(parameter.name, { kind: 'event', origin: node });
        const loops = /\bRecords\b/.test(node.body.getText())
          ? tracker.scan(node).filter((found) => found.kind !== 'single' && found.handler === node)
          : [];
        const guardedBy = idempotencyWrapper(node, sourceFile, context);
        if (!loops.length) {
          // A typed handler that works on the whole batch (or on `event.Records[0]` with batch size 1).
          if (typed && !recordHandlerCalls.has(node)) sites.push(batchSite(node, guardedBy));
          return;
        }
        for (const loop of loops) {
          if (!typed && (!SQS_RECORD_READS.test(loop.body.getText()) || OTHER_RECORD_READS.test(loop.body.getText())))
            continue;
          sites.push(loopSite(node, loop, guardedBy));
        }
      },
      true,
    );
    return sites;
  },

  settleOf(call: ts.CallExpression, values: MessageValues, checker: ts.TypeChecker) {
    // { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) }:
    // every record mapped is delivered again.
    if (calledName(call) === 'map') return mappedFailures(call, values) ? MAPPED_FAILURES : undefined;
    // batchItemFailures.push({ itemIdentifier: record.messageId }): the record is delivered again.
    if (calledName(call) !== 'push') return undefined;
    const receiver = receiverOf(call);
    if (!receiver || !/batchItemFailures$|fail/i.test(unwrap(receiver).getText())) return undefined;
    const [item] = call.arguments;
    if (!item) return undefined;
    const identifier = findProperty(item, (name) => name === 'itemIdentifier', checker) ?? item;
    if (!values.derivesFrom(identifier)) return undefined;
    return { kind: 'nack' as const, label: 'batchItemFailures.push()', requeue: true };
  },
};

const MAPPED_FAILURES = { kind: 'nack' as const, label: 'batchItemFailures (mapped)', requeue: true };

/**
 * `event.Records.map((record) => ({ itemIdentifier: record.messageId }))` given as
 * `batchItemFailures` (the property of a returned object, or a variable named so): every record of
 * the batch reported as failed. A map over a filtered list (the failed results) names only some.
 */
function mappedFailures(call: ts.CallExpression, values: MessageValues): boolean {
  let holder: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder)) holder = holder.parent;
  const named =
    (ts.isPropertyAssignment(holder) || ts.isVariableDeclaration(holder)) &&
    ts.isIdentifier(holder.name) &&
    /fail/i.test(holder.name.text);
  // Every record of the batch (`event.Records.map(…)`), not a filtered list of results.
  const receiver = receiverOf(call);
  const records = receiver && unwrap(receiver);
  if (!named || !records || !ts.isPropertyAccessExpression(records) || records.name.text !== 'Records') return false;
  if (!values.derivesFrom(records)) return false;
  const callback = unwrap(call.arguments[0] ?? call);
  if (!isFunctionWithBody(callback)) return false;
  const returned = ts.isBlock(callback.body)
    ? callback.body.statements.find(ts.isReturnStatement)?.expression
    : callback.body;
  const item = returned && unwrap(returned);
  return (
    !!item &&
    ts.isObjectLiteralExpression(item) &&
    item.properties.some((property) => property.name?.getText() === 'itemIdentifier')
  );
}

function loopSite(handler: FunctionWithBody, loop: MessageBinding, guardedBy: ConsumerSite['guardedBy']): ConsumerSite {
  return {
    library: lambdaSqs,
    form: 'handler',
    registrationNode: registrationOf(handler),
    handler,
    body: loop.body,
    detached: loop.detached,
    messageBindings: [loop.binding],
    ackMode: 'implicit-after-return',
    guardedBy,
    identityHint: 'record.messageId',
    identityExpression: messageIdOf(loop.binding),
  };
}

function batchSite(handler: FunctionWithBody, guardedBy: ConsumerSite['guardedBy']): ConsumerSite {
  return {
    library: lambdaSqs,
    form: 'handler (whole batch)',
    registrationNode: registrationOf(handler),
    handler,
    messageBindings: [handler.parameters[0].name],
    ackMode: 'implicit-after-return',
    guardedBy,
    identityHint: 'record.messageId of each event.Records entry',
  };
}

function messageIdOf(binding: ts.BindingName): string | undefined {
  return ts.isIdentifier(binding) ? `${binding.text}.messageId` : bindingProperty(binding, 'messageId');
}

/**
 * 'sqs' when the handler's event is typed `SQSEvent` (parameter annotation, `SQSHandler` or
 * `Handler<SQSEvent, …>` on the variable, or the checker's type), 'other' for another event type.
 */
function eventTyping(fn: FunctionWithBody, checker: ts.TypeChecker): 'sqs' | 'other' | undefined {
  const parameter = fn.parameters[0];
  const annotated =
    parameter.type && ts.isTypeReferenceNode(parameter.type) ? rightmost(parameter.type.typeName) : undefined;
  if (annotated === 'SQSEvent') return 'sqs';
  if (annotated && OTHER_EVENTS.test(annotated)) return 'other';
  let holder: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder)) holder = holder.parent;
  if (ts.isVariableDeclaration(holder) && holder.type && ts.isTypeReferenceNode(holder.type)) {
    const name = rightmost(holder.type.typeName);
    const first = holder.type.typeArguments?.[0];
    const argument = first && ts.isTypeReferenceNode(first) ? rightmost(first.typeName) : undefined;
    if (name === 'SQSHandler' || argument === 'SQSEvent') return 'sqs';
    if (/Handler$/.test(name) && name !== 'Handler' && !/^SQS/.test(name)) return 'other';
    if (argument && OTHER_EVENTS.test(argument)) return 'other';
  }
  if (!parameter.type && ts.isIdentifier(parameter.name)) {
    const checked = typeName(parameter.name, checker);
    if (checked === 'SQSEvent') return 'sqs';
    if (checked && OTHER_EVENTS.test(checked)) return 'other';
  }
  return undefined;
}

function rightmost(name: ts.EntityName): string {
  return ts.isIdentifier(name) ? name.text : name.right.text;
}

/** The function (through wrapper calls such as makeIdempotent or middy) is exported as `handler`. */
function exportedAsHandler(fn: FunctionWithBody): boolean {
  if (ts.isFunctionDeclaration(fn)) return fn.name?.text === 'handler';
  return nameNodeOf(fn)?.getText().replace(/^.*\./, '') === 'handler';
}

/** `handler` in `export const handler = …`, `exports.handler = …`, `{ handler: … }`, through wrapper calls. */
function nameNodeOf(fn: FunctionWithBody): ts.Node | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name) return fn.name;
  let node: ts.Node = fn;
  for (let depth = 0; depth < 6; depth++) {
    const parent: ts.Node = node.parent;
    if (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent))
      node = parent;
    else if (ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression))
      node = parent; // makeIdempotent(fn, …), middy(fn)
    else if (ts.isPropertyAccessExpression(parent) && parent.expression === node && ts.isCallExpression(parent.parent))
      node = parent.parent; // middy(fn).use(…)
    else if (ts.isVariableDeclaration(parent) && parent.initializer === node) return parent.name;
    else if (ts.isPropertyAssignment(parent) && parent.initializer === node) return parent.name;
    else if (
      ts.isBinaryExpression(parent) &&
      parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      parent.right === node
    )
      return parent.left;
    else return undefined;
  }
  return undefined;
}

function registrationOf(fn: FunctionWithBody): ts.Node {
  return nameNodeOf(fn) ?? fn;
}

function enclosingFunctionOf(node: ts.Node): FunctionWithBody | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isSourceFile(current)) {
    if (isFunctionWithBody(current)) return current;
    current = current.parent;
  }
  return undefined;
}

function isIdempotencyCall(
  node: ts.Node,
  names: readonly string[],
  context: LibraryContext,
): node is ts.CallExpression {
  if (!ts.isCallExpression(node) || !names.includes(calledName(node) ?? '')) return false;
  return (
    [...context.imports].some((module) => module === IDEMPOTENCY || module.startsWith(`${IDEMPOTENCY}/`)) ||
    /idempot/i.test(node.expression.getText())
  );
}

/** `makeIdempotent(fn, …)` around a record handler argument (inline, or a const holding it). */
function unwrapIdempotent(
  argument: ts.Expression | undefined,
  context: LibraryContext,
): { target: ts.Expression; guard?: ConsumerSite['guardedBy'] } | undefined {
  if (!argument) return undefined;
  let value = unwrap(argument);
  if (ts.isIdentifier(value)) {
    const init = constInitializer(value, context.checker);
    if (init && isIdempotencyCall(unwrap(init), ['makeIdempotent'], context)) value = unwrap(init);
  }
  if (isIdempotencyCall(value, ['makeIdempotent'], context) && value.arguments[0]) {
    return { target: value.arguments[0], guard: { node: value, label: 'makeIdempotent()' } };
  }
  return { target: argument };
}

/**
 * The Powertools idempotency wrapper around a handler: `makeIdempotent(fn, …)` (inline or by
 * reference), `middy(fn).use(makeHandlerIdempotent(…))`, or an `@idempotent()` decorator.
 */
function idempotencyWrapper(
  fn: FunctionWithBody,
  sourceFile: ts.SourceFile,
  context: LibraryContext,
): ConsumerSite['guardedBy'] {
  if (ts.canHaveDecorators(fn)) {
    for (const decorator of ts.getDecorators(fn) ?? []) {
      const expression = unwrap(decorator.expression);
      const name = ts.isCallExpression(expression)
        ? calledName(expression)
        : ts.isIdentifier(expression)
          ? expression.text
          : undefined;
      if (name === 'idempotent') return { node: decorator, label: '@idempotent()' };
    }
  }
  let found: ConsumerSite['guardedBy'];
  forEachDescendant(
    sourceFile,
    (node) => {
      if (found || !ts.isCallExpression(node)) return;
      if (
        isIdempotencyCall(node, ['makeIdempotent'], context) &&
        node.arguments[0] &&
        resolveFunction(node.arguments[0], context.checker) === fn
      ) {
        found = { node, label: 'makeIdempotent()' };
      } else if (
        calledName(node) === 'middy' &&
        node.arguments[0] &&
        resolveFunction(node.arguments[0], context.checker) === fn
      ) {
        // middy(fn).use(makeHandlerIdempotent({ persistenceStore }))
        let chain: ts.Node = node;
        while (ts.isPropertyAccessExpression(chain.parent) && ts.isCallExpression(chain.parent.parent)) {
          const use = chain.parent.parent;
          const middleware = use.arguments[0] && unwrap(use.arguments[0]);
          if (
            calledName(use) === 'use' &&
            middleware &&
            isIdempotencyCall(middleware, ['makeHandlerIdempotent'], context)
          ) {
            found = { node: middleware, label: 'makeHandlerIdempotent()' };
            break;
          }
          chain = use;
        }
      }
    },
    true,
  );
  return found;
}

/** The processor passed to processPartialResponse handles SQS (not Kinesis or DynamoDB streams). */
function isSqsProcessor(processor: ts.Expression | undefined, checker: ts.TypeChecker): boolean {
  if (!processor) return true;
  let value = unwrap(processor);
  if (ts.isIdentifier(value)) value = constInitializer(value, checker) ?? value;
  return !/KinesisDataStreams|DynamoDBStreams/.test(value.getText());
}
