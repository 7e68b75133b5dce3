/** Calls that leave the process: HTTP, email/SMS/push, payments, file appends. */
import { ts } from 'ts-morph';
import { staticText, unwrap } from '../source/ast';
import { calledFunction, originModule } from '../source/symbols';
import {
  commandOf,
  findProperty,
  keyedByMessage,
  objectLiteral,
  requestMethod,
  resolveValue,
  topProperty,
} from './objects';
import { CallLink, ClassifiedCall, MatchContext, effect } from './matcher';

const HTTP_MODULES = new Set([
  'axios',
  'got',
  'ky',
  'superagent',
  'node-fetch',
  'undici',
  '@nestjs/axios',
  'request',
  'needle',
  'cross-fetch',
]);
const HTTP_RECEIVERS = /^(axios|got|ky|superagent|http|httpclient|httpservice|request|needle|undici)$/;

/**
 * Headers named as the receiver's dedup key: `Idempotency-Key`, or an event, message or delivery
 * ID (`X-Event-Id`, `X-Acme-Event-Id`, `X-Message-Id`, `X-Acme-Delivery`). A header named
 * otherwise (`X-Acme-Call`) says nothing about what the receiver does with it.
 */
const DEDUP_HEADER = /^(x-)?([a-z0-9]+-)*(idempotency-key|idempotency-id|event-id|message-id|delivery-id|delivery)$/i;

function idempotencyHeader(init: ts.Expression | undefined, context: MatchContext): boolean {
  const headers = findProperty(init, (name) => name === 'headers', context);
  const value = findProperty(headers, (name) => DEDUP_HEADER.test(name.replace(/_/g, '-')), context);
  return !!value && context.values.isIdentityKey(value);
}

function httpEffect(
  link: CallLink,
  method: string,
  init: ts.Expression | undefined,
  target: string,
  context: MatchContext,
): ClassifiedCall {
  const label = `HTTP ${method} ${target}`.trim();
  if (method === 'POST' || method === 'PATCH') {
    if (idempotencyHeader(init, context)) return effect(link, 'idempotent', 'http', label, { keyedByMessage: true });
    return effect(link, 'duplicate-unsafe', 'http', label, { onDuplicate: `repeats the ${method} request` });
  }
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return effect(link, 'read', 'http', label);
  return effect(link, 'idempotent', 'http', label);
}

