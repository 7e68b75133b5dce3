/**
 * NestJS microservices: controller methods decorated with `@EventPattern(pattern)` or
 * `@MessagePattern(pattern)`, receiving the payload (`@Payload()`) and the transport's context
 * (`@Ctx()`). The transport, and with it the ack mode, is not at the handler: it is in the
 * project's bootstrap, `NestFactory.createMicroservice(AppModule, { transport, options })` or
 * `app.connectMicroservice({...})`, usually in another file. docs/model.md, "Per-library behaviour" and "How the rules share a handler":
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
import { RABBITMQ } from './amqplib';
import { KAFKA_TRAITS } from './kafkajs';
import {
  booleanValue,
  calledName,
  constInitializer,
  forEachDescendant,
  isFunctionWithBody,
  isProjectCode,
  propertyOf,
  propertyValue,
  staticText,
  symbolOf,
  unwrap,
  type FunctionWithBody,
} from '../source/ast';
import { packageOfFile } from '../source/symbols';
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
    return { kind: SETTLES[name as keyof typeof SETTLES], label: `channel.${name}()` };
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
    ackMode: decision.ackMode,
    ackModeNode: decision.node,
    source: pattern,
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
}

function decide(
  method: FunctionWithBody,
  decorator: PatternDecorator,
  pattern: string | undefined,
  context: LibraryContext,
): Decision {
  const settles = settlesThroughChannel(method);
  const bound = decoratorTransport(decorator, context.checker);
  const all = bootstrapsOf(context.program, context.checker);
  const candidates = matchBootstraps(all, method.getSourceFile().fileName, bound, pattern);
  if (!candidates.length) {
    if (settles && (!bound || bound === 'RMQ')) return { transport: 'RMQ', ackMode: 'explicit' };
    if (bound && !TRANSPORTS_THAT_REDELIVER.has(bound))
      return { transport: bound, ackMode: 'auto-before-handler', node: decorator.call.arguments[1] };
    return {
      transport: bound,
      ackMode: 'implicit-after-return',
      incomplete: all.length
        ? `no NestJS microservice bootstrap in the program serves this handler${bound ? ` over ${TRANSPORT_LABEL[bound]}` : ''}, so its transport and ack mode are unknown`
        : 'the program has no NestJS microservice bootstrap (createMicroservice / connectMicroservice), so the transport and ack mode are unknown',
    };
  }
  const decisions = candidates.map((bootstrap) => decisionFor(bootstrap, settles));
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
  return first;
}

/** Transports whose broker keeps the message until it is acked or committed. */
const TRANSPORTS_THAT_REDELIVER = new Set<TransportName>(['RMQ', 'KAFKA']);

function decisionFor(bootstrap: Bootstrap, settles: boolean): Decision {
  const { transport } = bootstrap;
  if (!transport) {
    return {
      ackMode: 'implicit-after-return',
      node: bootstrap.transportNode,
      incomplete: `the transport of the NestJS bootstrap (${bootstrap.label}) is not statically known`,
    };
  }
  if (transport === 'RMQ') {
    // Nest's RMQ server consumes with noAck: true unless told otherwise.
    const manual = bootstrap.noAck === false || (bootstrap.noAck === undefined && !!bootstrap.noAckNode && settles);
    return {
      transport,
      ackMode: manual ? 'explicit' : 'auto-before-handler',
      node: bootstrap.noAckNode ?? bootstrap.transportNode,
    };
  }
  if (transport === 'KAFKA') {
    return {
      transport,
      ackMode: bootstrap.autoCommit === false ? 'explicit' : 'implicit-after-return',
      node: bootstrap.autoCommitNode ?? bootstrap.transportNode,
    };
  }
  return { transport, ackMode: 'auto-before-handler', node: bootstrap.transportNode };
}

