/**
 * producer-missing-event-id: a publish gives its consumers no identity to dedup on
 * (docs/rules/producer-missing-event-id.md): amqplib `publish`/`sendToQueue` without a `messageId` option, Kafka `send` whose
 * messages have neither a key nor an ID header, SQS FIFO `SendMessageCommand` without
 * `MessageDeduplicationId`, JetStream `js.publish` without `msgID`. Request/reply answers (a send
 * to the request's `replyTo`) are not events (docs/model.md, "Failure routing and handing failures on"). A file-level rule:
 * producers are not consumers. Options it cannot see (a variable, a spread) keep it quiet.
 */
import { ts } from 'ts-morph';
import type { FixSuggestion } from '../model';
import { commandOf, findProperty, objectLiteral, topProperty } from '../analysis/effects/objects';
import { calledName, forEachDescendant, locationOf, receiverOf, staticText, unwrap } from '../analysis/source/ast';
import { originModule, typeName } from '../analysis/source/symbols';
import { creationOf } from '../analysis/libraries/shared';
import { addIdFix } from './fixes/producer-id';
import { FileRuleContext, Rule, docsUrl } from './rule';
import { functionOf } from '../analysis/source/locate';

const ID = 'producer-missing-event-id';

const AMQP_PACKAGES = ['amqplib', 'amqplib/callback_api', 'amqp-connection-manager'];
const KAFKA_PACKAGES = ['kafkajs', '@confluentinc/kafka-javascript'];
const NATS_PACKAGES = ['nats', '@nats-io/jetstream', '@nats-io/transport-node'];
/** Kafka headers that carry an event ID: `event-id`, `eventId`, `x-message-id`, `idempotency-key`… */
const ID_HEADER = {
  test: (name: string): boolean => /(^|[-_.])id$/i.test(name) || /[a-z]Id$/.test(name) || /idempot|dedup/i.test(name),
};
const KEEP = 'made once per event; keep the same ID when this publish is retried';

type MessageId = 'amqplibNoMessageId' | 'kafkaNoEventId' | 'sqsFifoNoDeduplicationId' | 'jetStreamNoMsgId';

/** What every message says between the publish and its advice. */
const NO_ID =
  ': its consumers have no event ID to dedup on, so a publish retried after a timeout or a crash is a second message they process again. ';

export const producerMissingEventId: Rule<MessageId> = {
  meta: {
    id: ID,
    defaultSeverity: 'info',
    description: 'A publish gives its consumers no event ID to deduplicate on.',
    rationale:
      'At-least-once consumers dedup on the event identity; without a producer-assigned ID a retried publish is a new message (a new offset, a new SQS MessageId) that no consumer check can tell from the original, so it is processed twice.',
    docsUrl: docsUrl(ID),
    fixable: 'code',
    fixes: [
      'Add an ID made with randomUUID() when the event is created, and keep it across retries (a safe fix, except for SQS FIFO)',
    ],
    messages: {
      amqplibNoMessageId:
        'This publish sets no messageId: consumers cannot tell a retried publish from a new one. {{publish}} sets no messageId' +
        NO_ID +
        'Set `messageId` to an ID made once when the event is created (reused on every retry of the publish); consumers dedup on `msg.properties.messageId`.',
      kafkaNoEventId:
        'No key or ID header on these messages: consumers cannot tell a retried send from a new one. {{publish}} has {{messages}} with neither a key nor an ID header' +
        NO_ID +
        'Give each message an event-ID header made once when the event is created (reused on retries); consumers dedup on it (or on a key that is unique per event).',
      sqsFifoNoDeduplicationId:
        'This send sets no MessageDeduplicationId: a retried send is a second message. {{publish}} sets no MessageDeduplicationId' +
        NO_ID +
        'Set `MessageDeduplicationId` to an event ID made once when the event is created (reused on retries): SQS then drops a duplicate send within 5 minutes, and consumers can dedup on it after that.',
      jetStreamNoMsgId:
        'This publish sets no msgID: consumers cannot tell a retried publish from a new one. {{publish}} sets no msgID' +
        NO_ID +
        "Set `msgID` to an event ID made once when the event is created (reused on retries): JetStream drops a duplicate within the stream's duplicate window, and consumers can dedup on the Nats-Msg-Id header.",
    },
  },

  check(): void {
    // Producers are found per file (checkFile).
  },

  checkFile(context: FileRuleContext<MessageId>): void {
    const { sourceFile, checker } = context;
    if (!/\b(publish|sendToQueue|send|SendMessageCommand)\b/.test(sourceFile.text)) return;
    const imports = importedModules(sourceFile);
    forEachDescendant(
      sourceFile,
      (node) => {
        if (!ts.isCallExpression(node)) return;
        const finding =
          amqplibPublish(node, imports, checker) ??
          kafkaSend(node, imports, checker) ??
          sqsFifoSend(node, checker) ??
          jetStreamPublish(node, imports, checker);
        if (!finding) return;
        const location = locationOf(node);
        context.report({
          messageId: finding.messageId,
          data: finding.data,
          location,
          related: [],
          fixes: functionOf(node) && finding.fix ? [finding.fix()] : [],
        });
      },
      true,
    );
  },
};

