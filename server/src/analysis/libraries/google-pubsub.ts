/**
 * @google-cloud/pubsub streaming pull: `subscription.on('message', fn)`, the subscription made by
 * `pubsub.subscription(name)`, `topic.subscription(name)`, `createSubscription(...)` or
 * `new Subscription(pubsub, name)`. Settling is explicit: `message.ack()` / `message.nack()`
 * (`ackWithResponse()` / `nackWithResponse()` with exactly-once delivery). An unsettled message is
 * held while the client extends its lease, then redelivered. Identity: `message.id`.
 */
import { ts } from 'ts-morph';
import type { MessageValues } from '../source/message-values';
import { calledName, receiverOf, staticText, unwrap } from '../source/ast';
import { resolveFunction } from '../source/symbols';
import {
  callsNamed,
  creationOf,
  firstParameterName,
  receiverFromPackages,
  refersToImport,
  returnedCreation,
} from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const PACKAGES = ['@google-cloud/pubsub'];
const SETTLES = { ack: 'ack', ackWithResponse: 'ack', nack: 'nack', nackWithResponse: 'nack' } as const;

export const googlePubsub: LibraryModule = {
  info: {
    id: 'google-pubsub',
    displayName: '@google-cloud/pubsub',
    packages: PACKAGES,
    registration:
      "`subscription.on('message', fn)` (subscription from `pubsub.subscription(name)` / `topic.subscription(name)`)",
    ackModes: 'explicit (`message.ack()` / `nack()`, `ackWithResponse()`)',
    identity: '`message.id`',
  },
  traits: {
    sourceNoun: 'subscription',
    redeliveryCause: {
      default: 'a crash, a nack or an expired ack deadline before the ack makes Pub/Sub deliver it again',
    },
    settleMeaning: 'the message is acknowledged',
    failureOutcome: 'the failure reaches the library',
    deadLetter:
      "the subscription's dead-letter policy forwards a message to its dead-letter topic after `maxDeliveryAttempts`",
    holdsUnsettled: {
      kind: 'lease-extended',
      explanation:
        'Pub/Sub holds an unacked message while the client keeps extending its lease, then redelivers it, again and again',
    },
    code: { settle: { via: 'message', ack: '{{message}}.ack()', nackRequeue: '{{message}}.nack()' } },
  },
  identity: { idProperties: ['id', 'attributes'], nonUniqueProperties: [] },
  messageTypes: {
    names: ['Message'],
    identityHint: 'message.id (or an event-ID attribute)',
    identity: (message) => `${message}.id`,
  },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    for (const call of callsNamed(sourceFile, ['on', 'addListener'])) {
      const [event, listener] = call.arguments;
      if (!event || !listener || staticText(event) !== 'message') continue;
      const receiver = receiverOf(call);
      if (!receiver) continue;
      const subscription = subscriptionOf(receiver, context);
      if (!subscription) continue;
      const handler = resolveFunction(listener, context.checker);
      if (!handler) continue;
      const message = firstParameterName(handler);
      sites.push({
        library: googlePubsub,
        form: "on('message')",
        registrationNode: call,
        handler,
        messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
        ackMode: 'explicit',
        source: subscription.name,
        identityHint: 'message.id (or an event-ID attribute)',
        identityExpression: message ? `${message}.id` : undefined,
      });
    }
    return sites;
  },

  settleOf(call: ts.CallExpression, values: MessageValues) {
    const name = calledName(call) as keyof typeof SETTLES | undefined;
    if (!name || !Object.hasOwn(SETTLES, name)) return undefined;
    const receiver = receiverOf(call);
    if (!receiver || !values.derivesFrom(receiver)) return undefined;
    return { kind: SETTLES[name], label: `message.${name}()` };
  },
};

/**
 * Whether `.on('message')` is called on a Pub/Sub subscription, and its static name. Other
 * emitters have 'message' events too (workers, sockets, `process`): the receiver must be made by
 * a subscription factory, or be typed or named as a subscription in a file that uses Pub/Sub.
 */
function subscriptionOf(receiver: ts.Expression, context: LibraryContext): { name?: string } | undefined {
  let created = creationOf(receiver, context.checker);
  // A subscription a project function returns (a service's getter) was made where it made it.
  if (created && ts.isCallExpression(created)) created = returnedCreation(created, context.checker) ?? created;
  if (created && (ts.isCallExpression(created) || ts.isNewExpression(created))) {
    const factory = ts.isNewExpression(created)
      ? refersToImport(created.expression, PACKAGES, 'Subscription', context.checker)
      : ['subscription', 'createSubscription'].includes(calledName(created) ?? '');
    if (factory && receiverFromPackages(created.expression, PACKAGES, context))
      return { name: subscriptionName(created, context.checker) };
  }
  if (!receiverFromPackages(receiver, PACKAGES, context, ['Subscription'])) return undefined;
  const value = unwrap(receiver);
  const named = ts.isIdentifier(value) ? value.text : ts.isPropertyAccessExpression(value) ? value.name.text : '';
  return /sub(scription)?s?$/i.test(named) || declaredAsSubscription(value, context.checker) ? {} : undefined;
}

/** `pubsub.subscription(name)`, `topic.createSubscription(name)`, `pubsub.createSubscription(topic, name)`, `new Subscription(pubsub, name)`. */
function subscriptionName(created: ts.CallExpression | ts.NewExpression, checker: ts.TypeChecker): string | undefined {
  const args = created.arguments ?? [];
  let argument = args[0];
  if (ts.isNewExpression(created)) argument = args[1];
  else if (
    calledName(created) === 'createSubscription' &&
    args[1] &&
    !ts.isObjectLiteralExpression(unwrap(args[1])) &&
    staticText(args[1], checker) !== undefined
  )
    argument = args[1];
  // projects/<project>/subscriptions/<name>: the last segment names it.
  const text = staticText(argument, checker)?.split('/').pop();
  return text && !text.includes('${…}') ? text : undefined;
}

/** A parameter or field declared with the type `Subscription` (resolved or not). */
function declaredAsSubscription(value: ts.Expression, checker: ts.TypeChecker): boolean {
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(value) ? value.name : value);
  } catch {
    return false;
  }
  return (symbol?.declarations ?? []).some((declaration) => {
    const type =
      (ts.isParameter(declaration) || ts.isPropertyDeclaration(declaration) || ts.isVariableDeclaration(declaration)) &&
      declaration.type;
    return !!type && ts.isTypeReferenceNode(type) && /(^|\.)Subscription$/.test(type.typeName.getText());
  });
}
