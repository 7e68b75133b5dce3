/**
 * NestJS microservices: controller methods decorated with `@EventPattern(pattern)` or
 * `@MessagePattern(pattern)`, receiving the payload (`@Payload()`) and the transport's context
 * (`@Ctx()`). The transport, and with it the ack mode, is not at the handler: it is in the
 * project's bootstrap, `NestFactory.createMicroservice(AppModule, { transport, options })` or
 * `app.connectMicroservice({...})`, usually in another file. docs/model.md, "NestJS" (how bootstraps
 * and their options are read, and how several are narrowed), "Per-library behaviour" and "How the
 * rules share a handler":
 *
 * - RMQ: Nest consumes with `noAck: true` unless the options say `noAck: false`, so by default
 *   the message is acked on delivery (auto-before-handler); with `noAck: false` the handler
 *   settles it: `context.getChannelRef().ack(context.getMessage())` (explicit).
 * - Kafka: Nest runs kafkajs `eachMessage` and awaits the handler, so the offset is committed
 *   after it returns (implicit-after-return); with `run: { autoCommit: false }` the handler
 *   commits through `context.getConsumer().commitOffsets(...)` (explicit).
 * - NATS (core), Redis (pub/sub), TCP, MQTT and gRPC never redeliver to the handler: nothing acks
 *   a message and a crash loses it. They are modelled as auto-before-handler (docs/model.md, "Ack modes": at-most-once
 *   by construction), so they get no dedup finding ("How the rules share a handler").
 * - No bootstrap in the program: a handler that settles through `getChannelRef()` is taken as RMQ
 *   in manual-ack mode (docs/model.md, "How the rules share a handler", last point); any other handler's
 *   transport is unknown and the consumer is reported as not fully analysed (`incomplete`), so
 *   no rule judges it: guessing at-least-once would report dedup findings on at-most-once
 *   transports, guessing auto-ack would report `at-most-once-consumer` on Kafka handlers.
 *
 * `@MessagePattern` handlers are request/reply: what they return is the reply, not an event, and
 * not a processing effect (docs/model.md, "Effects").
 */
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { AckMode, LibraryTraits, Transport } from '../../model';
import { RABBITMQ, requeueOf } from './amqplib';
import { KAFKA_TRAITS } from './kafkajs';
import {
  booleanValue,
  calledName,
  constInitializer,
  forEachDescendant,
  isFunctionWithBody,
  isProjectCode,
  perObject,
  perParsedFile,
  propertyValue,
  returnedExpressions,
  staticText,
  symbolOf,
  unwrap,
  unwrapAwait,
  type FunctionWithBody,
} from '../source/ast';
import { calledFunction, functionOfSymbol, packageOfFile } from '../source/symbols';
import { carriedValue } from '../source/carried';
import { hasDeadLetterRoute } from './dead-letter';
import type { MessageValues } from '../source/message-values';
import { refersToImport } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const PACKAGES = ['@nestjs/microservices'];
const PATTERN_DECORATORS = ['EventPattern', 'MessagePattern'] as const;
const SETTLES = { ack: 'ack', nack: 'nack', reject: 'reject', ackAll: 'ack', nackAll: 'nack' } as const;

type TransportName = Transport;

const TRANSPORT_LABEL: Record<TransportName, string> = {
  RMQ: 'RMQ',
  KAFKA: 'Kafka',
  NATS: 'NATS',
  REDIS: 'Redis',
  TCP: 'TCP',
  MQTT: 'MQTT',
  GRPC: 'gRPC',
};

/** What every transport shares: handlers are named by their pattern, and a thrown error goes to Nest. */
const NEST_BASE = { sourceNoun: 'pattern', failureOutcome: 'the failure reaches the library' } as const;

/** A transport without acks: the message is gone once delivered (NATS core, Redis pub/sub, TCP, MQTT, gRPC). */
function noAckTransport(transport: TransportName): LibraryTraits {
  return {
    ...NEST_BASE,
    redeliveryCause: { default: `the ${TRANSPORT_LABEL[transport]} transport never delivers a message again` },
    settleMeaning: 'the transport forgets the message once it is delivered',
    deadLetter: 'none: the transport keeps nothing to dead-letter',
    autoAck: { reason: `the ${TRANSPORT_LABEL[transport]} transport has no acks and never redelivers` },
  };
}

/** Each transport delivers like the broker under it. */
export const NEST_TRANSPORT_TRAITS: Readonly<Record<TransportName, LibraryTraits>> = {
  RMQ: {
    ...NEST_BASE,
    redeliveryCause: { default: RABBITMQ.redeliveryCause },
    settleMeaning: RABBITMQ.settleMeaning,
    deadLetter: RABBITMQ.deadLetter,
    holdsUnsettled: {
      kind: 'until-channel-close',
      explanation: `in manual-ack mode ${RABBITMQ.heldExplanation}`,
      exceptionCaughtBy: 'Nest',
    },
    secondSettle: { default: RABBITMQ.secondSettle },
    drop: {
      explanation:
        "without requeue drops the message: the bootstrap asserts the transport's queue without a dead-letter exchange (`queueOptions.arguments`), and none is declared for it in the project",
      redeliver: {
        title: 'Nack the message with requeue, for redelivery',
        call: '{{receiver}}.nack({{message}}, false, true)',
      },
    },
    autoAck: {
      reason: 'Nest consumes the RMQ queue with `noAck: true` (its default unless the bootstrap sets `noAck: false`)',
      remedy:
        'Set `noAck: false` in the RMQ options and ack with `context.getChannelRef().ack(context.getMessage())` after the processing.',
    },
    code: {
      settle: {
        ...RABBITMQ.settle,
        fallback: 'nest-context',
        contextChannel: '{{context}}.getChannelRef()',
        contextMessage: '{{context}}.getMessage()',
      },
    },
  },
  KAFKA: {
    ...NEST_BASE,
    redeliveryCause: { default: 'a crash or a rebalance before Nest commits the offset makes Kafka deliver it again' },
    settleMeaning: 'Nest commits the offset',
    // Nest 10+ ServerKafka awaits the event handler's result: a throw reaches kafkajs (docs/model.md, "NestJS").
    failureOutcome: 'the offset is not committed and the message is retried',
    deadLetter: KAFKA_TRAITS.deadLetter,
  },
  NATS: noAckTransport('NATS'),
  REDIS: noAckTransport('REDIS'),
  TCP: noAckTransport('TCP'),
  MQTT: noAckTransport('MQTT'),
  GRPC: noAckTransport('GRPC'),
};