interface ProducerFinding {
  messageId: MessageId;
  data: Record<string, string>;
  fix?: () => FixSuggestion;
}

function importedModules(sourceFile: ts.SourceFile): Set<string> {
  const modules = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier))
      modules.add(statement.moduleSpecifier.text);
  }
  for (const match of sourceFile.text.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)) modules.add(match[1]);
  return modules;
}

function fromPackages(
  receiver: ts.Expression | undefined,
  packages: readonly string[],
  imports: ReadonlySet<string>,
  checker: ts.TypeChecker,
  typeNames: readonly string[],
  namePattern: RegExp,
): boolean {
  if (!receiver) return false;
  const origin = originModule(receiver, checker);
  if (origin && packages.includes(origin)) return true;
  const type = typeName(receiver, checker);
  if (type && typeNames.includes(type)) return true;
  // Untyped: a receiver named like one, in a file that imports the package.
  return (
    packages.some((name) => imports.has(name)) && namePattern.test(unwrap(receiver).getText().split('.').pop() ?? '')
  );
}

/** The object literal an options argument is, or `absent`, or undefined when it cannot be seen. */
function optionsOf(
  argument: ts.Expression | undefined,
  checker: ts.TypeChecker,
): ts.ObjectLiteralExpression | 'absent' | undefined {
  if (!argument) return 'absent';
  const value = unwrap(argument);
  if (value.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isIdentifier(value) && value.text === 'undefined'))
    return 'absent';
  return objectLiteral(value, checker);
}

/** Whether an object literal spreads something it cannot see into itself (which may hold the ID). */
function hasOpaqueSpread(object: ts.ObjectLiteralExpression, checker: ts.TypeChecker): boolean {
  return object.properties.some(
    (property) => ts.isSpreadAssignment(property) && !objectLiteral(property.expression, checker),
  );
}

function has(object: ts.ObjectLiteralExpression, names: readonly string[], checker: ts.TypeChecker): boolean {
  return (
    findProperty(object, (name) => names.includes(name), checker) !== undefined || hasOpaqueSpread(object, checker)
  );
}

// ---- amqplib ---------------------------------------------------------------------------------

function amqplibPublish(
  call: ts.CallExpression,
  imports: ReadonlySet<string>,
  checker: ts.TypeChecker,
): ProducerFinding | undefined {
  const method = calledName(call);
  if (method !== 'publish' && method !== 'sendToQueue') return undefined;
  const optionsIndex = method === 'publish' ? 3 : 2;
  if (call.arguments.length < optionsIndex) return undefined;
  if (
    !fromPackages(
      receiverOf(call),
      AMQP_PACKAGES,
      imports,
      checker,
      ['Channel', 'ConfirmChannel', 'ChannelWrapper'],
      /channel|chan|ch$/i,
    )
  )
    return undefined;
  // A reply to the request's replyTo is an answer, not an event.
  const destination = call.arguments[method === 'publish' ? 1 : 0];
  if (destination && /replyTo/.test(destination.getText())) return undefined;
  const options = optionsOf(call.arguments[optionsIndex], checker);
  if (options === undefined) return undefined;
  if (options !== 'absent' && has(options, ['messageId'], checker)) return undefined;
  const name =
    staticText(destination, checker) ?? (method === 'publish' ? staticText(call.arguments[0], checker) : undefined);
  const sourceFile = call.getSourceFile();
  const argument = call.arguments[optionsIndex];
  const direct =
    argument && ts.isObjectLiteralExpression(unwrap(argument))
      ? (unwrap(argument) as ts.ObjectLiteralExpression)
      : undefined;
  return {
    messageId: 'amqplibNoMessageId',
    data: { publish: `amqplib ${method}${name ? ` to '${name}'` : ''}` },
    fix:
      options === 'absent' || direct
        ? () =>
            addIdFix(
              sourceFile,
              direct ? { object: direct } : { appendAfter: call.arguments[call.arguments.length - 1] },
              'messageId',
              `Add messageId: randomUUID() (${KEEP})`,
              true,
            )
        : undefined,
  };
}

