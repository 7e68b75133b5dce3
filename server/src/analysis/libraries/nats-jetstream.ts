/**
 * nats (JetStream), also as `@nats-io/jetstream` + `@nats-io/transport-node`:
 * - `const c = await js.consumers.get(stream, durable)`, then `for await (const m of await c.consume())`
 *   or `for await (const m of await c.fetch({ max_messages }))`: loop-style, the body handles one message;
 * - `c.consume({ callback: (m) => … })`: the callback is the handler;
 * - `const m = await c.next()`: one message, handled by the rest of the block that receives it (up
 *   to the end of that block: the loop body of a polling loop, or the function);
 * - legacy `js.subscribe(subject, opts)` / `js.pullSubscribe(subject, opts)`, iterated or with
 *   `opts.callback(…)`. Without `manualAck()` the client acks each message itself once the loop body
 *   (or the callback, without awaiting it) returns: implicit-after-return; with `ackNone()` nothing is
 *   acked or redelivered.
 *
 * Settling is explicit: `m.ack()` / `await m.ackAck()` ack, `m.nak()` redelivers (a nack), `m.term()`
 * drops the message (never redelivered); `m.working()` only extends the ack wait, like a heartbeat,
 * and settles nothing. An ordered consumer (`consumers.get(stream)` without a durable name, or with
 * options) has no acks and no redelivery: auto-before-handler.
 */
import { ts } from 'ts-morph';
import type { MessageValues } from '../source/message-values';
import {
  FunctionWithBody,
  calledName,
  forEachDescendant,
  isAsyncFunction,
  perParsedFile,
  propertyFunctionNode,
  propertyOf,
  propertyValue,
  receiverOf,
  staticText,
  symbolOf,
  unwrap,
} from '../source/ast';
import { importedModules, originModule, resolveFunction, typeName } from '../source/symbols';
import { type MessageBinding, type Shape, MESSAGE, ShapeTracker } from './loop-shapes';
import { callsNamed } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const PACKAGES = ['nats', '@nats-io/jetstream', '@nats-io/transport-node'];
const CONSUMER_TYPES = new Set(['Consumer', 'PullConsumer', 'OrderedConsumer', 'PushConsumer']);
const SETTLES = { ack: 'ack', ackAck: 'ack', nak: 'nack', term: 'term' } as const;

