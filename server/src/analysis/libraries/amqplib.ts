/**
 * amqplib and amqp-connection-manager: `channel.consume(queue, onMessage, { noAck })`.
 * Manual ack by default (`ack`/`nack`/`reject`); `noAck: true` acks on delivery, before the handler.
 */
import { ts } from 'ts-morph';
import { booleanValue, calledName, propertyOf, propertyValue, unwrap } from '../source/ast';
import { resolveFunction } from '../source/symbols';
import type { MessageValues } from '../source/message-values';
import { callsNamed, firstParameterName, receiverFromPackages, shortName } from './shared';
import { hasDeadLetterRoute } from './dead-letter';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const PACKAGES = ['amqplib', 'amqplib/callback_api', 'amqp-connection-manager'];
const SETTLES = { ack: 'ack', nack: 'nack', reject: 'reject', ackAll: 'ack', nackAll: 'nack' } as const;

/** How RabbitMQ delivers, shared with NestJS's RMQ transport. */
export const RABBITMQ = {
  redeliveryCause: 'a crash, a lost connection or a nack before the ack makes RabbitMQ deliver it again',
  settleMeaning: 'the message is acknowledged',
  deadLetter:
    'a nack or reject without requeue dead-letters the message when its queue has a dead-letter exchange (`x-dead-letter-exchange`), and drops it otherwise',
  heldExplanation:
    'RabbitMQ holds an unacked message until the channel closes: it takes a prefetch slot (enough of them stall the consumer) and comes back only on a reconnect',
  secondSettle:
    'RabbitMQ answers an unknown delivery tag with 406 PRECONDITION_FAILED and closes the channel: every unacked message on it is redelivered (duplicates), and the consumer receives nothing more until it reconnects.',
  /** Settling through the channel, with the message as argument. */
  settle: {
    via: 'channel',
    ack: '{{channel}}.ack({{message}})',
    nackRequeue: '{{channel}}.nack({{message}}, false, true)',
    nackDrop: '{{channel}}.nack({{message}}, false, false)',
  },
} as const;

export const amqplib: LibraryModule = {
  info: {
    id: 'amqplib',
    displayName: 'amqplib (+ amqp-connection-manager)',
    packages: PACKAGES,
    registration: '`channel.consume(queue, fn, opts)`, also in `createChannel({ setup })`',
    ackModes: 'explicit (`ack`/`nack`/`reject`), or auto-before-handler with `noAck: true`',
    identity: '`msg.properties.messageId`',
    // A channel a project helper returns (`const channel = await getChannel()`): the file consuming
    // from it need not import amqplib; its origin is followed through the helper.
    mentions: /^(?=[\s\S]*\.consume\s*\()(?=[\s\S]*(?:\.(?:ack|nack|reject)\s*\(|\bnoAck\b))/,
  },
  traits: {
    sourceNoun: 'queue',
    redeliveryCause: { default: RABBITMQ.redeliveryCause },
    settleMeaning: RABBITMQ.settleMeaning,
    failureOutcome: 'the failure reaches the library',
    deadLetter: RABBITMQ.deadLetter,
    holdsUnsettled: {
      kind: 'until-channel-close',
      explanation: RABBITMQ.heldExplanation,
      cancelledWithoutMessage: true,
    },
    secondSettle: { default: RABBITMQ.secondSettle },
    autoAck: {
      reason: 'it consumes with `noAck: true`',
      remedy: 'Consume with `noAck: false` and ack after the processing succeeds.',
    },
    drop: {
      explanation:
        'without requeue drops the message: no dead-letter exchange is declared for {{queue}} in the project',
      redeliver: {
        title: 'Nack the message with requeue, for redelivery',
        call: '{{receiver}}.nack({{message}}, false, true)',
      },
    },
    code: {
      settle: { ...RABBITMQ.settle, fallback: 'registration' },
      guardSettlesThroughRegistration: true,
      identityHashFallback: 'content',
      manualAckOption: 'noAck',
    },
  },
  identity: { idProperties: ['messageId'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    for (const call of callsNamed(sourceFile, ['consume'])) {
      if (call.arguments.length < 2) continue;
      const receiver = ts.isPropertyAccessExpression(call.expression) ? call.expression.expression : undefined;
      if (!receiverFromPackages(receiver, PACKAGES, context, ['Channel', 'ConfirmChannel', 'ChannelWrapper'])) continue;
      const handler = resolveFunction(call.arguments[1], context.checker);
      if (!handler) continue;
      const options = call.arguments[2] && unwrap(call.arguments[2]);
      const noAckNode = options && ts.isObjectLiteralExpression(options) ? propertyOf(options, 'noAck') : undefined;
      const noAck =
        options && ts.isObjectLiteralExpression(options) ? booleanValue(propertyValue(options, 'noAck')) : undefined;
      const message = firstParameterName(handler);
      sites.push({
        library: amqplib,
        form: 'consume',
        registrationNode: call,
        handler,
        messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
        ackMode: noAck ? 'auto-before-handler' : 'explicit',
        ackModeNode: noAckNode,
        source: shortName(call.arguments[0], context.checker),
        deadLetterRoute: hasDeadLetterRoute(context.program, shortName(call.arguments[0], context.checker)),
        identityHint: 'msg.properties.messageId',
        identityExpression: message ? `${message}.properties.messageId` : undefined,
      });
    }
    return sites;
  },

  settleOf(call: ts.CallExpression, values: MessageValues) {
    const name = calledName(call) as keyof typeof SETTLES | undefined;
    if (!name || !Object.hasOwn(SETTLES, name)) return undefined;
    if (name !== 'ackAll' && name !== 'nackAll') {
      const [message] = call.arguments;
      if (!message || !values.derivesFrom(message)) return undefined;
    }
    const kind = SETTLES[name];
    return { kind, label: `channel.${name}()`, requeue: kind === 'ack' ? undefined : requeueOf(name, call) };
  },
};

/**
 * The requeue argument of nack(msg, allUpTo, requeue), reject(msg, requeue), nackAll(requeue):
 * amqplib's default is true; undefined when it is not a literal. NestJS RMQ settles on amqplib's
 * channel too.
 */
export function requeueOf(name: string, call: ts.CallExpression): boolean | undefined {
  const index = name === 'nack' ? 2 : name === 'reject' ? 1 : 0;
  const argument = call.arguments[index];
  if (!argument) return true;
  return booleanValue(argument);
}