/** Nest's built-in servers, for the `{ strategy: new ServerRMQ({...}) }` form. */
const SERVER_CLASSES: Record<string, TransportName> = {
  ServerRMQ: 'RMQ',
  ServerKafka: 'KAFKA',
  ServerNats: 'NATS',
  ServerRedis: 'REDIS',
  ServerTCP: 'TCP',
  ServerMqtt: 'MQTT',
  ServerGrpc: 'GRPC',
};

export const nestjsMicroservices: LibraryModule = {
  info: {
    id: 'nestjs-microservices',
    displayName: 'NestJS microservices',
    // @nestjs/core too: a bootstrap that takes its options from another file imports only NestFactory,
    // and the bootstrap decides every handler's ack mode, so it must be in the program.
    packages: [...PACKAGES, '@nestjs/core'],
    registration:
      '`@EventPattern(pattern)` / `@MessagePattern(pattern)` methods (with `@Payload()`, `@Ctx()`), transport from the bootstrap (`createMicroservice`, `connectMicroservice`)',
    ackModes:
      'per transport: RMQ auto-before-handler unless `noAck: false`, then explicit (`context.getChannelRef().ack(context.getMessage())`); Kafka implicit-after-return (explicit with `run: { autoCommit: false }`); NATS, Redis, TCP: at-most-once',
    identity:
      'RMQ `context.getMessage().properties.messageId`; Kafka topic + partition + `context.getMessage().offset`; payload business keys',
  },
  // The transport unknown: the consumer is reported incomplete and no rule judges it; the wording is RabbitMQ's.
  traits: {
    ...NEST_BASE,
    redeliveryCause: { default: RABBITMQ.redeliveryCause },
    settleMeaning: RABBITMQ.settleMeaning,
    deadLetter: 'per transport',
  },
  traitsByTransport: NEST_TRANSPORT_TRAITS,
  identity: { idProperties: ['messageId', 'offset', 'headers'], nonUniqueProperties: ['key'] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    forEachDescendant(sourceFile, (node) => {
      if (!ts.isMethodDeclaration(node) || !isFunctionWithBody(node)) return;
      const decorator = patternDecorator(node, context);
      if (!decorator) return;
      sites.push(siteOf(node, decorator, context));
    });
    return sites;
  },

  settleOf(call: ts.CallExpression, values: MessageValues) {
    const name = calledName(call);
    if (name === 'commitOffsets') {
      // context.getConsumer().commitOffsets([...]) with Kafka's `run: { autoCommit: false }`
      const receiver = ts.isPropertyAccessExpression(unwrap(call.expression))
        ? (unwrap(call.expression) as ts.PropertyAccessExpression).expression
        : undefined;
      return receiver && values.derivesFrom(receiver)
        ? { kind: 'commit' as const, label: 'context.getConsumer().commitOffsets()' }
        : undefined;
    }
    if (!name || !Object.hasOwn(SETTLES, name)) return undefined;
    const callee = unwrap(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    // The channel is the context's: context.getChannelRef(), or a variable holding it.
    if (!values.derivesFrom(callee.expression) && !/getChannelRef\s*\(/.test(callee.expression.getText()))
      return undefined;
    if (name !== 'ackAll' && name !== 'nackAll') {
      const [message] = call.arguments;
      if (!message || !values.derivesFrom(message)) return undefined;
    }
    const kind = SETTLES[name as keyof typeof SETTLES];
    return { kind, label: `channel.${name}()`, requeue: kind === 'ack' ? undefined : requeueOf(name, call) };
  },
};

// ---- handlers ----------------------------------------------------------------------------

interface PatternDecorator {
  node: ts.Decorator;
  kind: (typeof PATTERN_DECORATORS)[number];
  call: ts.CallExpression;
}

function decoratorsOf(node: ts.Node): readonly ts.Decorator[] {
  return ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : [];
}

/** `EventPattern` imported from @nestjs/microservices (or re-exported from it, when types resolve). */
function isNestExport(expression: ts.Expression, exportName: string, context: LibraryContext): boolean {
  const callee = unwrap(expression);
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : undefined;
  if (name !== exportName) return false;
  if (refersToImport(callee, PACKAGES, exportName, context.checker)) return true;
  const symbol = symbolOf(ts.isPropertyAccessExpression(callee) ? callee.name : callee, context.checker);
  if (
    (symbol?.declarations ?? []).some(
      (declaration) => packageOfFile(declaration.getSourceFile().fileName) === '@nestjs/microservices',
    )
  )
    return true;
  // Untyped: the bare name in a file that imports the package.
  return ts.isIdentifier(callee) && PACKAGES.some((module) => context.imports.has(module));
}

function patternDecorator(method: ts.MethodDeclaration, context: LibraryContext): PatternDecorator | undefined {
  for (const decorator of decoratorsOf(method)) {
    const call = decorator.expression;
    if (!ts.isCallExpression(call)) continue;
    const kind = PATTERN_DECORATORS.find((name) => isNestExport(call.expression, name, context));
    if (kind) return { node: decorator, kind, call };
  }
  return undefined;
}

/** The `@Payload()` and `@Ctx()` parameters; without parameter decorators Nest passes (data, context). */
function messageParameters(
  method: ts.MethodDeclaration,
  context: LibraryContext,
): { payload?: ts.ParameterDeclaration; ctx?: ts.ParameterDeclaration } {
  let payload: ts.ParameterDeclaration | undefined;
  let ctx: ts.ParameterDeclaration | undefined;
  let decorated = false;
  for (const parameter of method.parameters) {
    for (const decorator of decoratorsOf(parameter)) {
      const expression = decorator.expression;
      const callee = ts.isCallExpression(expression) ? expression.expression : expression;
      if (isNestExport(callee, 'Payload', context)) payload ??= parameter;
      else if (isNestExport(callee, 'Ctx', context)) ctx ??= parameter;
      decorated = true;
    }
  }
  if (!decorated) {
    payload = method.parameters[0];
    ctx = method.parameters[1];
  }
  return { payload, ctx };
}

/** The pattern as text: `'orders.created'`, or `{ cmd: 'sum' }` written compactly. */
function patternText(argument: ts.Expression | undefined, checker: ts.TypeChecker): string | undefined {
  if (!argument) return undefined;
  const text = staticText(argument, checker);
  if (text !== undefined) return text;
  const value = unwrap(argument);
  if (ts.isObjectLiteralExpression(value)) return value.getText().replace(/\s+/g, ' ');
  return undefined;
}

/** `@EventPattern('x', Transport.KAFKA)` binds the handler to one transport. */
function decoratorTransport(decorator: PatternDecorator, checker: ts.TypeChecker): TransportName | undefined {
  for (const argument of decorator.call.arguments.slice(1)) {
    const transport = transportOf(argument, checker);
    if (transport) return transport;
  }
  return undefined;
}

function siteOf(
  method: FunctionWithBody & ts.MethodDeclaration,
  decorator: PatternDecorator,
  context: LibraryContext,
): ConsumerSite {
  const { payload, ctx } = messageParameters(method, context);
  const pattern = patternText(decorator.call.arguments[0], context.checker);
  const decision = decide(method, decorator, pattern, context);
  const ctxName = ctx && ts.isIdentifier(ctx.name) ? ctx.name.text : undefined;
  const base = {
    library: nestjsMicroservices,
    form: `${decorator.kind} (${decision.transport ? TRANSPORT_LABEL[decision.transport] : 'transport unknown'})`,
    ...(decision.transport ? { transport: decision.transport, traits: NEST_TRANSPORT_TRAITS[decision.transport] } : {}),
    ...(decorator.kind === 'MessagePattern' ? { requestReply: true } : {}),
    registrationNode: decorator.node,
    handler: method,
    messageBindings: [payload, ctx]
      .filter((parameter): parameter is ts.ParameterDeclaration => !!parameter)
      .map((parameter) => parameter.name),
    // Settled through the context (`getChannelRef().ack(getMessage())`), never through the payload.
    settleBindings: ctx ? [ctx.name] : [],
    ackMode: decision.ackMode,
    ackModeNode: decision.node,
    source: pattern,
    ...(decision.deadLetterRoute !== undefined ? { deadLetterRoute: decision.deadLetterRoute } : {}),
    ...(decision.incomplete ? { incomplete: decision.incomplete } : {}),
  } satisfies Partial<ConsumerSite>;
  if (decision.transport === 'RMQ') {
    return {
      ...base,
      identityHint: `${ctxName ?? 'context'}.getMessage().properties.messageId (or a business key of the payload)`,
      identityExpression: ctxName ? `${ctxName}.getMessage().properties.messageId` : undefined,
    };
  }
  if (decision.transport === 'KAFKA') {
    const c = ctxName ?? 'context';
    return {
      ...base,
      identityHint: `${c}.getTopic() + ${c}.getPartition() + ${c}.getMessage().offset (or a business key of the payload)`,
      identityExpression: ctxName
        ? '`${' + c + '.getTopic()}:${' + c + '.getPartition()}:${' + c + '.getMessage().offset}`'
        : undefined,
    };
  }
  return { ...base, identityHint: 'a business key of the payload (an event ID field)' };
}

// ---- the transport and ack mode, from the bootstrap -----------------------------------------

interface Decision {
  transport?: TransportName;
  ackMode: AckMode;
  node?: ts.Node;
  /** Set when the delivery cannot be known: the consumer is reported, and no rule judges it. */
  incomplete?: string;
  /** RMQ: whether the queue has a dead-letter exchange (undefined: out of sight, or the candidates differ). */
  deadLetterRoute?: boolean;
}

/** What the handler itself says about its transport and how it settles. */
interface HandlerEvidence {
  /** The transport the decorator binds it to (Nest registers it on that transport's servers only). */
  bound?: TransportName;
  /** The transport its `@Ctx()` context is typed or used as (`RmqContext`, `getChannelRef()`). */
  contextTransport?: TransportName;
  /** It settles through `context.getChannelRef()` (RMQ manual ack). */
  settles: boolean;
  /** It commits through `context.getConsumer().commitOffsets(...)` (Kafka `autoCommit: false`). */
  commits: boolean;
}

function decide(
  method: FunctionWithBody & ts.MethodDeclaration,
  decorator: PatternDecorator,
  pattern: string | undefined,
  context: LibraryContext,
): Decision {
  const evidence = handlerEvidence(method, decorator, context);
  const { bound, settles } = evidence;
  const all = bootstrapsOf(context.program, context.checker);
  const candidates = matchBootstraps(all, method, evidence, pattern, context.program, context.checker);
  if (!candidates.length) {
    // No bootstrap in sight: what the handler says of its transport decides where it is enough.
    const said = bound ?? evidence.contextTransport;
    if (settles && (!said || said === 'RMQ'))
      return { transport: 'RMQ', ackMode: 'explicit', deadLetterRoute: hasDeadLetterRoute(context.program, undefined) };
    if (said && !TRANSPORTS_THAT_REDELIVER.has(said))
      return { transport: said, ackMode: 'auto-before-handler', node: bound ? decorator.call.arguments[1] : undefined };
    if (said === 'KAFKA' && !all.length)
      return { transport: said, ackMode: evidence.commits ? 'explicit' : 'implicit-after-return' };
    return {
      transport: bound,
      ackMode: 'implicit-after-return',
      incomplete: all.length
        ? `no NestJS microservice bootstrap in the program serves this handler${bound ? ` over ${TRANSPORT_LABEL[bound]}` : ''}, so its transport and ack mode are unknown`
        : 'the program has no NestJS microservice bootstrap (createMicroservice / connectMicroservice), so the transport and ack mode are unknown',
    };
  }
  const decisions = candidates.map((bootstrap) => decisionFor(bootstrap, evidence, context.program));
  const first = decisions[0];
  if (
    decisions.some(
      (other) =>
        other.transport !== first.transport ||
        other.ackMode !== first.ackMode ||
        !!other.incomplete !== !!first.incomplete,
    )
  ) {
    return {
      ackMode: 'implicit-after-return',
      incomplete: `${candidates.length} NestJS microservice bootstraps with different delivery could serve this handler (${candidates.map((bootstrap) => bootstrap.label).join(', ')})`,
    };
  }
  // They agree on the delivery; what only some of them say (a dead-letter exchange) is not known.
  const deadLetterRoute = decisions.every((other) => other.deadLetterRoute === first.deadLetterRoute)
    ? first.deadLetterRoute
    : undefined;
  return { ...first, deadLetterRoute };
}

/** Transports whose broker keeps the message until it is acked or committed. */
const TRANSPORTS_THAT_REDELIVER = new Set<TransportName>(['RMQ', 'KAFKA']);

function decisionFor(bootstrap: Bootstrap, evidence: HandlerEvidence, program: ts.Program): Decision {
  const { transport } = bootstrap;
  if (!transport) {
    return {
      ackMode: 'implicit-after-return',
      node: bootstrap.transportNode,
      incomplete: `the transport of the NestJS bootstrap (${bootstrap.label}) is not statically known`,
    };
  }
  if (transport === 'RMQ') {
    // Nest's RMQ server consumes with noAck: true unless told otherwise. Where the option is out of
    // sight (set from a variable, or options the analysis cannot read), a handler that acks says
    // which: acking a message consumed with noAck: true closes the channel.
    const unknown = bootstrap.noAck === undefined && (!!bootstrap.noAckNode || !bootstrap.settingsKnown);
    const manual = bootstrap.noAck === false || (unknown && evidence.settles);
    const project = hasDeadLetterRoute(program, bootstrap.queue);
    return {
      transport,
      ackMode: manual ? 'explicit' : 'auto-before-handler',
      node: bootstrap.noAckNode ?? bootstrap.transportNode,
      deadLetterRoute: project === true || bootstrap.deadLetter === true ? true : (bootstrap.deadLetter ?? project),
    };
  }
  if (transport === 'KAFKA') {
    const unknown = bootstrap.autoCommit === undefined && (!!bootstrap.autoCommitNode || !bootstrap.settingsKnown);
    return {
      transport,
      ackMode: bootstrap.autoCommit === false || (unknown && evidence.commits) ? 'explicit' : 'implicit-after-return',
      node: bootstrap.autoCommitNode ?? bootstrap.transportNode,
    };
  }
  return { transport, ackMode: 'auto-before-handler', node: bootstrap.transportNode };
}

/** The context classes of `@Ctx()`, and the context methods only one transport has. */
const CONTEXT_CLASSES: Record<string, TransportName> = {
  RmqContext: 'RMQ',
  KafkaContext: 'KAFKA',
  NatsContext: 'NATS',
  RedisContext: 'REDIS',
  MqttContext: 'MQTT',
  TcpContext: 'TCP',
};
const CONTEXT_METHODS: Record<string, TransportName> = {
  getChannelRef: 'RMQ',
  getPartition: 'KAFKA',
  getConsumer: 'KAFKA',
  getHeartbeat: 'KAFKA',
  getSubject: 'NATS',
  getPacket: 'MQTT',
  getSocketRef: 'TCP',
};

/**
 * The handler's own evidence of its transport: the decorator's transport argument, else the type
 * of its `@Ctx()` parameter (`RmqContext`) and the transport-specific methods it calls on it
 * (`getChannelRef()`), when they agree.
 */
function handlerEvidence(
  method: FunctionWithBody,
  decorator: PatternDecorator,
  context: LibraryContext,
): HandlerEvidence {
  const settles = programCallsChannel(context.program) && settlesThroughChannel(method, context.checker);
  const commits = /getConsumer\s*\(\s*\)\s*\.\s*commitOffsets\s*\(/.test(method.body.getText());
  const bound = decoratorTransport(decorator, context.checker);
  const { ctx } = messageParameters(method as ts.MethodDeclaration, context);
  const said = new Set<TransportName>();
  if (ctx?.type && ts.isTypeReferenceNode(ctx.type)) {
    const name = ts.isQualifiedName(ctx.type.typeName) ? ctx.type.typeName.right.text : ctx.type.typeName.text;
    if (Object.hasOwn(CONTEXT_CLASSES, name)) said.add(CONTEXT_CLASSES[name]);
  }
  if (ctx && ts.isIdentifier(ctx.name)) {
    const ctxName = ctx.name.text;
    forEachDescendant(
      method.body,
      (node) => {
        if (!ts.isCallExpression(node)) return;
        const callee = unwrap(node.expression);
        if (
          ts.isPropertyAccessExpression(callee) &&
          ts.isIdentifier(callee.expression) &&
          callee.expression.text === ctxName &&
          Object.hasOwn(CONTEXT_METHODS, callee.name.text)
        )
          said.add(CONTEXT_METHODS[callee.name.text]);
      },
      true,
    );
  }
  return { bound, contextTransport: said.size === 1 ? [...said][0] : undefined, settles, commits };
}

/**
 * Whether the handler settles the message itself: `context.getChannelRef().ack(...)` and the like,
 * in its body or in a project function it calls (`ack(context)`, a service's
 * `processEvent(payload, context)`), a few calls deep.
 */
function settlesThroughChannel(
  fn: FunctionWithBody,
  checker: ts.TypeChecker,
  depth = 0,
  seen = new Set<ts.Node>(),
): boolean {
  if (seen.has(fn)) return false;
  seen.add(fn);
  const facts = channelFactsOf(fn, checker);
  if (facts.settles) return true;
  if (depth >= 3) return false;
  facts.callees ??= argumentCallees(fn, checker);
  return facts.callees.some((target) => settlesThroughChannel(target, checker, depth + 1, seen));
}

/** The text of a file that may settle through a channel (a program-wide scan: see PROGRAM_WIDE_TEXT). */
export const CHANNEL_SETTLE_TEXT = /getChannelRef\s*\(/;

/**
 * Whether some file of the program calls `getChannelRef()`. A channel settle can only be in such a
 * file, so without one no handler's search for it can succeed and none is made: the search
 * resolves the calls of every service a handler reaches, three calls deep (on amplication, which
 * has no RMQ consumer, 12 ms of every edit of a controller in the editor).
 */
function programCallsChannel(program: ts.Program): boolean {
  return filesCallChannel(program.getSourceFiles());
}

/** Keyed by the program's file list, like every whole-program index (pipeline/reads.ts). */
const filesCallChannel = perObject((files: readonly ts.SourceFile[]): boolean => files.some(callsChannel));

const callsChannel = perParsedFile((sourceFile: ts.SourceFile): boolean => CHANNEL_SETTLE_TEXT.test(sourceFile.text));

/**
 * What one function shows of channel settles, kept per checker: a module's handlers share their
 * services, and each handler's search went through them again.
 */
interface ChannelFacts {
  /** A settle call in a body that reaches the channel (`getChannelRef()`). */
  settles: boolean;
  /** The project functions its calls with arguments reach, in source order (found when first searched). */
  callees?: FunctionWithBody[];
}

const channelFactsByChecker = perObject((_checker: ts.TypeChecker) =>
  perObject((fn: FunctionWithBody): ChannelFacts => ({ settles: settlesInBody(fn) })),
);

function channelFactsOf(fn: FunctionWithBody, checker: ts.TypeChecker): ChannelFacts {
  return channelFactsByChecker(checker)(fn);
}

function settlesInBody(fn: FunctionWithBody): boolean {
  if (!CHANNEL_SETTLE_TEXT.test(fn.body.getText())) return false;
  let found = false;
  forEachDescendant(
    fn.body,
    (node) => {
      if (!found && ts.isCallExpression(node) && Object.hasOwn(SETTLES, calledName(node) ?? '')) found = true;
    },
    true,
  );
  return found;
}

function argumentCallees(fn: FunctionWithBody, checker: ts.TypeChecker): FunctionWithBody[] {
  const callees: FunctionWithBody[] = [];
  forEachDescendant(
    fn.body,
    (node) => {
      if (!ts.isCallExpression(node) || !node.arguments.length) return;
      const target = calledFunction(node, checker);
      if (target && isProjectCode(target)) callees.push(target);
    },
    true,
  );
  return callees;
}

interface Bootstrap {
  call: ts.CallExpression;
  label: string;
  transport?: TransportName;
  transportNode: ts.Node;
  /** The transport's own options were read whole (no spread or source out of sight). */
  settingsKnown: boolean;
  queue?: string;
  noAck?: boolean;
  noAckNode?: ts.Node;
  autoCommit?: boolean;
  autoCommitNode?: ts.Node;
  /** RMQ: the queue is asserted with a dead-letter exchange (true), without one (false), or out of sight. */
  deadLetter?: boolean;
  /** The application's root module (`NestFactory.create(AppModule)`), when it can be seen. */
  rootModule?: ts.ClassDeclaration;
  directory: string;
}

/**
 * Several bootstraps: those of the decorator's transport; then those whose application's root
 * module imports the module that declares the controller; then, when some are in a folder above
 * the handler's file (a monorepo's apps, each with its main.ts), the nearest of those; then those
 * of the transport the handler's context is typed or used as; then those whose RMQ queue is named
 * like the pattern. What is left is accepted only when it agrees on the delivery.
 */
function matchBootstraps(
  all: readonly Bootstrap[],
  method: ts.MethodDeclaration,
  { bound, contextTransport }: HandlerEvidence,
  pattern: string | undefined,
  program: ts.Program,
  checker: ts.TypeChecker,
): Bootstrap[] {
  let candidates = bound ? all.filter((bootstrap) => bootstrap.transport === bound || !bootstrap.transport) : [...all];
  if (candidates.length > 1 && ts.isClassDeclaration(method.parent)) {
    const index = moduleIndex(program, checker);
    const homes = index.declaring.get(method.parent) ?? [];
    if (homes.length) {
      const verdicts = candidates.map((bootstrap) =>
        bootstrap.rootModule ? imports(index, bootstrap.rootModule, homes) : undefined,
      );
      if (verdicts.includes(true)) candidates = candidates.filter((_, index) => verdicts[index] !== false);
    }
  }
  const directory = path.dirname(method.getSourceFile().fileName);
  const above = candidates.filter(
    (bootstrap) => directory === bootstrap.directory || directory.startsWith(bootstrap.directory + path.sep),
  );
  if (above.length) {
    const nearest = Math.max(...above.map((bootstrap) => bootstrap.directory.length));
    candidates = above.filter((bootstrap) => bootstrap.directory.length === nearest);
  }
  if (candidates.length > 1 && contextTransport) {
    const byContext = candidates.filter((bootstrap) => bootstrap.transport === contextTransport);
    if (byContext.length) candidates = byContext;
  }
  if (candidates.length > 1 && pattern) {
    const byQueue = candidates.filter((bootstrap) => bootstrap.queue === pattern);
    if (byQueue.length) candidates = byQueue;
  }
  return candidates;
}

/** Keyed by the program's file list, like every whole-program index (pipeline/reads.ts). */
const bootstrapCache = new WeakMap<readonly ts.SourceFile[], Bootstrap[]>();

/** The text of a file that may bootstrap a microservice (a program-wide scan: see PROGRAM_WIDE_TEXT). */
export const BOOTSTRAP_TEXT = /(create|connect)Microservice/;

/** Every `createMicroservice` / `connectMicroservice` call of Nest's in the program, cached per program. */
export function bootstrapsOf(program: ts.Program, checker: ts.TypeChecker): Bootstrap[] {
  const files = program.getSourceFiles();
  const cached = bootstrapCache.get(files);
  if (cached) return cached;
  const found: Bootstrap[] = [];
  for (const sourceFile of files) {
    if (!isProjectCode(sourceFile)) continue;
    for (const call of microserviceCalls(sourceFile)) {
      if (!isNestBootstrapCall(call, checker)) continue;
      const argument = call.arguments[calledName(call) === 'createMicroservice' ? 1 : 0];
      if (argument) found.push(...readBootstraps(call, argument, program, checker));
    }
  }
  bootstrapCache.set(files, found);
  return found;
}

/** The calls named `createMicroservice` / `connectMicroservice` in a file, in source order. */
const microserviceCalls = perParsedFile((sourceFile: ts.SourceFile): ts.CallExpression[] => {
  const calls: ts.CallExpression[] = [];
  if (!BOOTSTRAP_TEXT.test(sourceFile.text)) return calls;
  forEachDescendant(
    sourceFile,
    (node) => {
      if (!ts.isCallExpression(node)) return;
      const name = calledName(node);
      if (name === 'createMicroservice' || name === 'connectMicroservice') calls.push(node);
    },
    true,
  );
  return calls;
});

/**
 * Nest's bootstrap is a method (`NestFactory.createMicroservice`, `app.connectMicroservice`). A
 * function or method of the project named so wraps the real call, which is found in its body: the
 * wrapper's own call is not a bootstrap.
 */
function isNestBootstrapCall(call: ts.CallExpression, checker: ts.TypeChecker): boolean {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const symbol = symbolOf(callee.name, checker);
  return !symbol || !functionOfSymbol(symbol, checker) || !(symbol.declarations ?? []).some(isProjectCode);
}

/**
 * The options are a parameter of the function around the bootstrap (`setupMicroservice(app,
 * options)`): one bootstrap per call of that function in the project, each with the options it is
 * given.
 */
function readBootstraps(
  call: ts.CallExpression,
  argument: ts.Expression,
  program: ts.Program,
  checker: ts.TypeChecker,
): Bootstrap[] {
  const value = unwrap(argument);
  const declaration = ts.isIdentifier(value) ? symbolOf(value, checker)?.valueDeclaration : undefined;
  if (declaration && ts.isParameter(declaration) && isFunctionWithBody(declaration.parent)) {
    const index = declaration.parent.parameters.indexOf(declaration);
    const sites = callSitesOf(declaration.parent, program, checker).filter((site) => site.arguments[index]);
    if (sites.length) return sites.map((site) => readBootstrap(call, site.arguments[index], checker, site));
  }
  return [readBootstrap(call, argument, checker)];
}

/** The calls of a project function in the program (by its name, then resolved). */
function callSitesOf(fn: FunctionWithBody, program: ts.Program, checker: ts.TypeChecker): ts.CallExpression[] {
  const name =
    fn.name && ts.isIdentifier(fn.name)
      ? fn.name.text
      : ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)
        ? fn.parent.name.text
        : undefined;
  if (!name) return [];
  const sites: ts.CallExpression[] = [];
  for (const sourceFile of program.getSourceFiles()) {
    if (!isProjectCode(sourceFile) || !sourceFile.text.includes(name)) continue;
    forEachDescendant(
      sourceFile,
      (node) => {
        if (ts.isCallExpression(node) && calledName(node) === name && calledFunction(node, checker) === fn)
          sites.push(node);
      },
      true,
    );
  }
  return sites;
}

function readBootstrap(
  call: ts.CallExpression,
  argument: ts.Expression,
  checker: ts.TypeChecker,
  /** The call of the function around the bootstrap that gives it these options. */
  via?: ts.CallExpression,
): Bootstrap {
  const sourceFile = call.getSourceFile();
  const where = (node: ts.Node): string =>
    `${path.basename(node.getSourceFile().fileName)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const bootstrap: Bootstrap = {
    call,
    label: `${calledName(call)}() in ${where(call)}${via ? ` (options from the call in ${where(via)})` : ''}`,
    transportNode: call,
    settingsKnown: false,
    rootModule: rootModuleOf(call, checker),
    directory: path.dirname(sourceFile.fileName),
  };
  const options = shapeOf(argument, checker);
  if (!options) return bootstrap;
  let settings: Shape | undefined;
  const strategy = options.properties.get('strategy');
  if (strategy) {
    // { strategy: new ServerRMQ({ queue, noAck }) }, or a project subclass of a built-in server, which
    // delivers like its base; any other custom strategy's delivery is unknown.
    bootstrap.transportNode = strategy;
    const created = newExpressionOf(elementValue(strategy), checker);
    if (created) {
      bootstrap.transport = serverTransport(created.expression, checker);
      const first = created.arguments?.[0];
      settings = first ? shapeOf(first, checker) : undefined;
      bootstrap.settingsKnown = !!settings && !settings.open;
    }
  } else {
    const transport = options.properties.get('transport');
    const value = transport && elementValue(transport);
    if (transport) bootstrap.transportNode = transport;
    // Nest's default transport is TCP; options known only by their declared type (`KafkaOptions`) name it.
    bootstrap.transport = value
      ? transportOf(value, checker)
      : (options.declaredTransport ?? (options.open ? undefined : 'TCP'));
    const inner = options.properties.get('options');
    const innerValue = inner && elementValue(inner);
    settings = innerValue ? shapeOf(innerValue, checker) : undefined;
    bootstrap.settingsKnown = inner ? !!settings && !settings.open : !options.open;
  }
  if (!settings) return bootstrap;
  bootstrap.queue = staticText(shapeValue(settings, 'queue'), checker);
  const noAck = settings.properties.get('noAck');
  if (noAck) {
    bootstrap.noAckNode = noAck;
    bootstrap.noAck = booleanOf(elementValue(noAck), checker);
  }
  const run = shapeValue(settings, 'run');
  const runOptions = run ? shapeOf(run, checker) : undefined;
  const autoCommit = runOptions?.properties.get('autoCommit');
  if (autoCommit) {
    bootstrap.autoCommitNode = autoCommit;
    bootstrap.autoCommit = booleanOf(elementValue(autoCommit), checker);
  }
  bootstrap.deadLetter = deadLetterOf(settings, checker);
  return bootstrap;
}

/**
 * Nest's RMQ server asserts its queue with `queueOptions`: a dead-letter exchange there
 * (`arguments: { 'x-dead-letter-exchange': … }` or `deadLetterExchange`) routes what a nack without
 * requeue rejects. Asserted without one, the queue has none (RabbitMQ refuses to redeclare a queue
 * with other arguments). Undefined when the options are not all in sight, or `noAssert` is set.
 */
function deadLetterOf(settings: Shape, checker: ts.TypeChecker): boolean | undefined {
  if (settings.properties.has('noAssert')) return undefined;
  const queueOptionsValue = shapeValue(settings, 'queueOptions');
  if (!queueOptionsValue) return settings.open ? undefined : false;
  const queueOptions = shapeOf(queueOptionsValue, checker);
  if (!queueOptions) return undefined;
  if (queueOptions.properties.has('deadLetterExchange')) return true;
  const argumentsValue = shapeValue(queueOptions, 'arguments');
  const queueArguments = argumentsValue ? shapeOf(argumentsValue, checker) : undefined;
  if (queueArguments?.properties.has('x-dead-letter-exchange')) return true;
  if (queueOptions.open || (argumentsValue && (!queueArguments || queueArguments.open))) return undefined;
  return false;
}

/** The root module of the application a bootstrap serves: `createMicroservice(AppModule, …)`, or the `app` of `app.connectMicroservice`. */
function rootModuleOf(call: ts.CallExpression, checker: ts.TypeChecker): ts.ClassDeclaration | undefined {
  let factoryCall: ts.CallExpression | undefined = call;
  if (calledName(call) === 'connectMicroservice') {
    const callee = unwrap(call.expression);
    const receiver = ts.isPropertyAccessExpression(callee) ? unwrap(callee.expression) : undefined;
    const declaration =
      receiver && ts.isIdentifier(receiver) ? symbolOf(receiver, checker)?.valueDeclaration : undefined;
    const initializer =
      declaration && ts.isVariableDeclaration(declaration) && declaration.initializer
        ? unwrapAwait(declaration.initializer)
        : undefined;
    factoryCall = initializer && ts.isCallExpression(initializer) ? initializer : undefined;
  }
  const root = factoryCall?.arguments[0];
  return root ? classOf(root, checker) : undefined;
}

function classOf(expression: ts.Expression, checker: ts.TypeChecker): ts.ClassDeclaration | undefined {
  const value = unwrap(expression);
  const name = ts.isIdentifier(value) ? value : ts.isPropertyAccessExpression(value) ? value.name : undefined;
  const declaration = name ? symbolOf(name, checker)?.valueDeclaration : undefined;
  return declaration && ts.isClassDeclaration(declaration) ? declaration : undefined;
}

// ---- the module graph ------------------------------------------------------------------------

interface ModuleIndex {
  /** Controller class to the modules that list it in `controllers`. */
  declaring: Map<ts.ClassDeclaration, ts.ClassDeclaration[]>;
  /** Module class to the modules it imports; `open` when some import is out of sight. */
  imports: Map<ts.ClassDeclaration, { modules: ts.ClassDeclaration[]; open: boolean }>;
}

/** Keyed by the program's file list, like every whole-program index (pipeline/reads.ts). */
const moduleCache = new WeakMap<readonly ts.SourceFile[], ModuleIndex>();

/** The text of a file that may declare a Nest module (a program-wide scan: see PROGRAM_WIDE_TEXT). */
export const MODULE_TEXT = /@Module/;

/** Every `@Module({ controllers, imports })` class of the project, cached per program. */
function moduleIndex(program: ts.Program, checker: ts.TypeChecker): ModuleIndex {
  const files = program.getSourceFiles();
  const cached = moduleCache.get(files);
  if (cached) return cached;
  const index: ModuleIndex = { declaring: new Map(), imports: new Map() };
  moduleCache.set(files, index);
  for (const sourceFile of files) {
    if (!isProjectCode(sourceFile) || !moduleDecorators(sourceFile).length) continue;
    // Read from the file and the files it imports: the server keeps it while none of them changes.
    for (const module of carriedValue(checker, sourceFile, modulesIn, () => modulesIn(sourceFile, checker))) {
      for (const controller of module.controllers)
        index.declaring.set(controller, [...(index.declaring.get(controller) ?? []), module.node]);
      index.imports.set(module.node, { modules: module.imports, open: module.open });
    }
  }
  return index;
}

/** A `@Module` class: the controllers it lists, the modules it imports, and whether some import is out of sight. */
interface DeclaredModule {
  node: ts.ClassDeclaration;
  controllers: ts.ClassDeclaration[];
  imports: ts.ClassDeclaration[];
  open: boolean;
}

/** The Nest modules a file declares, with what their metadata names resolved to classes. */
function modulesIn(sourceFile: ts.SourceFile, checker: ts.TypeChecker): DeclaredModule[] {
  return moduleDecorators(sourceFile).map(({ node, call }): DeclaredModule => {
    const metadata = call.arguments[0] && unwrap(call.arguments[0]);
    if (!metadata || !ts.isObjectLiteralExpression(metadata)) return { node, controllers: [], imports: [], open: true };
    const controllers = listOf(propertyValue(metadata, 'controllers'), checker).elements.flatMap(
      (element) => classOf(element, checker) ?? [],
    );
    const imported = listOf(propertyValue(metadata, 'imports'), checker);
    const imports: ts.ClassDeclaration[] = [];
    let open = imported.open;
    for (const element of imported.elements) {
      const module = importedModule(element, checker);
      if (module) imports.push(module);
      else open = true;
    }
    return { node, controllers, imports, open };
  });
}

/** The classes of a file with their `@Module(…)` decorator calls, in source order. */
const moduleDecorators = perParsedFile(
  (sourceFile: ts.SourceFile): { node: ts.ClassDeclaration; call: ts.CallExpression }[] => {
    const found: { node: ts.ClassDeclaration; call: ts.CallExpression }[] = [];
    if (!MODULE_TEXT.test(sourceFile.text)) return found;
    forEachDescendant(sourceFile, (node) => {
      if (!ts.isClassDeclaration(node)) return;
      for (const decorator of decoratorsOf(node)) {
        const call = decorator.expression;
        if (ts.isCallExpression(call) && calledName(call) === 'Module') found.push({ node, call });
      }
    });
    return found;
  },
);

/** The elements of an array literal (through consts and spreads); `open` when some are out of sight. */
function listOf(
  expression: ts.Expression | undefined,
  checker: ts.TypeChecker,
  depth = 0,
): { elements: ts.Expression[]; open: boolean } {
  if (!expression) return { elements: [], open: false };
  const value = unwrap(expression);
  if (ts.isArrayLiteralExpression(value)) {
    const elements: ts.Expression[] = [];
    let open = false;
    for (const element of value.elements) {
      if (ts.isSpreadElement(element)) {
        const inner = depth < 4 ? listOf(element.expression, checker, depth + 1) : { elements: [], open: true };
        elements.push(...inner.elements);
        open ||= inner.open;
      } else elements.push(element);
    }
    return { elements, open };
  }
  const init = ts.isIdentifier(value) && depth < 4 ? constInitializer(value, checker) : undefined;
  return init ? listOf(init, checker, depth + 1) : { elements: [], open: true };
}

/** `OrdersModule`, `OrdersModule.forRoot(…)`, `forwardRef(() => OrdersModule)`. */
function importedModule(element: ts.Expression, checker: ts.TypeChecker): ts.ClassDeclaration | undefined {
  const value = unwrap(element);
  if (ts.isCallExpression(value)) {
    if (calledName(value) === 'forwardRef') {
      const factory = value.arguments[0] && unwrap(value.arguments[0]);
      return factory && ts.isArrowFunction(factory) && !ts.isBlock(factory.body)
        ? classOf(factory.body, checker)
        : undefined;
    }
    const callee = unwrap(value.expression);
    return ts.isPropertyAccessExpression(callee) ? classOf(callee.expression, checker) : undefined;
  }
  return classOf(value, checker);
}

/** Whether a root module reaches one of the modules through `imports`: undefined when some import is out of sight. */
function imports(
  index: ModuleIndex,
  root: ts.ClassDeclaration,
  targets: readonly ts.ClassDeclaration[],
): boolean | undefined {
  const seen = new Set<ts.ClassDeclaration>();
  const queue = [root];
  let open = false;
  while (queue.length) {
    const module = queue.pop()!;
    if (seen.has(module)) continue;
    seen.add(module);
    if (targets.includes(module)) return true;
    const entry = index.imports.get(module);
    if (!entry) {
      open = true;
      continue;
    }
    open ||= entry.open;
    queue.push(...entry.modules);
  }
  return open ? undefined : false;
}

// ---- options as the code builds them --------------------------------------------------------

/** An object as the code builds it: its properties by name (spreads flattened, the last one wins). */
interface Shape {
  properties: Map<string, ts.ObjectLiteralElementLike>;
  /** Some spread or source could not be read: a property not found may still be set. */
  open: boolean;
  /** The transport a declared type names (`KafkaOptions`), for options whose value is out of sight. */
  declaredTransport?: TransportName;
}

/** Nest's option types, for options known only by a declared type. */
const OPTIONS_TYPES: Record<string, TransportName> = {
  RmqOptions: 'RMQ',
  KafkaOptions: 'KAFKA',
  NatsOptions: 'NATS',
  RedisOptions: 'REDIS',
  TcpOptions: 'TCP',
  MqttOptions: 'MQTT',
  GrpcOptions: 'GRPC',
};

/**
 * An options object: a literal (spreads flattened), a const or exported setting in another file,
 * what a project function returns (local or from a workspace library), a property of any of these
 * (`createConfig().options`), or, when only the declared type is in sight, that type's transport.
 */
function shapeOf(expression: ts.Expression, checker: ts.TypeChecker, depth = 0): Shape | undefined {
  if (depth > 6) return undefined;
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) return literalShape(value, checker, depth);
  if (ts.isCallExpression(value)) return returnedShape(value, checker, depth);
  if (ts.isPropertyAccessExpression(value)) {
    const owner = shapeOf(value.expression, checker, depth + 1);
    const inner = owner && shapeValue(owner, value.name.text);
    const shape = inner && shapeOf(inner, checker, depth + 1);
    if (shape) return shape;
  }
  const name = ts.isIdentifier(value) ? value : ts.isPropertyAccessExpression(value) ? value.name : undefined;
  const declaration = name ? symbolOf(name, checker)?.valueDeclaration : undefined;
  if (
    declaration &&
    (ts.isVariableDeclaration(declaration) ||
      ts.isPropertyAssignment(declaration) ||
      ts.isPropertyDeclaration(declaration))
  ) {
    const shape = declaration.initializer ? shapeOf(declaration.initializer, checker, depth + 1) : undefined;
    const declared = declaredTransportOf(
      ts.isPropertyAssignment(declaration) ? undefined : (declaration as ts.VariableDeclaration).type,
    );
    if (shape) return { ...shape, declaredTransport: shape.declaredTransport ?? declared };
    if (declared) return { properties: new Map(), open: true, declaredTransport: declared };
  }
  return undefined;
}

function literalShape(literal: ts.ObjectLiteralExpression, checker: ts.TypeChecker, depth: number): Shape {
  const shape: Shape = { properties: new Map(), open: false };
  for (const property of literal.properties) {
    if (ts.isSpreadAssignment(property)) {
      const spread = shapeOf(property.expression, checker, depth + 1);
      if (!spread) {
        // Whatever it holds may override what came before it.
        shape.properties.clear();
        shape.open = true;
        continue;
      }
      for (const [key, element] of spread.properties) shape.properties.set(key, element);
      shape.open ||= spread.open;
      shape.declaredTransport ??= spread.declaredTransport;
      continue;
    }
    const key = property.name;
    if (key && (ts.isIdentifier(key) || ts.isStringLiteral(key))) shape.properties.set(key.text, property);
    else shape.open = true;
  }
  return shape;
}

/** What a project function returns: its one returned object, or its declared return type. */
function returnedShape(call: ts.CallExpression, checker: ts.TypeChecker, depth: number): Shape | undefined {
  const fn = calledFunction(call, checker);
  if (!fn) return undefined;
  const returned = returnedExpressions(fn).map(unwrapAwait);
  const declared = declaredTransportOf(fn.type);
  const shape = returned.length === 1 ? shapeOf(returned[0], checker, depth + 1) : undefined;
  if (shape) return { ...shape, declaredTransport: shape.declaredTransport ?? declared };
  return declared ? { properties: new Map(), open: true, declaredTransport: declared } : undefined;
}

/** `KafkaOptions`, `Promise<RmqOptions>`: the transport a type annotation names. */
function declaredTransportOf(type: ts.TypeNode | undefined): TransportName | undefined {
  if (!type) return undefined;
  if (ts.isTypeReferenceNode(type)) {
    const name = ts.isQualifiedName(type.typeName) ? type.typeName.right.text : type.typeName.text;
    if (Object.hasOwn(OPTIONS_TYPES, name)) return OPTIONS_TYPES[name];
    if (name === 'Promise' && type.typeArguments?.length === 1) return declaredTransportOf(type.typeArguments[0]);
  }
  return undefined;
}

function shapeValue(shape: Shape, name: string): ts.Expression | undefined {
  const element = shape.properties.get(name);
  return element && elementValue(element);
}

function elementValue(element: ts.ObjectLiteralElementLike): ts.Expression | undefined {
  if (ts.isPropertyAssignment(element)) return element.initializer;
  if (ts.isShorthandPropertyAssignment(element)) return element.name;
  return undefined;
}

/** `new ServerRMQ(…)`, directly or through a variable holding it. */
function newExpressionOf(
  expression: ts.Expression | undefined,
  checker: ts.TypeChecker,
  depth = 0,
): ts.NewExpression | undefined {
  if (!expression || depth > 3) return undefined;
  const value = unwrap(expression);
  if (ts.isNewExpression(value)) return value;
  if (!ts.isIdentifier(value)) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  return declaration && ts.isVariableDeclaration(declaration) && declaration.initializer
    ? newExpressionOf(declaration.initializer, checker, depth + 1)
    : undefined;
}

/** A built-in server class, or a project class that extends one (through any number of subclasses). */
function serverTransport(expression: ts.Expression, checker: ts.TypeChecker, depth = 0): TransportName | undefined {
  const value = unwrap(expression);
  const className = ts.isIdentifier(value)
    ? value.text
    : ts.isPropertyAccessExpression(value)
      ? value.name.text
      : undefined;
  if (!className) return undefined;
  if (Object.hasOwn(SERVER_CLASSES, className)) return SERVER_CLASSES[className];
  const declaration = depth < 5 ? classOf(value, checker) : undefined;
  if (!declaration || !isProjectCode(declaration)) return undefined;
  const base = declaration.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]
    ?.expression;
  return base ? serverTransport(base, checker, depth + 1) : undefined;
}

function booleanOf(expression: ts.Expression | undefined, checker: ts.TypeChecker): boolean | undefined {
  if (!expression) return undefined;
  const literal = booleanValue(expression);
  if (literal !== undefined) return literal;
  const value = unwrap(expression);
  const init = ts.isIdentifier(value) ? constInitializer(value, checker) : undefined;
  return init ? booleanValue(init) : undefined;
}

/** `Transport.RMQ` (any alias of the enum), or a const holding it. */
function transportOf(expression: ts.Expression, checker: ts.TypeChecker, depth = 0): TransportName | undefined {
  const value = unwrap(expression);
  if (ts.isPropertyAccessExpression(value)) {
    const name = value.name.text;
    return name in TRANSPORT_LABEL ? (name as TransportName) : undefined;
  }
  if (ts.isIdentifier(value) && depth < 3) {
    const init = constInitializer(value, checker);
    if (init) return transportOf(init, checker, depth + 1);
  }
  return undefined;
}