// ---- Kafka -----------------------------------------------------------------------------------

function kafkaSend(
  call: ts.CallExpression,
  imports: ReadonlySet<string>,
  checker: ts.TypeChecker,
): ProducerFinding | undefined {
  const method = calledName(call);
  if (method !== 'send' && method !== 'sendBatch') return undefined;
  const record = objectLiteral(call.arguments[0], checker);
  if (!record) return undefined;
  if (
    !fromPackages(
      receiverOf(call),
      KAFKA_PACKAGES,
      imports,
      checker,
      ['Producer', 'Transaction'],
      /producer|transaction/i,
    )
  )
    return undefined;
  const batches: { topic: ts.Expression | undefined; messages: ts.Expression | undefined }[] = [];
  if (method === 'send')
    batches.push({ topic: topProperty(record, 'topic', checker), messages: topProperty(record, 'messages', checker) });
  else {
    const topicMessages = topProperty(record, 'topicMessages', checker);
    const list = topicMessages && unwrap(topicMessages);
    if (!list || !ts.isArrayLiteralExpression(list)) return undefined;
    for (const element of list.elements) {
      const entry = objectLiteral(element, checker);
      if (!entry) return undefined;
      batches.push({ topic: topProperty(entry, 'topic', checker), messages: topProperty(entry, 'messages', checker) });
    }
  }
  const lacking: ts.ObjectLiteralExpression[] = [];
  let topic: string | undefined;
  for (const batch of batches) {
    const messages = messageLiterals(batch.messages, checker);
    if (!messages) return undefined; // messages it cannot see
    const missing = messages.filter((message) => !kafkaMessageHasId(message, checker));
    if (missing.length && !topic) topic = staticText(batch.topic, checker);
    lacking.push(...missing);
  }
  if (!lacking.length) return undefined;
  const sourceFile = call.getSourceFile();
  return {
    messageId: 'kafkaNoEventId',
    data: {
      publish: `Kafka ${method}${topic ? ` to '${topic}'` : ''}`,
      messages: lacking.length > 1 ? `${lacking.length} messages` : 'a message',
    },
    fix: () =>
      addIdFix(
        sourceFile,
        {
          objects: lacking.map((message) => {
            const headers = topProperty(message, 'headers', checker);
            const literal =
              headers && ts.isObjectLiteralExpression(unwrap(headers))
                ? (unwrap(headers) as ts.ObjectLiteralExpression)
                : undefined;
            return literal
              ? { object: literal, property: `'event-id': $ID` }
              : { object: message, property: `headers: { 'event-id': $ID }` };
          }),
        },
        'event-id',
        `Add an 'event-id' header: randomUUID() (${KEEP})`,
        true,
      ),
  };
}

/** The message object literals of `messages`: an array literal, or `list.map((x) => ({ … }))`. */
function messageLiterals(
  expression: ts.Expression | undefined,
  checker: ts.TypeChecker,
): ts.ObjectLiteralExpression[] | undefined {
  if (!expression) return undefined;
  let value = unwrap(expression);
  if (ts.isIdentifier(value)) {
    const declaration = checker.getSymbolAtLocation(value)?.valueDeclaration;
    if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return undefined;
    value = unwrap(declaration.initializer);
  }
  if (ts.isArrayLiteralExpression(value)) {
    const literals: ts.ObjectLiteralExpression[] = [];
    for (const element of value.elements) {
      const literal = objectLiteral(element, checker);
      if (!literal) return undefined;
      literals.push(literal);
    }
    return literals;
  }
  if (ts.isCallExpression(value) && (calledName(value) === 'map' || calledName(value) === 'flatMap')) {
    const callback = value.arguments[0] && unwrap(value.arguments[0]);
    if (!callback || !(ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))) return undefined;
    const body = callback.body;
    if (!ts.isBlock(body)) {
      const literal = objectLiteral(body, checker);
      return literal ? [literal] : undefined;
    }
    const returns = body.statements.filter(ts.isReturnStatement);
    const literals = returns.map((statement) =>
      statement.expression ? objectLiteral(statement.expression, checker) : undefined,
    );
    return literals.length && literals.every((literal) => !!literal) ? literals : undefined;
  }
  return undefined;
}

