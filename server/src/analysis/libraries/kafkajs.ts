/**
 * kafkajs (and the KafkaJS-compatible API of @confluentinc/kafka-javascript):
 * `consumer.run({ eachMessage | eachBatch })`. Offsets are committed after eachMessage resolves
 * (autoCommit, the default) or explicitly with `commitOffsets` when `autoCommit: false`.
 */
import { ts } from 'ts-morph';
import { booleanValue, calledName, propertyFunctionNode, propertyOf, propertyValue, staticText, unwrap } from '../source';
import { resolveFunction } from '../symbols';
import type { MessageValues } from '../identity';
import { callsNamed, destructuredName, firstParameterName, receiverFromPackages, receiverText } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './types';

const PACKAGES = ['kafkajs', '@confluentinc/kafka-javascript'];

export const kafkajs: LibraryModule = {
  info: {
    id: 'kafkajs',
    displayName: 'kafkajs',
    packages: PACKAGES,
    registration: '`consumer.run({ eachMessage })`, `consumer.run({ eachBatch })`',
    ackModes: 'implicit-after-return (autoCommit) or explicit (`commitOffsets`, `resolveOffset`)',
    identity: 'topic + partition + `message.offset`; an ID header',
  },
  identity: { idProperties: ['offset', 'headers'], nonUniqueProperties: ['key'] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    for (const call of callsNamed(sourceFile, ['run'])) {
      const options = call.arguments[0] && unwrap(call.arguments[0]);
      if (!options || !ts.isObjectLiteralExpression(options)) continue;
      const form = propertyOf(options, 'eachMessage') ? 'eachMessage' : propertyOf(options, 'eachBatch') ? 'eachBatch' : undefined;
      if (!form) continue;
      const receiver = ts.isPropertyAccessExpression(call.expression) ? call.expression.expression : undefined;
      if (!receiverFromPackages(receiver, PACKAGES, context, ['Consumer'])) continue;
      const handler = resolveFunction(propertyFunctionNode(options, form), context.checker);
      if (!handler) continue;
      const autoCommitNode = propertyOf(options, 'autoCommit');
      const autoCommit = booleanValue(propertyValue(options, 'autoCommit'));
      const autoResolve = booleanValue(propertyValue(options, 'eachBatchAutoResolve'));
      const explicit = autoCommit === false || (form === 'eachBatch' && autoResolve === false);
      sites.push({
        library: kafkajs,
        form,
        registrationNode: call,
        handler,
        messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
        ackMode: explicit ? 'explicit' : 'implicit-after-return',
        ackModeNode: autoCommitNode ?? propertyOf(options, 'eachBatchAutoResolve'),
        source: subscribedTopic(sourceFile, receiverText(call), context.checker),
        identityHint: 'topic + partition + message.offset (or an event-ID header)',
        ...(form === 'eachMessage' ? identityOf(handler) : {}),
      });
    }
    return sites;
  },

  settleOf(call: ts.CallExpression, _values: MessageValues) {
    const name = calledName(call);
    if (name === 'commitOffsets') return { kind: 'commit' as const, label: 'commitOffsets()' };
    if (name === 'commitOffsetsIfNecessary') return { kind: 'commit' as const, label: 'commitOffsetsIfNecessary()' };
    if (name === 'resolveOffset') return { kind: 'resolve-offset' as const, label: 'resolveOffset()' };
    return undefined;
  },
};

/**
 * `${topic}:${partition}:${message.offset}` in the names the handler's parameter uses. For
 * `({ message })`, the names `topic` and `partition` are added to the pattern by the fix.
 */
function identityOf(handler: ts.FunctionLikeDeclaration): Pick<ConsumerSite, 'identityExpression' | 'identityBinding'> {
  const payload = firstParameterName(handler);
  if (payload) return { identityExpression: '`${' + payload + '.topic}:${' + payload + '.partition}:${' + payload + '.message.offset}`' };
  const pattern = handler.parameters[0]?.name;
  const message = destructuredName(handler, 'message');
  if (!pattern || !ts.isObjectBindingPattern(pattern) || !message) return {};
  const topic = destructuredName(handler, 'topic');
  const partition = destructuredName(handler, 'partition');
  const missing = [topic ? undefined : 'topic', partition ? undefined : 'partition'].filter((name): name is string => !!name);
  const bodyText = handler.body?.getText() ?? '';
  // Adding a name the body already uses for something else would shadow it.
  if (missing.some((name) => new RegExp(`\\b${name}\\b`).test(bodyText))) return {};
  const identityExpression = '`${' + (topic ?? 'topic') + '}:${' + (partition ?? 'partition') + '}:${' + message + '.offset}`';
  if (!missing.length) return { identityExpression };
  return { identityExpression, identityBinding: { position: pattern.elements[0].getStart(), text: `${missing.join(', ')}, ` } };
}

/** The topic named in `consumer.subscribe({ topic })` / `{ topics: [...] }` on the same consumer. */
function subscribedTopic(sourceFile: ts.SourceFile, consumer: string | undefined, checker: ts.TypeChecker): string | undefined {
  const topics: string[] = [];
  for (const call of callsNamed(sourceFile, ['subscribe'])) {
    if (consumer && receiverText(call) !== consumer) continue;
    const options = call.arguments[0] && unwrap(call.arguments[0]);
    if (!options || !ts.isObjectLiteralExpression(options)) continue;
    const single = staticText(propertyValue(options, 'topic'), checker);
    if (single) topics.push(single);
    const list = propertyValue(options, 'topics');
    if (list && ts.isArrayLiteralExpression(unwrap(list))) {
      for (const element of (unwrap(list) as ts.ArrayLiteralExpression).elements) {
        const text = staticText(element, checker);
        if (text) topics.push(text);
      }
    }
  }
  return topics.length ? topics.join(', ') : undefined;
}
