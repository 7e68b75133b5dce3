/** Publishing another message: a duplicate upstream becomes a duplicate downstream. */
import { ts } from 'ts-morph';
import { assignedValue, calledName, propertyName, staticText, symbolOf, unwrap, unwrapAwait } from '../source/ast';
import { packageOfSpecifier, typeName } from '../source/symbols';
import { commandOf, findProperty, keyedByMessage, objectLiteral, resolveValue, topProperty } from './objects';
import { CallLink, ClassifiedCall, MatchContext, effect } from './matcher';

const DUPLICATE = 'publishes a duplicate message downstream';
/** Failure routing destinations (docs/model.md, "Failure routing and handing failures on"): publishing there settles a failed message. */
export const FAILURE_DESTINATION = /dlq|dead|retry|error|fail/i;

function publish(link: CallLink, label: string, destination: string | undefined, keyed: boolean): ClassifiedCall {
  const target = destination ? `${label} → ${destination}` : label;
  const result = keyed
    ? effect(link, 'idempotent', 'publish', `${target} (deduplicated)`, { keyedByMessage: true })
    : effect(link, 'duplicate-unsafe', 'publish', target, { onDuplicate: DUPLICATE });
  if (destination) result.description.destination = destination;
  return result;
}

/** Where an unseen publish function sends: a static argument, or a constant of a package (`subjects.OrderUpdated`). */
function publishedTo(link: CallLink, context: MatchContext): string | undefined {
  for (const argument of link.call.arguments) {
    const text = staticText(argument, context.checker);
    if (text) return text;
  }
  return link.call.arguments.find((argument) => ts.isPropertyAccessExpression(unwrap(argument)))?.getText();
}

export function matchPublishes(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  const published = matchPublish(link, context);
  if (!published || published.description.category !== 'publish') return published;
  // A consumer of a dead-letter queue that publishes the message on redrives it, and a publish
  // that counts one more attempt re-queues it for another try (docs/model.md, "Failure routing
  // and handing failures on"): failure routing, not a duplicate downstream.
  const routing = context.redrive ? 'redrive' : countsNextAttempt(link, context) ? 'retry' : undefined;
  if (!routing) return published;
  const description = published.description;
  return {
    ...published,
    description: {
      ...description,
      class: 'idempotent',
      label: `${description.label} (${routing})`,
      ...(routing === 'retry' && { failureRouting: true }),
    },
  };
}

/** A retry counter's name: `retryCount`, `x-retry-count`, `retries`, `attempt`, `deliveryAttempts`. */
const RETRY_COUNTER = /retr(y|ies)|attempt/i;

/**
 * Whether a publish carries a retry counter set to one more than before (`retryCount: n + 1`,
 * `headers: { 'x-retry': next }` with `const next = n + 1`), in its message, options or headers,
 * also inside `Buffer.from(JSON.stringify({ ... }))`. A fixed count (`attempts: 3`) is a job
 * option, not a retry.
 */
function countsNextAttempt(link: CallLink, context: MatchContext): boolean {
  return link.call.arguments.some((argument) => carriesIncrement(argument, context, 0));
}

function carriesIncrement(expression: ts.Expression, context: MatchContext, depth: number): boolean {
  if (depth > 5) return false;
  const value = unwrap(expression);
  if (ts.isCallExpression(value) && /^(from|stringify)$/.test(calledName(value) ?? '') && value.arguments[0])
    return carriesIncrement(value.arguments[0], context, depth + 1);
  const object = objectLiteral(value, context);
  if (!object) return false;
  return object.properties.some((property) => {
    if (ts.isSpreadAssignment(property)) return carriesIncrement(property.expression, context, depth + 1);
    const assigned = assignedValue(property);
    if (!assigned) return false;
    const name = propertyName(property);
    if (name && RETRY_COUNTER.test(name) && isIncrement(resolveValue(assigned, context))) return true;
    return carriesIncrement(assigned, context, depth + 1);
  });
}

/** `n + 1`, `1 + n`, `++n`, `n++`. */
function isIncrement(expression: ts.Expression | undefined): boolean {
  if (!expression) return false;
  const value = unwrap(expression);
  if (ts.isPrefixUnaryExpression(value) || ts.isPostfixUnaryExpression(value))
    return value.operator === ts.SyntaxKind.PlusPlusToken;
  if (!ts.isBinaryExpression(value) || value.operatorToken.kind !== ts.SyntaxKind.PlusToken) return false;
  const isOne = (side: ts.Expression): boolean => ts.isNumericLiteral(unwrap(side)) && unwrap(side).getText() === '1';
  return isOne(value.left) || isOne(value.right);
}

