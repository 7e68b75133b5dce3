/**
 * @azure/service-bus receivers, made by `sbClient.createReceiver(queue | topic, subscription,
 * { receiveMode })` (or `acceptSession` / `acceptNextSession`):
 *
 * - `receiver.subscribe({ processMessage, processError }, { autoCompleteMessages })`: the receiver
 *   completes the message when processMessage resolves and abandons it when it throws
 *   (implicit-after-return, the default), or the code settles it (`autoCompleteMessages: false`);
 * - `receiver.receiveMessages(n)` (also `receiveDeferredMessages`, `getMessageIterator()`) and a
 *   `for … of` loop over the result: loop-style, the loop body handles one message, settled
 *   explicitly;
 * - `receiveMode: 'receiveAndDelete'` removes the message on delivery: auto-before-handler.
 *
 * Settles: `completeMessage` (complete), `abandonMessage` (nack), `deadLetterMessage` (dead-letter)
 * and `deferMessage` (set aside, kept by the broker: modelled as dead-letter). Identity:
 * `message.messageId`.
 */
import { ts } from 'ts-morph';
import { objectLiteral } from '../effects/objects';
import type { MessageValues } from '../source/message-values';
import type { AckMode } from '../../model';
import {
  booleanValue,
  calledName,
  forEachDescendant,
  isFunctionWithBody,
  propertyFunctionNode,
  propertyOf,
  propertyValue,
  receiverOf,
  staticText,
  unwrapAwait,
} from '../source/ast';
import { resolveFunction } from '../source/symbols';
import { callsNamed, creationOf, firstParameterName, receiverFromPackages } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const PACKAGES = ['@azure/service-bus'];
const RECEIVER_TYPES = ['ServiceBusReceiver', 'ServiceBusSessionReceiver'];
const RECEIVER_FACTORIES = ['createReceiver', 'acceptSession', 'acceptNextSession'];
const BATCH_CALLS = ['receiveMessages', 'receiveDeferredMessages', 'getMessageIterator'];
/** Settles on the receiver (v7), and on the message itself (the v1 API: `message.complete()`). */
const RECEIVER_SETTLES = {
  completeMessage: 'complete',
  abandonMessage: 'nack',
  deadLetterMessage: 'dead-letter',
  deferMessage: 'dead-letter',
} as const;
const MESSAGE_SETTLES = {
  complete: 'complete',
  abandon: 'nack',
  deadLetter: 'dead-letter',
  defer: 'dead-letter',
} as const;