/** Whether the handler settles the message itself: `context.getChannelRef().ack(...)` and the like. */
function settlesThroughChannel(method: FunctionWithBody): boolean {
  if (!/getChannelRef\s*\(/.test(method.body.getText())) return false;
  let found = false;
  forEachDescendant(
    method.body,
    (node) => {
      if (!found && ts.isCallExpression(node) && Object.hasOwn(SETTLES, calledName(node) ?? '')) found = true;
    },
    true,
  );
  return found;
}

interface Bootstrap {
  call: ts.CallExpression;
  label: string;
  transport?: TransportName;
  transportNode: ts.Node;
  queue?: string;
  noAck?: boolean;
  noAckNode?: ts.Node;
  autoCommit?: boolean;
  autoCommitNode?: ts.Node;
  directory: string;
}

/**
 * Several bootstraps: those of the decorator's transport; then, when some are in a folder above the
 * handler's file (a monorepo's apps, each with its main.ts), the nearest of those; then those whose
 * RMQ queue is named like the pattern. What is left is accepted only when it agrees on the delivery.
 */
function matchBootstraps(
  all: readonly Bootstrap[],
  file: string,
  bound: TransportName | undefined,
  pattern: string | undefined,
): Bootstrap[] {
  let candidates = bound ? all.filter((bootstrap) => bootstrap.transport === bound || !bootstrap.transport) : [...all];
  const directory = path.dirname(file);
  const above = candidates.filter(
    (bootstrap) => directory === bootstrap.directory || directory.startsWith(bootstrap.directory + path.sep),
  );
  if (above.length) {
    const nearest = Math.max(...above.map((bootstrap) => bootstrap.directory.length));
    candidates = above.filter((bootstrap) => bootstrap.directory.length === nearest);
  }
  if (candidates.length > 1 && pattern) {
    const byQueue = candidates.filter((bootstrap) => bootstrap.queue === pattern);
    if (byQueue.length) candidates = byQueue;
  }
  return candidates;
}

const bootstrapCache = new WeakMap<ts.Program, Bootstrap[]>();

/** Every `createMicroservice` / `connectMicroservice` call in the program, cached per program. */
export function bootstrapsOf(program: ts.Program, checker: ts.TypeChecker): Bootstrap[] {
  const cached = bootstrapCache.get(program);
  if (cached) return cached;
  const found: Bootstrap[] = [];
  for (const sourceFile of program.getSourceFiles()) {
    if (!isProjectCode(sourceFile) || !/(create|connect)Microservice/.test(sourceFile.text)) continue;
    forEachDescendant(
      sourceFile,
      (node) => {
        if (!ts.isCallExpression(node)) return;
        const name = calledName(node);
        if (name !== 'createMicroservice' && name !== 'connectMicroservice') return;
        const argument = node.arguments[name === 'createMicroservice' ? 1 : 0];
        if (!argument) return;
        found.push(readBootstrap(node, argument, checker));
      },
      true,
    );
  }
  bootstrapCache.set(program, found);
  return found;
}

function readBootstrap(call: ts.CallExpression, argument: ts.Expression, checker: ts.TypeChecker): Bootstrap {
  const sourceFile = call.getSourceFile();
  const line = sourceFile.getLineAndCharacterOfPosition(call.getStart()).line + 1;
  const bootstrap: Bootstrap = {
    call,
    label: `${calledName(call)}() in ${path.basename(sourceFile.fileName)}:${line}`,
    transportNode: call,
    directory: path.dirname(sourceFile.fileName),
  };
  const options = objectOf(argument, checker);
  if (!options) return bootstrap;
  let settings: ts.ObjectLiteralExpression | undefined;
  const strategy = propertyValue(options, 'strategy');
  if (strategy) {
    // { strategy: new ServerRMQ({ queue, noAck }) }; a custom strategy's delivery is unknown.
    bootstrap.transportNode = propertyOf(options, 'strategy')!;
    const created = unwrap(strategy);
    if (ts.isNewExpression(created)) {
      const className = unwrap(created.expression).getText().split('.').pop() ?? '';
      bootstrap.transport = SERVER_CLASSES[className];
      settings = created.arguments?.[0] ? objectOf(created.arguments[0], checker) : undefined;
    }
  } else {
    const transport = propertyValue(options, 'transport');
    if (transport) bootstrap.transportNode = propertyOf(options, 'transport')!;
    // Nest's default transport is TCP.
    bootstrap.transport = transport ? transportOf(transport, checker) : 'TCP';
    const inner = propertyValue(options, 'options');
    settings = inner ? objectOf(inner, checker) : undefined;
  }
  if (!settings) return bootstrap;
  bootstrap.queue = staticText(propertyValue(settings, 'queue'), checker);
  const noAck = propertyOf(settings, 'noAck');
  if (noAck) {
    bootstrap.noAckNode = noAck;
    bootstrap.noAck = booleanOf(propertyValue(settings, 'noAck'), checker);
  }
  const run = propertyValue(settings, 'run');
  const runOptions = run ? objectOf(run, checker) : undefined;
  const autoCommit = runOptions && propertyOf(runOptions, 'autoCommit');
  if (runOptions && autoCommit) {
    bootstrap.autoCommitNode = autoCommit;
    bootstrap.autoCommit = booleanOf(propertyValue(runOptions, 'autoCommit'), checker);
  }
  return bootstrap;
}

/** An object literal, directly or through consts and exported settings in other files. */
function objectOf(
  expression: ts.Expression,
  checker: ts.TypeChecker,
  depth = 0,
): ts.ObjectLiteralExpression | undefined {
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) return value;
  if (depth > 4) return undefined;
  const name = ts.isIdentifier(value) ? value : ts.isPropertyAccessExpression(value) ? value.name : undefined;
  if (!name) return undefined;
  const declaration = symbolOf(name, checker)?.valueDeclaration;
  if (
    declaration &&
    (ts.isVariableDeclaration(declaration) ||
      ts.isPropertyAssignment(declaration) ||
      ts.isPropertyDeclaration(declaration)) &&
    declaration.initializer
  ) {
    return objectOf(declaration.initializer, checker, depth + 1);
  }
  return undefined;
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