function matchPublish(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin() ?? '';
  const names = link.receiverNames.filter((name) => name !== 'this');
  const receiver = names[names.length - 1] ?? '';
  const method = link.method;

  // A handler registered by an installed package (`subscribe` of @acme/events) publishes through
  // the same package's `publish…`, `emit…` and `send…` (docs/model.md, "Handlers registered outside
  // the project").
  if (
    context.brokerPackage &&
    packageOfSpecifier(origin) === packageOfSpecifier(context.brokerPackage) &&
    /^(publish|emit|send)([A-Z_$\d]|$)/.test(method)
  )
    return publish(link, `${method}() of ${origin}`, publishedTo(link, context), false);

  // socket.io emit to live connections: nothing durable, lost on a restart like in-memory state, so
  // not a processing effect (docs/model.md, "Effects").
  if (/^socket\.io(-client)?$/.test(origin) && /^(emit|send|volatile|timeout)$/.test(method))
    return effect(link, 'read', 'publish', `socket.io ${method} (live connections)`, { processing: false });

  // kafkajs / Confluent producer.send({ topic, messages })
  if (
    (method === 'send' || method === 'sendBatch') &&
    (/kafkajs|kafka-javascript/.test(origin) || /producer/.test(receiver) || receiver === 'transaction')
  ) {
    const topic = staticText(topProperty(link.argument(0), 'topic', context), context.checker);
    if (/transaction/.test(receiver) || isKafkaTransaction(link.receiver, context.checker)) {
      return effect(link, 'idempotent', 'publish', `Kafka transactional send${topic ? ` → ${topic}` : ''}`);
    }
    if (method === 'send' && !findProperty(link.argument(0), (name) => name === 'messages', context)) return undefined;
    return publish(link, 'Kafka producer.send', topic, false);
  }
  // amqplib channel.publish(exchange, routingKey, content, options) / sendToQueue(queue, content, options)
  if (
    method === 'sendToQueue' ||
    (method === 'publish' && (/amqp/.test(origin) || /channel/.test(receiver)) && link.call.arguments.length >= 3)
  ) {
    // An RPC reply to the request's replyTo is an answer, not an event (docs/rules/producer-missing-event-id.md).
    // The request's reply address may reach the publish through variables and a helper's parameters.
    if (isReplyAddress(link.argument(method === 'sendToQueue' ? 0 : 1), context)) {
      return effect(link, 'read', 'publish', 'amqplib reply to replyTo', { processing: false });
    }
    // Names held in constants of unresolved packages still tell: fall back to the expression's text.
    const named = (index: number) =>
      staticText(link.argument(index), context.checker) ?? link.argument(index)?.getText();
    const destination = named(method === 'publish' ? 1 : 0) ?? named(0);
    const result = publish(link, `amqplib ${method}`, destination, false);
    result.description.synchronous = true; // returns a boolean (write buffer state), not a promise
    // Failure routing may be named by the exchange ('orders.dlx') or by the routing key.
    if (method === 'publish') {
      const exchange = named(0);
      if (exchange && exchange !== destination)
        result.description.destination = [exchange, destination].filter(Boolean).join('/');
    }
    return result;
  }
  // SQS / SNS: client.send(new SendMessageCommand({ QueueUrl, MessageDeduplicationId }))
  if (method === 'send') {
    const command = commandOf(link.argument(0), context);
    if (command && /^(SendMessage|SendMessageBatch|Publish|PublishBatch)Command$/.test(command.name)) {
      const dedup = findProperty(command.input, (name) => name === 'MessageDeduplicationId', context);
      const keyed = !!dedup && context.values.isIdentityKey(dedup);
      const queue = topProperty(command.input, 'QueueUrl', context) ?? topProperty(command.input, 'TopicArn', context);
      // A URL or ARN gives its last part; a name that is not static (a helper's `queueUrl`
      // parameter, `config.deadLetterQueueUrl`) still tells where it goes, as its text.
      const destination = staticText(queue, context.checker)?.split(/[/:]/).pop() ?? (queue && unwrap(queue).getText());
      const result = publish(
        link,
        command.name.startsWith('Send') ? 'SQS SendMessage' : 'SNS Publish',
        destination,
        keyed,
      );
      if (!keyed && command.name === 'SendMessageCommand') result.description.effectFix = 'sqs-deduplication-id';
      return result;
    }
  }
  // BullMQ queue.add(name, data, { jobId })
  if (
    (method === 'add' || method === 'addBulk') &&
    (/bull/.test(origin) || (!origin && /queue$/.test(receiver) && link.call.arguments.length >= 2))
  ) {
    const options = link.argument(2);
    const jobId = findProperty(options, (name) => name === 'jobId', context);
    const keyed = method === 'add' && !!jobId && context.values.isIdentityKey(jobId);
    const withFreshJobId = method === 'add' && !!jobId && !keyed;
    const result = publish(link, `BullMQ ${method}`, staticText(link.argument(0), context.checker), keyed);
    if (!keyed) result.description.effectFix = 'bullmq-job-id';
    if (withFreshJobId) result.description.onDuplicate = `${DUPLICATE} (its jobId is made fresh per delivery)`;
    return result;
  }
  // Pub/Sub topic.publishMessage / publish / publishJSON
  if (
    ['publishMessage', 'publish', 'publishJSON'].includes(method) &&
    (origin === '@google-cloud/pubsub' || link.path.includes('topic') || /topic$/.test(receiver))
  ) {
    return publish(link, `Pub/Sub ${method}`, topicName(link), false);
  }
  // NATS nc.publish(subject, data) / js.publish(subject, data, { msgID })
  if (method === 'publish' && (/nats/.test(origin) || /^(nc|nats|js|jetstream|natsconnection)$/.test(receiver))) {
    const msgId = findProperty(link.argument(2), (name) => name === 'msgID', context);
    return publish(
      link,
      'NATS publish',
      staticText(link.argument(0), context.checker),
      !!msgId && context.values.isIdentityKey(msgId),
    );
  }
  // NestJS ClientProxy emit/send
  if (
    (method === 'emit' || method === 'send') &&
    (origin === '@nestjs/microservices' ||
      /^Client(Proxy|Kafka|RMQ|Nats|Redis)/.test(
        typeName(link.receiver ?? link.call.expression, context.checker) ?? '',
      ))
  ) {
    return publish(link, `NestJS client.${method}`, staticText(link.argument(0), context.checker), false);
  }
  // Service Bus sender.sendMessages({ body, messageId })
  if (method === 'sendMessages' && (origin === '@azure/service-bus' || /sender/.test(receiver))) {
    return publish(link, 'Service Bus sendMessages', undefined, keyedByMessage(link.argument(0), context));
  }
  return undefined;
}

