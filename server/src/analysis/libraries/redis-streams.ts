/**
 * Redis streams with ioredis: a loop calling
 * `redis.xreadgroup('GROUP', group, consumer, 'COUNT', n, 'BLOCK', ms, 'STREAMS', stream, '>')` and
 * iterating the result (`for (const [stream, entries] of res) for (const [id, fields] of entries)`);
 * recovery loops over `xautoclaim` (`const [cursor, entries] = await redis.xautoclaim(…)`) and
 * `xclaim` are consumers too. Loop-style (docs/model.md, "Consumers"): the handler is the innermost loop
 * body, with the entry's `id` and `fields` as the message.
 *
 * Settling is explicit with `redis.xack(stream, group, id)`; an `xack(stream, group, ...ids)` after
 * the entries loop acks the whole batch (a settle after the body). `NOACK` makes the group ack on
 * delivery (auto-before-handler). An entry never acked stays pending forever unless something claims it.
 *
 * ioredis is also an effects library (`redis.set`, `redis.incr`…), so importing it does not make a
 * file a broker file: only files that mention `xreadgroup`, `xautoclaim` or `xclaim` are candidates
 * (`info.mentions`), and only the loops over those calls' results are consumers.
 */
import { ts } from 'ts-morph';
import { calledName, receiverOf, staticText, unwrap } from '../source/ast';
import { originModule } from '../source/symbols';
import { type MessageBinding, type Shape, MESSAGE, ShapeTracker, callsAfter } from './loop-shapes';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const REDIS_PACKAGES = ['ioredis'];
const READS = new Set(['xreadgroup', 'xautoclaim', 'xclaim']);

export const redisStreams: LibraryModule = {
  info: {
    id: 'redis-streams',
    displayName: 'Redis streams (ioredis)',
    // Not `ioredis`: an import of it alone must not make a file a broker file.
    packages: [],
    mentions: /\bx(?:readgroup|autoclaim|claim)\b/i,
    registration: '`xreadgroup` loop (also `xautoclaim`/`xclaim` recovery loops)',
    ackModes: 'explicit (`xack`); `NOACK` acks on delivery',
    identity: 'stream entry ID',
  },
  traits: {
    sourceNoun: 'stream',
    redeliveryCause: {
      default:
        'a crash before XACK leaves the entry pending, and XAUTOCLAIM/XCLAIM (or a restart reading the pending entries) delivers it again',
    },
    settleMeaning: 'the message is acknowledged',
    failureOutcome: 'the failure reaches the library',
    deadLetter:
      'none built in: an entry that keeps failing stays pending; a claimer can move it to a dead-letter stream once XPENDING counts too many deliveries',
    holdsUnsettled: {
      kind: 'pending-until-claimed',
      explanation:
        "the entry stays in the consumer group's pending list forever unless a claimer (XAUTOCLAIM) takes it over",
    },
    autoAck: { reason: 'redis-streams acks the message on delivery' },
    code: { settle: { via: 'copy' } },
  },
  identity: { idProperties: ['id', 'entryId', 'streamId', 'messageId'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    if (!redisStreams.info.mentions!.test(sourceFile.text)) return [];
    const tracker = new ShapeTracker(context.checker, {
      call: (call) => readCall(call, context),
      index: (shape, index) => {
        if (shape.kind === 'pair' && index === 1) return { ...shape, kind: 'entries' }; // [stream, entries]
        if (shape.kind === 'autoclaim' && index === 1) return { ...shape, kind: 'entries' }; // [cursor, entries, deleted]
        if (shape.kind === 'streams') return { ...shape, kind: 'pair' }; // res[0]
        return undefined;
      },
      element: (shape) =>
        shape.kind === 'streams'
          ? { ...shape, kind: 'pair' }
          : shape.kind === 'entries'
            ? { ...shape, kind: MESSAGE }
            : undefined,
    });
    const found = tracker.scan(sourceFile).filter((binding) => binding.kind !== 'single');
    return found.map((binding) => siteOf(binding, found));
  },

  settleOf(call: ts.CallExpression) {
    // xack(stream, group, id) in the body; xack(stream, group, ...ids) after the loop acks the batch.
    if (calledName(call)?.toLowerCase() !== 'xack') return undefined;
    return { kind: 'ack' as const, label: 'xack()' };
  },
};

function readCall(call: ts.CallExpression, context: LibraryContext): Shape | undefined {
  const name = calledName(call);
  if (!name || !READS.has(name)) return undefined; // ioredis names commands in lower case
  const receiver = receiverOf(call);
  const texts = call.arguments.map((argument) => staticText(argument, context.checker)?.toUpperCase());
  const fromIoredis =
    REDIS_PACKAGES.some((module) => context.imports.has(module)) ||
    (!!receiver && REDIS_PACKAGES.includes(originModule(receiver, context.checker) ?? '')) ||
    (!!receiver && /redis/i.test(unwrap(receiver).getText())) ||
    (name === 'xreadgroup' && texts[0] === 'GROUP');
  if (!fromIoredis) return undefined;
  if (name === 'xreadgroup') {
    const streams = texts.indexOf('STREAMS');
    return {
      kind: 'streams',
      origin: call,
      source: streams >= 0 ? staticText(call.arguments[streams + 1], context.checker) : undefined,
    };
  }
  if (name === 'xclaim' && texts.includes('JUSTID')) return undefined; // ids only, no entries to process
  return {
    kind: name === 'xautoclaim' ? 'autoclaim' : 'entries',
    origin: call,
    source: staticText(call.arguments[0], context.checker),
  };
}

function siteOf(binding: MessageBinding, all: readonly MessageBinding[]): ConsumerSite {
  const origin = binding.origin as ts.CallExpression;
  const noAck = origin.arguments.find(
    (argument) =>
      ts.isStringLiteralLike(unwrap(argument)) && (unwrap(argument) as ts.StringLiteral).text.toUpperCase() === 'NOACK',
  );
  return {
    library: redisStreams,
    form: calledName(origin)!,
    registrationNode: origin,
    handler: binding.handler,
    body: binding.body,
    loop: { settlesAfter: callsAfter(binding, all, (call) => calledName(call)?.toLowerCase() === 'xack') },
    detached: binding.detached,
    messageBindings: [binding.binding],
    ackMode: noAck ? 'auto-before-handler' : 'explicit',
    ackModeNode: noAck,
    source: binding.source,
    identityHint: 'the stream entry ID',
    identityExpression: entryIdOf(binding.binding),
  };
}

/** `id` of `[id, fields]`, or `entry[0]`. */
function entryIdOf(binding: ts.BindingName): string | undefined {
  if (ts.isIdentifier(binding)) return `${binding.text}[0]`;
  if (ts.isArrayBindingPattern(binding)) {
    const first = binding.elements[0];
    if (first && ts.isBindingElement(first) && ts.isIdentifier(first.name)) return first.name.text;
  }
  return undefined;
}