function urlText(argument: ts.Expression | undefined, context: MatchContext): string {
  const text = staticText(argument, context.checker);
  if (!text) return '';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function matchHttp(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const isGlobalFetch = link.path.length === 1 && link.method === 'fetch';
  if (isGlobalFetch || (link.method === 'fetch' && /^(globalthis|window)$/.test(link.receiverNames[0] ?? ''))) {
    const init = link.argument(1);
    const method = requestMethod(init, context);
    if (!method) return undefined; // method not static: cannot tell
    return httpEffect(link, method, init, urlText(link.argument(0), context), context);
  }
  const origin = link.origin();
  const receiver = link.receiverNames[link.receiverNames.length - 1] ?? '';
  const known = (origin && HTTP_MODULES.has(origin)) || (!origin && HTTP_RECEIVERS.test(receiver));
  if (!known) return undefined;
  const verb = link.method.toUpperCase();
  if (['POST', 'PATCH', 'PUT', 'DELETE', 'GET', 'HEAD'].includes(verb)) {
    // axios.post(url, data, config); got.post(url, options)
    const config =
      verb === 'POST' || verb === 'PATCH' || verb === 'PUT' ? (link.argument(2) ?? link.argument(1)) : link.argument(1);
    return httpEffect(link, verb, config, urlText(link.argument(0), context), context);
  }
  if (link.method === 'request' || (link.path.length === 1 && origin === 'axios')) {
    // axios.request(config), axios(config); undici's request(url, options)
    const urlFirst = origin === 'undici' || !objectLiteral(link.argument(0), context);
    const config = urlFirst ? (link.argument(1) ?? link.argument(0)) : link.argument(0);
    const method = requestMethod(config, context);
    if (!method) return undefined; // method not static: cannot tell
    const url = urlFirst && link.argument(1) ? link.argument(0) : topProperty(config, 'url', context);
    return httpEffect(link, method, config, urlText(url, context), context);
  }
  return undefined;
}

const EMAIL_COMMANDS = /^(SendEmail|SendRawEmail|SendTemplatedEmail|SendBulkTemplatedEmail|SendBulkEmail)Command$/;

export function matchNotifications(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin() ?? '';
  const names = link.receiverNames.join('.');
  if (link.method === 'sendMail' || (link.method === 'sendEmail' && /ses|postmark|mail/.test(names + origin))) {
    return effect(link, 'duplicate-unsafe', 'email', `${link.method} (email)`, {
      onDuplicate: 'sends the email a second time',
    });
  }
  if (link.method === 'send') {
    const command = commandOf(link.argument(0), context);
    if (command && EMAIL_COMMANDS.test(command.name))
      return effect(link, 'duplicate-unsafe', 'email', `SES ${command.name}`, {
        onDuplicate: 'sends the email a second time',
      });
    if (origin === '@sendgrid/mail' || /sgmail|sendgrid/.test(names))
      return effect(link, 'duplicate-unsafe', 'email', 'SendGrid send', {
        onDuplicate: 'sends the email a second time',
      });
    if (/resend/.test(origin + names) && names.endsWith('emails'))
      return effect(link, 'duplicate-unsafe', 'email', 'Resend emails.send', {
        onDuplicate: 'sends the email a second time',
      });
    if (/firebase/.test(origin) || names.includes('messaging'))
      return effect(link, 'duplicate-unsafe', 'email', 'FCM send (push)', {
        onDuplicate: 'pushes the notification a second time',
      });
  }
  if (
    ['sendMulticast', 'sendEach', 'sendEachForMulticast', 'sendToDevice', 'sendAll'].includes(link.method) &&
    (/firebase/.test(origin) || names.includes('messaging'))
  ) {
    return effect(link, 'duplicate-unsafe', 'email', `FCM ${link.method} (push)`, {
      onDuplicate: 'pushes the notification a second time',
    });
  }
  if (
    link.method === 'create' &&
    names.endsWith('messages') &&
    (/twilio|mailgun/.test(origin) || /twilio|sms|mailgun|^mg\b/.test(names))
  ) {
    return effect(link, 'duplicate-unsafe', 'email', 'Twilio messages.create (SMS)', {
      onDuplicate: 'sends the SMS a second time',
    });
  }
  if (link.method === 'trigger' && (/novu/.test(origin) || /novu/.test(names))) {
    if (keyedByMessage(link.argument(1), context))
      return effect(link, 'idempotent', 'email', 'Novu trigger (transactionId)', { keyedByMessage: true });
    return effect(link, 'duplicate-unsafe', 'email', 'Novu trigger', {
      onDuplicate: 'sends the notification a second time',
    });
  }
  return notificationSend(link, context, origin, names);
}

/** Packages of notification services (e-mail, SMS, push, chat), by name. */
const NOTIFICATION_PACKAGE =
  /mail|sms|notif|push|slack|telegra|twilio|novu|courier|knock|onesignal|postmark|sendgrid|resend|brevo|sendinblue|vonage|nexmo|plivo|messagebird|sinch|bird|discord|teams|whatsapp|mattermost|expo-server-sdk|gov-?notify|notifications-node-client/i;
/** Methods that send, named so: on any package's client they send one more message per call. */
const SENDING_METHOD =
  /^(send(Email|Emails|Mail|Sms|SMS|Text|Message|Messages|Notification|Notifications|Push|PushNotification|Template|TemplateEmail|TemplatedEmail|BatchEmails?|Bulk\w*)|postMessage|createNotification|notify)$/;
/**
 * Packages whose `send`-named calls are publishes or storage, judged by their own matchers; and
 * Node's modules for threads and processes, whose `postMessage`/`send` stay on the machine.
 */
const NOT_NOTIFICATION =
  /^(aws-sdk|@aws-sdk\/|kafkajs|amqplib|amqp-connection-manager|bullmq|bull|@google-cloud\/pubsub|nats|@azure\/service-bus|ioredis|redis|socket\.io|ws$|(node:)?(worker_threads|child_process|cluster)$)/;
const DEDUP_OPTIONS = [
  'transactionId',
  'idempotencyKey',
  'idempotency_key',
  'dedupKey',
  'deduplicationKey',
  'dedupe_key',
];

/**
 * Notification services by category (docs/model.md, "Effects"): a package client's method that
 * sends (`sendEmail`, `sendSms`, `sendMessage`, `postMessage`), a notification package's `send`,
 * and a multi-channel `trigger`. Keyed when an option the service dedups on (`transactionId`,
 * `idempotencyKey`) comes from the message. Only calls into packages: a project function named
 * `sendEmail` is followed into its body instead.
 */
function notificationSend(
  link: CallLink,
  context: MatchContext,
  origin: string,
  names: string,
): ClassifiedCall | undefined {
  const method = link.method ?? '';
  if (!origin || origin.startsWith('.') || NOT_NOTIFICATION.test(origin)) return undefined;
  if (calledFunction(link.call, context.checker)) return undefined; // the project's own function: followed
  const named = SENDING_METHOD.test(method);
  const byPackage =
    (method === 'send' || method === 'trigger' || method === 'create') && NOTIFICATION_PACKAGE.test(origin);
  if (!named && !byPackage) return undefined;
  if (method === 'create' && !/message|notification|email/.test(names)) return undefined;
  const label = `${names.split('.').filter(Boolean).slice(-1)[0] ?? origin}.${method} (${origin})`;
  const keyed = link.call.arguments.some((argument) => {
    const value = findProperty(argument, (name) => DEDUP_OPTIONS.includes(name), context);
    return !!value && context.values.isIdentityKey(value);
  });
  if (keyed) return effect(link, 'idempotent', 'email', `${label} (deduplicated)`, { keyedByMessage: true });
  return effect(link, 'duplicate-unsafe', 'email', label, { onDuplicate: 'sends the notification a second time' });
}

const STRIPE_UNSAFE = new Set([
  'create',
  'confirm',
  'capture',
  'pay',
  'createUsageRecord',
  'finalizeInvoice',
  'sendInvoice',
  'createReversal',
]);

/** Stripe mutations without an idempotencyKey charge, refund or transfer again on redelivery. */
export function matchStripe(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method || !STRIPE_UNSAFE.has(link.method)) return undefined;
  const origin = link.origin();
  const names = link.receiverNames.filter((name) => name !== 'this');
  if (origin !== 'stripe' && !/stripe/.test(names[0] ?? '')) return undefined;
  if (origin === 'stripe' && names.length < 1) return undefined;
  const original = link.path.slice(0, -1).filter((name) => name !== 'this');
  const resource = original.slice(1).join('.') || original[0] || 'stripe';
  const label = `Stripe ${resource}.${link.method}`;
  // meterEvents.create({ identifier }) dedups by its identifier.
  if (resource.endsWith('meterEvents') && keyedByMessage(link.argument(0), context))
    return effect(link, 'idempotent', 'payment', label, { keyedByMessage: true });
  const options = link.call.arguments.find(
    (argument, index) => index > 0 && findProperty(argument, (name) => name === 'idempotencyKey', context),
  );
  if (options) {
    const key = findProperty(options, (name) => name === 'idempotencyKey', context);
    if (key && context.values.isIdentityKey(key))
      return effect(link, 'idempotent', 'payment', `${label} (idempotencyKey)`, { keyedByMessage: true });
    return effect(link, 'duplicate-unsafe', 'payment', label, {
      onDuplicate: stripeDuplicate(resource) + ' (its idempotencyKey is made fresh per delivery)',
      effectFix: 'stripe-idempotency-key',
    });
  }
  return effect(link, 'duplicate-unsafe', 'payment', label, {
    onDuplicate: stripeDuplicate(resource),
    effectFix: 'stripe-idempotency-key',
  });
}

