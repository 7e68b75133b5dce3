/**
 * @aws-sdk/client-sqs receive loops: `const { Messages } = await sqs.send(new ReceiveMessageCommand(…))`
 * (or `res.Messages`, or the aggregated client's `sqs.receiveMessage(…)`), then a loop over the
 * messages: `for…of`, `Messages.map(async (m) => …)` in `Promise.all`, `forEach`. A loop-style
 * consumer (docs/model.md, "Consumers"): the handler is the body that processes one message.
 *
 * Settling is explicit: `DeleteMessageCommand` with the message's `ReceiptHandle` deletes it;
 * `ChangeMessageVisibilityCommand` with `VisibilityTimeout: 0` returns it at once (a nack; another
 * timeout only postpones the redelivery and settles nothing). A `DeleteMessageBatchCommand` after
 * the loop deletes every message of the batch: it is modelled as a settle after the body, reached by
 * the paths that finish the message (so a `continue` on bad input still deletes it), and before the
 * body when the loop does not wait for it (`forEach(async …)`): the batch is deleted while the
 * messages are still being processed.
 */
import { ts } from 'ts-morph';
import type { MessageValues } from '../source/message-values';
import { calledName, receiverOf } from '../source/ast';
import { commandOf, findProperty, objectLiteral, topProperty } from '../effects/objects';
import { type MessageBinding, type Shape, MESSAGE, ShapeTracker, bindingProperty, callsAfter } from './loop-shapes';
import { receiverFromPackages, shortName, SQS_DEAD_LETTER } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const PACKAGES = ['@aws-sdk/client-sqs'];
const CLIENT_TYPES = ['SQSClient', 'SQS'];