function kafkaMessageHasId(message: ts.ObjectLiteralExpression, checker: ts.TypeChecker): boolean {
  if (hasOpaqueSpread(message, checker)) return true;
  const key = topProperty(message, 'key', checker);
  if (key && !isNullish(key)) return true;
  const headers = topProperty(message, 'headers', checker);
  if (!headers) return false;
  const literal = objectLiteral(headers, checker);
  if (!literal) return true; // headers built elsewhere: cannot tell
  return literal.properties.some((property) => {
    if (ts.isSpreadAssignment(property)) return !objectLiteral(property.expression, checker);
    const name =
      property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
        ? property.name.text
        : undefined;
    return name === undefined ? true : ID_HEADER.test(name);
  });
}

function isNullish(expression: ts.Expression): boolean {
  const value = unwrap(expression);
  return value.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(value) && value.text === 'undefined');
}

// ---- SQS FIFO --------------------------------------------------------------------------------

function sqsFifoSend(call: ts.CallExpression, checker: ts.TypeChecker): ProducerFinding | undefined {
  if (calledName(call) !== 'send') return undefined;
  const command = commandOf(call.arguments[0], checker);
  if (!command || command.name !== 'SendMessageCommand') return undefined;
  const input = objectLiteral(command.input, checker);
  if (!input) return undefined;
  const queueUrl = staticText(topProperty(input, 'QueueUrl', checker), checker);
  const fifo =
    (!!queueUrl && /\.fifo$/.test(queueUrl.replace(/\$\{…\}$/, ''))) || !!topProperty(input, 'MessageGroupId', checker);
  if (!fifo || has(input, ['MessageDeduplicationId'], checker)) return undefined;
  const queue = queueUrl?.split('/').pop();
  const sourceFile = call.getSourceFile();
  return {
    messageId: 'sqsFifoNoDeduplicationId',
    data: {
      publish: `SQS SendMessage${queue && !queue.includes('${…}') ? ` to FIFO queue '${queue}'` : ' to a FIFO queue'}`,
    },
    fix: () =>
      addIdFix(
        sourceFile,
        { object: input },
        'MessageDeduplicationId',
        `Add MessageDeduplicationId: randomUUID() (${KEEP})`,
        false,
      ),
  };
}

// ---- JetStream -------------------------------------------------------------------------------

function jetStreamPublish(
  call: ts.CallExpression,
  imports: ReadonlySet<string>,
  checker: ts.TypeChecker,
): ProducerFinding | undefined {
  if (calledName(call) !== 'publish' || call.arguments.length < 1) return undefined;
  const receiver = receiverOf(call);
  if (!receiver || !isJetStream(receiver, imports, checker)) return undefined;
  const options = optionsOf(call.arguments[2], checker);
  if (options === undefined) return undefined;
  if (options !== 'absent' && has(options, ['msgID'], checker)) return undefined;
  const subject = staticText(call.arguments[0], checker);
  const sourceFile = call.getSourceFile();
  const argument = call.arguments[2];
  const direct =
    argument && ts.isObjectLiteralExpression(unwrap(argument))
      ? (unwrap(argument) as ts.ObjectLiteralExpression)
      : undefined;
  return {
    messageId: 'jetStreamNoMsgId',
    data: { publish: `JetStream publish${subject ? ` to '${subject}'` : ''}` },
    fix:
      direct || call.arguments.length === 2
        ? () =>
            addIdFix(
              sourceFile,
              direct ? { object: direct } : { appendAfter: call.arguments[1] },
              'msgID',
              `Add msgID: randomUUID() (${KEEP})`,
              true,
            )
        : undefined,
  };
}

/** A JetStream client: made by `nc.jetstream()` / `jetstream(nc)`, typed `JetStreamClient`, or named `js` in a nats file. */
function isJetStream(receiver: ts.Expression, imports: ReadonlySet<string>, checker: ts.TypeChecker): boolean {
  const created = creationOf(receiver, checker);
  if (created && ts.isCallExpression(created) && calledName(created) === 'jetstream') return true;
  const type = typeName(receiver, checker);
  if (type) return type === 'JetStreamClient';
  const natsFile = [...imports].some((module) =>
    NATS_PACKAGES.some((name) => module === name || module.startsWith(`${name}/`)),
  );
  return natsFile && /^(js|jetstream|jsClient|jetStream)$/.test(unwrap(receiver).getText().split('.').pop() ?? '');
}