function stripeDuplicate(resource: string): string {
  if (/refund/i.test(resource)) return 'refunds the customer a second time';
  if (/transfer|payout/i.test(resource)) return 'sends the money a second time';
  if (/invoice/i.test(resource)) return 'bills the customer a second time';
  if (/subscription/i.test(resource)) return 'creates a second subscription';
  if (/customer/i.test(resource)) return 'creates a duplicate customer';
  return 'charges the customer a second time';
}

export function matchFiles(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin() ?? '';
  const fsLike =
    /^(node:)?fs(\/promises)?$|^fs-extra$/.test(origin) ||
    /^(fs|fsp|promises)$/.test(link.receiverNames[link.receiverNames.length - 1] ?? '') ||
    link.path.length === 1;
  if (!fsLike) return undefined;
  if (link.method === 'appendFile' || link.method === 'appendFileSync') {
    return effect(link, 'duplicate-unsafe', 'file', link.method, {
      onDuplicate: 'appends the record twice',
      synchronous: link.method.endsWith('Sync'),
    });
  }
  if (link.method === 'createWriteStream') {
    const flags = staticText(topProperty(link.argument(1), 'flags', context), context.checker);
    if (flags?.startsWith('a'))
      return effect(link, 'duplicate-unsafe', 'file', 'append-mode write stream', {
        onDuplicate: 'appends the record twice',
        synchronous: true,
      });
  }
  if (link.method === 'writeFile' || link.method === 'writeFileSync')
    return effect(link, 'idempotent', 'file', link.method, { synchronous: link.method.endsWith('Sync') });
  return undefined;
}