export const natsJetstream: LibraryModule = {
  info: {
    id: 'nats-jetstream',
    displayName: 'nats (JetStream)',
    packages: PACKAGES,
    registration:
      '`consumer.consume()` (iterator or `callback`), `consumer.fetch()`, `consumer.next()`, `js.subscribe`/`js.pullSubscribe`',
    ackModes:
      'explicit (`m.ack()`, `m.ackAck()`; `m.nak()` redelivers; `m.term()` drops); legacy subscriptions without `manualAck()` ack after the handler',
    identity: '`m.seq` / `Nats-Msg-Id` header',
  },
  traits: {
    // Messages still say "source" for a JetStream stream or consumer (the wording predates traits).
    sourceNoun: 'source',
    redeliveryCause: {
      default: 'a crash, a nak or an ack wait that expires before the ack makes JetStream deliver it again',
    },
    settleMeaning: 'the client acks the message',
    failureOutcome: 'the failure reaches the library',
    deadLetter:
      'none built in: after `max_deliver` attempts JetStream stops redelivering and publishes an advisory; `term()` drops the message at once',
    autoAck: { reason: 'its consumer does not ack (an ordered consumer, or ack policy none) and never redelivers' },
    drop: {
      explanation: 'terminates the message: JetStream never redelivers it',
      redeliver: { title: 'Nak the message for redelivery instead of terminating it', call: '{{receiver}}.nak()' },
    },
  },
  identity: { idProperties: ['seq', 'streamSequence', 'headers'], nonUniqueProperties: [] },
  // A JetStream message acks itself; core NATS `Msg` has no acks and is left out.
  messageTypes: {
    names: ['JsMsg'],
    identityHint: 'm.seq (the stream sequence) or the Nats-Msg-Id header',
    identity: (message) => `${message}.seq`,
  },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const natsFile = [...context.imports].some(isNatsModule);
    if (!natsFile && !/\b(consumers|jetstream|JetStream|JsMsg)\b/.test(sourceFile.text)) return [];
    // No receive, no consumer. A `for await` may iterate a subscription a project helper returns
    // (`for await (const m of await bus.subscribeTo(subject))`).
    if (!/\.(consume|fetch|next|subscribe|pullSubscribe)\s*\(|\bfor\s+await\b/.test(sourceFile.text)) return [];
    const tracker: ShapeTracker = new ShapeTracker(context.checker, {
      call: (call, receiver) => shapeOfCall(call, receiver, context),
      property,
      element,
    });
    const sites: ConsumerSite[] = [];
    for (const found of tracker.scan(sourceFile)) {
      const site = iteratorSite(found, tracker, sourceFile, context);
      if (site) sites.push(site);
    }

    // consumer.consume({ callback: (m) => … })
    for (const call of callsNamed(sourceFile, ['consume'])) {
      const options = call.arguments[0] && unwrap(call.arguments[0]);
      if (!options || !ts.isObjectLiteralExpression(options) || !propertyOf(options, 'callback')) continue;
      const consumer = consumerShape(receiverOf(call), tracker, context);
      const handler = consumer && resolveFunction(propertyFunctionNode(options, 'callback'), context.checker);
      if (!consumer || !handler?.parameters[0]) continue;
      sites.push(
        callbackSite(
          'consume (callback)',
          call,
          handler,
          handler.parameters[0].name,
          consumer,
          consumer.kind === 'ordered' ? 'auto-before-handler' : 'explicit',
          consumer.kind === 'ordered' ? consumer.origin : undefined,
        ),
      );
    }

    // js.subscribe(subject, opts) with opts.callback((err, m) => …)
    for (const call of callsNamed(sourceFile, ['subscribe', 'pullSubscribe'])) {
      if (!isJetStreamClient(receiverOf(call), tracker, context)) continue;
      const options = legacyOptions(call.arguments[1], sourceFile, context.checker);
      if (!options.callback) continue;
      const handler = resolveFunction(options.callback, context.checker);
      const parameter = handler?.parameters[1] ?? handler?.parameters[0];
      if (!handler || !parameter) continue;
      const mode = legacyAckMode(options);
      const site = callbackSite(
        calledName(call)!,
        call,
        handler,
        parameter.name,
        { kind: 'subscription', origin: call, source: staticText(call.arguments[0], context.checker) },
        mode.ackMode,
        mode.node,
      );
      // The client acks when the callback returns; an async callback's work is still running then.
      if (mode.ackMode === 'implicit-after-return') site.detached = isAsyncFunction(handler);
      sites.push(site);
    }
    return sites.sort((a, b) => a.registrationNode.getStart() - b.registrationNode.getStart());
  },

  settleOf(call: ts.CallExpression, values: MessageValues) {
    const name = calledName(call) as keyof typeof SETTLES | undefined;
    if (!name || !Object.hasOwn(SETTLES, name)) return undefined;
    const receiver = receiverOf(call);
    if (!receiver || !values.derivesFrom(receiver)) return undefined;
    const kind = SETTLES[name];
    return kind === 'nack' ? { kind, label: `${name}()`, requeue: true } : { kind, label: `${name}()` };
  },
};

function property(shape: Shape, name: string): Shape | undefined {
  return shape.kind === 'js' && name === 'consumers' ? { ...shape, kind: 'consumers' } : undefined;
}

function element(shape: Shape): Shape | undefined {
  return shape.kind === 'messages' || shape.kind === 'subscription' ? { ...shape, kind: MESSAGE } : undefined;
}