export const azureServiceBus: LibraryModule = {
  info: {
    id: 'azure-service-bus',
    displayName: '@azure/service-bus',
    packages: PACKAGES,
    registration: '`receiver.subscribe({ processMessage })`, `receiveMessages(n)` then a loop over the result',
    ackModes:
      'implicit-after-return (`autoCompleteMessages`, the default) or explicit (`completeMessage`, `abandonMessage`, `deadLetterMessage`, `deferMessage`); `receiveMode: "receiveAndDelete"` is auto-before-handler',
    identity: '`message.messageId`',
  },
  traits: {
    // Messages still say "source" for a Service Bus queue or subscription (the wording predates traits).
    sourceNoun: 'source',
    redeliveryCause: {
      default:
        'a crash, a thrown error (the receiver abandons the message) or an expired lock makes Service Bus deliver it again',
      explicit: 'a crash, an abandon or an expired lock before completeMessage makes Service Bus deliver it again',
    },
    settleMeaning: 'the receiver completes the message',
    failureOutcome: 'the failure reaches the library',
    deadLetter:
      'after `maxDeliveryCount` deliveries Service Bus moves the message to the dead-letter subqueue; `deadLetterMessage()` moves it there at once',
    secondSettle: {
      default:
        'Service Bus rejects settling a message that is already settled: the call throws (the message is already settled) after the work is done.',
      'auto-before-handler':
        'Service Bus rejects settling a message received in receiveAndDelete mode: the call throws after the work is done.',
    },
    autoAck: {
      reason: "its receiver uses `receiveMode: 'receiveAndDelete'`",
      remedy: "Use `receiveMode: 'peekLock'` (the default) and complete the message after the processing succeeds.",
    },
  },
  identity: { idProperties: ['messageId', 'sequenceNumber', 'applicationProperties'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    for (const call of callsNamed(sourceFile, ['subscribe'])) {
      const handlers = objectLiteral(call.arguments[0], context.checker);
      if (!handlers || !propertyOf(handlers, 'processMessage')) continue;
      const receiver = receiverOf(call);
      if (!receiverFromPackages(receiver, PACKAGES, context, RECEIVER_TYPES)) continue;
      const handler = resolveFunction(propertyFunctionNode(handlers, 'processMessage'), context.checker);
      if (!handler) continue;
      const created = receiverCreation(receiver, context.checker);
      const options = objectLiteral(call.arguments[1], context.checker);
      const autoCompleteNode = options && propertyOf(options, 'autoCompleteMessages');
      const autoComplete = options && booleanValue(propertyValue(options, 'autoCompleteMessages'));
      let ackMode: AckMode = autoComplete === false ? 'explicit' : 'implicit-after-return';
      let ackModeNode: ts.Node | undefined = autoCompleteNode;
      if (created?.receiveAndDelete) {
        ackMode = 'auto-before-handler';
        ackModeNode = created.receiveAndDelete;
      }
      const message = firstParameterName(handler);
      sites.push({
        library: azureServiceBus,
        form: 'subscribe',
        registrationNode: call,
        handler,
        messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
        ackMode,
        ackModeNode,
        source: created?.source,
        identityHint: 'message.messageId',
        identityExpression: message ? `${message}.messageId` : undefined,
      });
    }
    forEachDescendant(
      sourceFile,
      (node) => {
        if (!ts.isForOfStatement(node)) return;
        const batch = batchCallOf(node.expression, context.checker);
        if (!batch) return;
        const receiver = receiverOf(batch);
        if (!receiverFromPackages(receiver, PACKAGES, context, RECEIVER_TYPES)) return;
        const handler = enclosingFunction(node);
        const binding = ts.isVariableDeclarationList(node.initializer)
          ? node.initializer.declarations[0]?.name
          : undefined;
        if (!handler || !binding) return;
        const created = receiverCreation(receiver, context.checker);
        sites.push({
          library: azureServiceBus,
          form: calledName(batch)!,
          registrationNode: batch,
          handler,
          body: node.statement,
          messageBindings: [binding],
          ackMode: created?.receiveAndDelete ? 'auto-before-handler' : 'explicit',
          ackModeNode: created?.receiveAndDelete,
          source: created?.source,
          identityHint: 'message.messageId',
          identityExpression: ts.isIdentifier(binding) ? `${binding.text}.messageId` : undefined,
        });
      },
      true,
    );
    return sites;
  },

  settleOf(call: ts.CallExpression, values: MessageValues) {
    const name = calledName(call);
    if (!name) return undefined;
    if (name in RECEIVER_SETTLES) {
      const [message] = call.arguments;
      if (!message || !values.derivesFrom(message)) return undefined;
      return { kind: RECEIVER_SETTLES[name as keyof typeof RECEIVER_SETTLES], label: `receiver.${name}()` };
    }
    if (name in MESSAGE_SETTLES) {
      const receiver = receiverOf(call);
      if (!receiver || !values.derivesFrom(receiver)) return undefined;
      return { kind: MESSAGE_SETTLES[name as keyof typeof MESSAGE_SETTLES], label: `message.${name}()` };
    }
    return undefined;
  },
};

/** The `receiveMessages(...)` call a loop iterates over, directly or through the variable holding its result. */
function batchCallOf(expression: ts.Expression, checker: ts.TypeChecker): ts.CallExpression | undefined {
  const value = unwrapAwait(expression);
  const call = ts.isCallExpression(value) ? value : creationOf(value, checker);
  return call && ts.isCallExpression(call) && BATCH_CALLS.includes(calledName(call) ?? '') ? call : undefined;
}

function enclosingFunction(node: ts.Node): (ts.FunctionLikeDeclaration & { body: ts.ConciseBody }) | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isFunctionLike(current)) current = current.parent;
  return current && isFunctionWithBody(current) ? current : undefined;
}

/**
 * Where the receiver was made: its queue (or `topic/subscription`) and a `receiveMode:
 * 'receiveAndDelete'` option. Sessions: `acceptSession(queue, sessionId)` and
 * `acceptSession(topic, subscription, sessionId)`; `acceptNextSession(queue)` and
 * `acceptNextSession(topic, subscription)`.
 */
function receiverCreation(
  receiver: ts.Expression | undefined,
  checker: ts.TypeChecker,
): { source?: string; receiveAndDelete?: ts.Node } | undefined {
  const created = creationOf(receiver, checker);
  if (!created || !ts.isCallExpression(created)) return undefined;
  const factory = calledName(created) ?? '';
  if (!RECEIVER_FACTORIES.includes(factory)) return undefined;
  const names = created.arguments.filter((argument) => !objectLiteral(argument, checker));
  const entity = factory === 'createReceiver' ? names : factory === 'acceptSession' ? names.slice(0, -1) : names;
  const parts = entity.slice(0, 2).map((argument) => staticText(argument, checker));
  const source = parts.length && parts.every((part) => part && !part.includes('${…}')) ? parts.join('/') : undefined;
  let receiveAndDelete: ts.Node | undefined;
  for (const argument of created.arguments) {
    const options = objectLiteral(argument, checker);
    const mode = options && propertyOf(options, 'receiveMode');
    if (mode && staticText(propertyValue(options, 'receiveMode'), checker) === 'receiveAndDelete')
      receiveAndDelete = mode;
  }
  return { source, receiveAndDelete };
}