/** AWS SDK commands that create or start something: each call makes one more, unless it carries a client token. */
const CREATING_COMMAND = /^(Create|Run|Start|Send|Publish|Invoke)\w*Command$/;
/** The request tokens AWS APIs deduplicate on (`StartExecution` dedups on its execution `name`). */
const CLIENT_TOKENS = ['ClientToken', 'clientToken', 'ClientRequestToken', 'CallerReference', 'IdempotencyToken'];

/**
 * `client.send(new RunTaskCommand({…}))` and the other AWS SDK commands that create or start
 * something: duplicate-unsafe unless the input carries a client token derived from the message.
 * The SDK commands with a matcher of their own (SQS, SNS, SES, DynamoDB) come before this one.
 */
export function matchCloudCommands(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (link.method !== 'send') return undefined;
  const command = commandOf(link.argument(0), context);
  if (!command || !CREATING_COMMAND.test(command.name)) return undefined;
  const created = resolveValue(link.argument(0), context);
  const origin =
    created && ts.isNewExpression(created) ? originModule(unwrap(created.expression), context.checker) : undefined;
  if (!origin?.startsWith('@aws-sdk/')) return undefined;
  const service = origin.replace(/^@aws-sdk\/(client-)?/, '');
  const label = `AWS ${service} ${command.name.replace(/Command$/, '')}`;
  const tokens = command.name === 'StartExecutionCommand' ? [...CLIENT_TOKENS, 'name'] : CLIENT_TOKENS;
  const token = tokens.map((name) => topProperty(command.input, name, context)).find((value) => value !== undefined);
  if (token && context.values.isIdentityKey(token))
    return effect(link, 'idempotent', 'cloud', `${label} (client token)`, { keyedByMessage: true });
  return effect(link, 'duplicate-unsafe', 'cloud', label, {
    onDuplicate: `runs ${command.name.replace(/Command$/, '')} a second time`,
  });
}

/** Google Cloud client methods that create or start something: each call makes one more. */
const GOOGLE_CREATING = /^(run|create|start|execute|insert|launch|submit)([A-Z]\w*)?$/;
/** How a message names the services of `@google-cloud/<service>`. */
const GOOGLE_SERVICES: Record<string, string> = {
  run: 'Cloud Run',
  tasks: 'Cloud Tasks',
  cloudbuild: 'Cloud Build',
  scheduler: 'Cloud Scheduler',
  workflows: 'Workflows',
  compute: 'Compute Engine',
  dataflow: 'Dataflow',
};

/** Cloud Storage writes: an object put under its name, absolute. */
const GOOGLE_STORAGE_WRITES = new Set(['save', 'upload']);

/**
 * Google Cloud client libraries (`@google-cloud/*`, Pub/Sub and Firestore have matchers of their
 * own): a method that creates or starts something (Cloud Run `runJob`, Cloud Tasks `createTask`,
 * Cloud Build `createBuild`) runs again on redelivery, unless a Cloud Tasks task is named from the
 * message (the queue then refuses the second); a Cloud Storage `save`/`upload` puts the object
 * under its name again, which is idempotent.
 */
export function matchGoogleCloud(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin();
  if (!origin?.startsWith('@google-cloud/') || origin === '@google-cloud/pubsub' || /firestore/.test(origin))
    return undefined;
  const service = origin.slice('@google-cloud/'.length);
  if (service === 'storage')
    return GOOGLE_STORAGE_WRITES.has(link.method)
      ? effect(link, 'idempotent', 'file', `Cloud Storage ${link.method}`)
      : undefined;
  if (!GOOGLE_CREATING.test(link.method)) return undefined;
  const label = `${GOOGLE_SERVICES[service] ?? origin} ${link.method}`;
  if (link.method === 'createTask') {
    const task = findProperty(link.argument(0), (name) => name === 'task', context);
    const name = task && findProperty(task, (property) => property === 'name', context);
    if (name && context.values.isIdentityKey(name))
      return effect(link, 'idempotent', 'cloud', `${label} (task name)`, { keyedByMessage: true });
  }
  return effect(link, 'duplicate-unsafe', 'cloud', label, { onDuplicate: `runs ${link.method} a second time` });
}