function shapeOfCall(call: ts.CallExpression, receiver: Shape | undefined, context: LibraryContext): Shape | undefined {
  const name = calledName(call);
  const callee = receiverOf(call);
  switch (name) {
    case 'jetstream':
      // nc.jetstream() (nats 2) or jetstream(nc) (@nats-io/jetstream)
      return inNatsFile(call) || fromNats(callee ?? call.expression, context)
        ? { kind: 'js', origin: call }
        : undefined;
    case 'get': {
      const onConsumers =
        receiver?.kind === 'consumers' ||
        (!!callee &&
          ts.isPropertyAccessExpression(unwrap(callee)) &&
          (unwrap(callee) as ts.PropertyAccessExpression).name.text === 'consumers' &&
          (inNatsFile(call) || fromNats(callee, context)));
      if (!onConsumers) return undefined;
      const durable = call.arguments[1] && unwrap(call.arguments[1]);
      // consumers.get(stream) or get(stream, { filterSubjects }) is an ordered consumer: no acks.
      const ordered = !durable || ts.isObjectLiteralExpression(durable);
      return {
        kind: ordered ? 'ordered' : 'consumer',
        origin: call,
        source: staticText(call.arguments[0], context.checker),
      };
    }
    case 'consume':
    case 'fetch':
    case 'next': {
      const consumer =
        receiver && (receiver.kind === 'consumer' || receiver.kind === 'ordered')
          ? receiver
          : fallbackConsumer(callee, context);
      if (!consumer) return undefined;
      const options = call.arguments[0] && unwrap(call.arguments[0]);
      if (name === 'consume' && options && ts.isObjectLiteralExpression(options) && propertyOf(options, 'callback'))
        return undefined;
      return { kind: name === 'next' ? MESSAGE : 'messages', origin: call, source: consumer.source };
    }
    case 'subscribe':
    case 'pullSubscribe': {
      const js = receiver?.kind === 'js' || (!!callee && isJetStreamReceiverText(callee, context));
      if (!js || legacyOptions(call.arguments[1], call.getSourceFile(), context.checker).callback) return undefined;
      return { kind: 'subscription', origin: call, source: staticText(call.arguments[0], context.checker) };
    }
    default:
      return undefined;
  }
}

/** A consumer the tracker cannot trace (a parameter, a field set elsewhere): by type, or by name in a nats file. */
function fallbackConsumer(receiver: ts.Expression | undefined, context: LibraryContext): Shape | undefined {
  if (!receiver) return undefined;
  const type = typeName(receiver, context.checker);
  if (type && CONSUMER_TYPES.has(type) && fromNats(receiver, context))
    return { kind: type === 'OrderedConsumer' ? 'ordered' : 'consumer', origin: receiver };
  if (inNatsFile(receiver) && !type && /consumer$/i.test(unwrap(receiver).getText()))
    return { kind: 'consumer', origin: receiver };
  return undefined;
}

function consumerShape(
  receiver: ts.Expression | undefined,
  tracker: ShapeTracker,
  context: LibraryContext,
): Shape | undefined {
  if (!receiver) return undefined;
  const shape = tracker.shapeOf(receiver);
  if (shape && (shape.kind === 'consumer' || shape.kind === 'ordered')) return shape;
  return fallbackConsumer(receiver, context);
}

function isJetStreamClient(
  receiver: ts.Expression | undefined,
  tracker: ShapeTracker,
  context: LibraryContext,
): boolean {
  if (!receiver) return false;
  return tracker.shapeOf(receiver)?.kind === 'js' || isJetStreamReceiverText(receiver, context);
}

function isJetStreamReceiverText(receiver: ts.Expression, context: LibraryContext): boolean {
  const type = typeName(receiver, context.checker);
  if (type === 'JetStreamClient') return true;
  return inNatsFile(receiver) && !type && /(^|\.)(js|jetstream\w*|jetStream\w*)$/i.test(unwrap(receiver).getText());
}

function isNatsModule(module: string): boolean {
  return PACKAGES.some((name) => module === name || module.startsWith(`${name}/`));
}

const importsNats = perParsedFile((sourceFile) => [...importedModules(sourceFile)].some(isNatsModule));

/**
 * Whether the file a node is in imports nats: there names alone (`js`, `consumer`) are read as
 * JetStream's. Per file, as a helper that subscribes may live in another file than the loop.
 */
function inNatsFile(node: ts.Node): boolean {
  return importsNats(node.getSourceFile());
}

function fromNats(expression: ts.Expression, context: LibraryContext): boolean {
  const origin = originModule(expression, context.checker);
  return !!origin && PACKAGES.some((name) => origin === name || origin.startsWith('@nats-io/'));
}

function iteratorSite(
  found: MessageBinding,
  tracker: ShapeTracker,
  sourceFile: ts.SourceFile,
  context: LibraryContext,
): ConsumerSite | undefined {
  const origin = found.origin as ts.CallExpression;
  const name = calledName(origin)!;
  let ackMode: ConsumerSite['ackMode'] = 'explicit';
  let ackModeNode: ts.Node | undefined;
  if (name === 'subscribe' || name === 'pullSubscribe') {
    const mode = legacyAckMode(legacyOptions(origin.arguments[1], origin.getSourceFile(), context.checker));
    ackMode = mode.ackMode;
    ackModeNode = mode.node;
  } else {
    const consumer = receiverOf(origin) && tracker.shapeOf(receiverOf(origin)!);
    if (consumer?.kind === 'ordered') {
      ackMode = 'auto-before-handler';
      ackModeNode = consumer.origin;
    }
  }
  const message = ts.isIdentifier(found.binding) ? found.binding.text : undefined;
  return {
    library: natsJetstream,
    form: name,
    registrationNode: origin,
    handler: found.handler,
    body: found.body,
    loop: found.from ? { from: found.from } : undefined,
    detached: found.detached,
    messageBindings: [found.binding],
    ackMode,
    ackModeNode,
    source: found.source,
    identityHint: 'm.seq (the stream sequence) or the Nats-Msg-Id header',
    identityExpression: message ? `${message}.seq` : undefined,
  };
}