/**
 * Whether a destination is the request's reply address (`msg.properties.replyTo`): read directly,
 * through variables and destructuring, or through the parameter of a helper the caller passed it to.
 */
function isReplyAddress(expression: ts.Expression | undefined, context: MatchContext, depth = 0): boolean {
  if (!expression || depth > 6) return false;
  const value = unwrap(expression);
  if (ts.isPropertyAccessExpression(value)) return /^reply_?to$/i.test(value.name.text);
  if (!ts.isIdentifier(value)) return false;
  const declaration = symbolOf(value, context.checker)?.valueDeclaration;
  if (!declaration) return false;
  if (ts.isBindingElement(declaration)) {
    const property = declaration.propertyName ?? declaration.name;
    return ts.isIdentifier(property) && /^reply_?to$/i.test(property.text);
  }
  if (ts.isVariableDeclaration(declaration) && declaration.initializer)
    return isReplyAddress(declaration.initializer, context, depth + 1);
  if (ts.isParameter(declaration)) return isReplyAddress(context.values.argumentFor(value), context, depth + 1);
  return false;
}

/**
 * A kafkajs transaction under any name: typed `Transaction`, or a variable made by
 * `await producer.transaction()` (`const tx = await producer.transaction()`).
 */
function isKafkaTransaction(receiver: ts.Expression | undefined, checker: ts.TypeChecker): boolean {
  if (!receiver) return false;
  if (typeName(receiver, checker) === 'Transaction') return true;
  const value = unwrap(receiver);
  if (!ts.isIdentifier(value)) return false;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return false;
  const init = unwrapAwait(declaration.initializer);
  return ts.isCallExpression(init) && calledName(init) === 'transaction';
}

function topicName(link: CallLink): string | undefined {
  let current: ts.Expression = link.call.expression;
  while (ts.isPropertyAccessExpression(current) || ts.isCallExpression(current)) {
    if (
      ts.isCallExpression(current) &&
      ts.isPropertyAccessExpression(current.expression) &&
      current.expression.name.text === 'topic'
    ) {
      const [first] = current.arguments;
      return first && ts.isStringLiteralLike(first) ? first.text : undefined;
    }
    current = current.expression;
  }
  return undefined;
}