export const clientSqs: LibraryModule = {
  info: {
    id: 'client-sqs',
    displayName: '@aws-sdk/client-sqs (receive loops)',
    packages: PACKAGES,
    registration:
      '`send(new ReceiveMessageCommand(…))` (or `receiveMessage`) then a loop over `Messages`: `for…of`, `map` in `Promise.all`, `forEach`; or one message taken by index (`Messages[0]`), also returned by a receive helper, handled by the rest of its block',
    ackModes:
      'explicit (`DeleteMessageCommand`, `DeleteMessageBatchCommand` after the loop; `ChangeMessageVisibilityCommand` with `VisibilityTimeout: 0` is a nack)',
    identity: '`message.MessageId`; FIFO `MessageDeduplicationId` attribute',
  },
  traits: {
    sourceNoun: 'queue',
    redeliveryCause: {
      default:
        'a crash, a failed step or an expired visibility timeout before DeleteMessage makes SQS deliver it again',
    },
    settleMeaning: 'the message is acknowledged',
    failureOutcome: 'the failure reaches the library',
    deadLetter: SQS_DEAD_LETTER,
    code: { identityUniquePerQueue: true },
  },
  identity: { idProperties: ['MessageId', 'MessageDeduplicationId'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    // No receive, no consumer: here, or in a helper this file calls with its SQS client.
    if (!/ReceiveMessageCommand|receiveMessage|@aws-sdk\/client-sqs/.test(sourceFile.text)) return [];
    const tracker = new ShapeTracker(context.checker, {
      call: (call) => receiveCall(call, context),
      property: (shape, name) =>
        shape.kind === 'response' && name === 'Messages' ? { ...shape, kind: 'list' } : undefined,
      element: (shape) => (shape.kind === 'list' ? { ...shape, kind: MESSAGE } : undefined),
      // `Messages[0]` of a receive of one message: handled by the rest of its block.
      index: (shape) => (shape.kind === 'list' ? { ...shape, kind: MESSAGE } : undefined),
    });
    const found = tracker.scan(sourceFile);
    return found.map((binding) => siteOf(binding, found, context.checker));
  },

  settleOf(call: ts.CallExpression, values: MessageValues, checker: ts.TypeChecker) {
    const name = calledName(call);
    let command: string | undefined;
    let input: ts.Expression | undefined;
    if (name === 'send') {
      const found = commandOf(call.arguments[0], checker);
      command = found?.name.replace(/Command$/, '');
      input = found?.input;
    } else if (
      name &&
      /^(deleteMessage|deleteMessageBatch|changeMessageVisibility|changeMessageVisibilityBatch)$/.test(name)
    ) {
      command = name[0].toUpperCase() + name.slice(1); // the aggregated client: sqs.deleteMessage({...})
      input = call.arguments[0];
    }
    if (!command) return undefined;
    switch (command) {
      case 'DeleteMessage':
        return ofThisMessage(input, values, checker)
          ? { kind: 'delete' as const, label: 'DeleteMessageCommand' }
          : undefined;
      case 'DeleteMessageBatch':
        return { kind: 'delete' as const, label: 'DeleteMessageBatchCommand' };
      case 'ChangeMessageVisibility':
      case 'ChangeMessageVisibilityBatch': {
        // Only a zero timeout returns the message now; a longer one postpones it (a heartbeat or a backoff).
        const timeout = findProperty(input, (key) => key === 'VisibilityTimeout', checker);
        if (!timeout || timeout.getText() !== '0') return undefined;
        if (command === 'ChangeMessageVisibility' && !ofThisMessage(input, values, checker)) return undefined;
        return { kind: 'nack' as const, label: `${command}Command (VisibilityTimeout: 0)`, requeue: true };
      }
      default:
        return undefined;
    }
  },
};

/** `send(new ReceiveMessageCommand(…))` / `receiveMessage(…)` on an SQS client. */
function receiveCall(call: ts.CallExpression, context: LibraryContext): Shape | undefined {
  const name = calledName(call);
  if (name !== 'send' && name !== 'receiveMessage') return undefined;
  const receiver = receiverOf(call);
  if (!receiverFromPackages(receiver, PACKAGES, context, CLIENT_TYPES)) return undefined;
  let input: ts.Expression | undefined;
  if (name === 'send') {
    const command = commandOf(call.arguments[0], context.checker);
    if (command?.name !== 'ReceiveMessageCommand') return undefined;
    input = command.input;
  } else {
    input = call.arguments[0];
  }
  const queue = topProperty(input, 'QueueUrl', context.checker);
  return { kind: 'response', origin: call, source: shortName(queue, context.checker), sourceText: queue?.getText() };
}

/** A delete or visibility change whose `ReceiptHandle` is this message's (or cannot be read). */
function ofThisMessage(input: ts.Expression | undefined, values: MessageValues, checker: ts.TypeChecker): boolean {
  if (!objectLiteral(input, checker)) return true;
  const handle = topProperty(input, 'ReceiptHandle', checker);
  return !handle || values.derivesFrom(handle);
}

function siteOf(binding: MessageBinding, all: readonly MessageBinding[], checker: ts.TypeChecker): ConsumerSite {
  const name = ts.isIdentifier(binding.binding) ? [binding.binding.text, ...(binding.path ?? [])].join('.') : undefined;
  const messageId = name ? `${name}.MessageId` : bindingProperty(binding.binding, 'MessageId');
  const origin = binding.origin as ts.CallExpression;
  const receive = calledName(origin) === 'receiveMessage' ? 'receiveMessage' : 'ReceiveMessageCommand';
  return {
    library: clientSqs,
    form: binding.kind === 'single' ? `${receive} (one message)` : `${receive} loop`,
    registrationNode: origin,
    handler: binding.handler,
    body: binding.body,
    loop: {
      from: binding.from,
      settlesAfter: callsAfter(binding, all, (call) => isBatchSettle(call, checker)),
    },
    detached: binding.detached,
    messageBindings: [binding.binding],
    ackMode: 'explicit',
    source: binding.source,
    sourceText: binding.sourceText,
    identityHint: 'message.MessageId',
    identityExpression: messageId,
  };
}

/** A batch delete (or a batch visibility change) on the client: it settles every message of the batch. */
function isBatchSettle(call: ts.CallExpression, checker: ts.TypeChecker): boolean {
  const name = calledName(call);
  if (name === 'deleteMessageBatch' || name === 'changeMessageVisibilityBatch') return true;
  return (
    name === 'send' &&
    /^(DeleteMessageBatch|ChangeMessageVisibilityBatch)Command$/.test(commandOf(call.arguments[0], checker)?.name ?? '')
  );
}