function callbackSite(
  form: string,
  call: ts.CallExpression,
  handler: FunctionWithBody,
  binding: ts.BindingName,
  shape: Shape,
  ackMode: ConsumerSite['ackMode'],
  ackModeNode: ts.Node | undefined,
): ConsumerSite {
  return {
    library: natsJetstream,
    form,
    registrationNode: call,
    handler,
    messageBindings: [binding],
    ackMode,
    ackModeNode,
    source: shape.source,
    identityHint: 'm.seq (the stream sequence) or the Nats-Msg-Id header',
    identityExpression: ts.isIdentifier(binding) ? `${binding.text}.seq` : undefined,
  };
}

interface LegacyOptions {
  /** The options were read (a `consumerOpts()` builder or an object literal). */
  known: boolean;
  manualAck?: ts.Node;
  ackNone?: ts.Node;
  callback?: ts.Expression;
}

/**
 * What a legacy subscription's options say: `consumerOpts().manualAck().callback(fn)` (in the chain
 * or as later calls on the builder variable), or `{ mack: true, callbackFn, config: { ack_policy } }`.
 */
function legacyOptions(
  expression: ts.Expression | undefined,
  sourceFile: ts.SourceFile,
  checker: ts.TypeChecker,
): LegacyOptions {
  const options: LegacyOptions = { known: false };
  if (!expression) return options;
  let value = unwrap(expression);
  let symbol: ts.Symbol | undefined;
  if (ts.isIdentifier(value)) {
    symbol = symbolOf(value, checker);
    const declaration = symbol?.valueDeclaration;
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer)
      value = unwrap(declaration.initializer);
  }
  const readCall = (call: ts.CallExpression): void => {
    const name = calledName(call);
    if (name === 'consumerOpts') options.known = true;
    if (name === 'manualAck') options.manualAck = call;
    if (name === 'ackNone') options.ackNone = call;
    if (name === 'callback' && call.arguments[0]) options.callback = call.arguments[0];
  };
  // The builder chain: consumerOpts().durable('billing').manualAck()
  for (let current: ts.Expression = value; ts.isCallExpression(current);) {
    readCall(current);
    const callee = unwrap(current.expression);
    current = ts.isPropertyAccessExpression(callee) ? unwrap(callee.expression) : callee;
  }
  if (ts.isObjectLiteralExpression(value)) {
    options.known = true;
    const mack = propertyValue(value, 'mack');
    if (mack && mack.kind === ts.SyntaxKind.TrueKeyword) options.manualAck = mack;
    options.callback = propertyValue(value, 'callbackFn');
    const config = propertyValue(value, 'config');
    const policy =
      config && ts.isObjectLiteralExpression(unwrap(config))
        ? propertyValue(unwrap(config) as ts.ObjectLiteralExpression, 'ack_policy')
        : undefined;
    if (policy && /None|'none'|"none"/.test(policy.getText())) options.ackNone = policy;
  }
  // Later calls on the builder: opts.manualAck(); opts.callback((err, m) => …)
  if (symbol) {
    forEachDescendant(
      sourceFile,
      (node) => {
        if (!ts.isCallExpression(node)) return;
        const callee = unwrap(node.expression);
        if (
          ts.isPropertyAccessExpression(callee) &&
          ts.isIdentifier(callee.expression) &&
          symbolOf(callee.expression, checker) === symbol
        )
          readCall(node);
      },
      true,
    );
  }
  return options;
}

function legacyAckMode(options: LegacyOptions): { ackMode: ConsumerSite['ackMode']; node?: ts.Node } {
  if (options.ackNone) return { ackMode: 'auto-before-handler', node: options.ackNone };
  if (options.manualAck) return { ackMode: 'explicit', node: options.manualAck };
  if (options.known) return { ackMode: 'implicit-after-return' };
  return { ackMode: 'explicit' };
}
