/**
 * kafkajs: `consumer.run({ eachMessage | eachBatch })`. Offsets are committed after eachMessage
 * resolves (autoCommit, the default) or explicitly with `commitOffsets` when `autoCommit: false`.
 * The registration, identity and settle helpers are shared with confluent-kafka.ts (the
 * KafkaJS-compatible API of @confluentinc/kafka-javascript), which differs in where `autoCommit` is.
 */
import { ts } from 'ts-morph';
import {
  FunctionWithBody,
  booleanValue,
  calledName,
  forEachDescendant,
  propertyFunctionNode,
  propertyOf,
  propertyValue,
  staticText,
  symbolOf,
  unwrap,
} from '../source/ast';
import { originModule, resolveFunction, typeName } from '../source/symbols';
import type { MessageValues } from '../source/message-values';
import { callsNamed, creationOf, destructuredName, firstParameterName, receiverText } from './shared';
import { objectLiteral } from '../effects/objects';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';
import type { LibraryTraits } from '../../model';

const PACKAGES = ['kafkajs'];
/** The package whose KafkaJS-compatible API confluent-kafka.ts reads. */
export const CONFLUENT_PACKAGE = '@confluentinc/kafka-javascript';

/** How Kafka delivers, for kafkajs and the KafkaJS API of @confluentinc/kafka-javascript. */
export const KAFKA_TRAITS: LibraryTraits = {
  sourceNoun: 'topic',
  redeliveryCause: {
    default: 'a crash or a rebalance before the offset is committed makes Kafka deliver it again',
    explicit: 'a crash, a rebalance or a failed step before commitOffsets makes Kafka deliver it again',
  },
  settleMeaning: 'the offset is committed',
  failureOutcome: 'the offset is not committed and the message is retried',
  deadLetter:
    'none built in: a message whose handler keeps throwing is retried and holds up its partition; the handler publishes it to a dead-letter topic itself',
  transactionalOffsets: true,
};

export const kafkajs: LibraryModule = {
  info: {
    id: 'kafkajs',
    displayName: 'kafkajs',
    packages: PACKAGES,
    registration:
      '`consumer.run({ eachMessage })`, `consumer.run({ eachBatch })`, also with the options in a variable and the handler assigned before the call (`config.eachMessage = fn`)',
    ackModes: 'implicit-after-return (autoCommit) or explicit (`commitOffsets`, `resolveOffset`)',
    identity: 'topic + partition + `message.offset`; an ID header',
  },
  traits: { ...KAFKA_TRAITS, code: { sendOffsetsFix: true } },
  identity: { idProperties: ['offset', 'headers'], nonUniqueProperties: ['key'] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    for (const { call, options, form, handler } of runRegistrations(sourceFile, context, 'kafkajs')) {
      const autoCommitNode = propertyOf(options, 'autoCommit');
      const autoCommit = booleanValue(propertyValue(options, 'autoCommit'));
      const autoResolve = booleanValue(propertyValue(options, 'eachBatchAutoResolve'));
      const explicit = autoCommit === false || (form === 'eachBatch' && autoResolve === false);
      sites.push({
        library: kafkajs,
        form,
        ...(form === 'eachBatch' ? { batch: true } : {}),
        registrationNode: call,
        handler,
        messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
        ackMode: explicit ? 'explicit' : 'implicit-after-return',
        ackModeNode: autoCommitNode ?? propertyOf(options, 'eachBatchAutoResolve'),
        source: subscribedTopic(sourceFile, receiverText(call), context.checker),
        identityHint: KAFKA_IDENTITY_HINT,
        ...(form === 'eachMessage' ? identityOf(handler) : {}),
        dedupScope: consumerGroup(call, context.checker) ?? null,
      });
    }
    return sites;
  },

  settleOf(call: ts.CallExpression, _values: MessageValues) {
    const name = calledName(call);
    if (name === 'commitOffsets') return { kind: 'commit' as const, label: 'commitOffsets()' };
    if (name === 'commitOffsetsIfNecessary') return { kind: 'commit' as const, label: 'commitOffsetsIfNecessary()' };
    if (name === 'resolveOffset') return { kind: 'resolve-offset' as const, label: 'resolveOffset()' };
    // Consume-transform-produce: the offsets are committed with the producer's transaction
    // (handler/transactions.ts gives the settle that transaction, so it takes effect at its commit).
    if (name === 'sendOffsets') return { kind: 'commit' as const, label: 'transaction.sendOffsets()' };
    return undefined;
  },
};

/**
 * The consumer group of the consumer `run` is called on, when static: `kafka.consumer({ groupId })`
 * (kafkajs), `{ kafkaJS: { groupId } }` or `{ 'group.id': … }` (@confluentinc/kafka-javascript).
 * Every group reads the same offsets, so a dedup key names its group.
 */
export function consumerGroup(call: ts.CallExpression, checker: ts.TypeChecker): string | undefined {
  const receiver = ts.isPropertyAccessExpression(call.expression) ? call.expression.expression : undefined;
  const created = creationOf(receiver, checker);
  if (!created || !ts.isCallExpression(created) || calledName(created) !== 'consumer') return undefined;
  const config = objectLiteral(created.arguments[0], checker);
  if (!config) return undefined;
  const nested = objectLiteral(propertyValue(config, 'kafkaJS'), checker);
  const value =
    (nested && propertyValue(nested, 'groupId')) ??
    propertyValue(config, 'groupId') ??
    propertyValue(config, 'group.id');
  const text = staticText(value, checker);
  return text && !text.includes('${…}') ? text : undefined;
}

export const KAFKA_IDENTITY_HINT = 'topic + partition + message.offset (or an event-ID header)';

export interface RunRegistration {
  call: ts.CallExpression;
  options: ts.ObjectLiteralExpression;
  form: 'eachMessage' | 'eachBatch';
  handler: FunctionWithBody;
  /** The consumer `run` is called on. */
  receiver?: ts.Expression;
}

/** `consumer.run({ eachMessage | eachBatch })` calls on a consumer of the given client. */
export function runRegistrations(
  sourceFile: ts.SourceFile,
  context: LibraryContext,
  client: KafkaClient,
): RunRegistration[] {
  const found: RunRegistration[] = [];
  for (const call of callsNamed(sourceFile, ['run'])) {
    const run = runOptions(call.arguments[0], context.checker);
    if (!run) continue;
    const receiver = ts.isPropertyAccessExpression(call.expression) ? call.expression.expression : undefined;
    const slots = run.assigned.length ? run.assigned : literalSlot(run.options);
    if (!slots.length || kafkaClientOf(receiver, context) !== client) continue;
    for (const { form, value } of slots) {
      const handler = resolveFunction(value, context.checker);
      if (handler) found.push({ call, options: run.options, form, handler, receiver });
    }
  }
  return found;
}

type RunForm = RunRegistration['form'];

/** The handler a `run` options literal names: `eachMessage`, else `eachBatch`. */
function literalSlot(options: ts.ObjectLiteralExpression): { form: RunForm; value: ts.Node }[] {
  for (const form of ['eachMessage', 'eachBatch'] as const) {
    const value = propertyFunctionNode(options, form);
    if (value) return [{ form, value }];
  }
  return [];
}

/**
 * The options `run` is given: a literal, or a variable holding one (`const config:
 * ConsumerRunConfig = { autoCommit: true }`) whose handler the function that runs it assigns
 * (`config.eachMessage = async (payload) => …`, one per branch when it chooses between them).
 */
function runOptions(
  argument: ts.Expression | undefined,
  checker: ts.TypeChecker,
): { options: ts.ObjectLiteralExpression; assigned: { form: RunForm; value: ts.Node }[] } | undefined {
  const value = argument && unwrap(argument);
  if (!value) return undefined;
  if (ts.isObjectLiteralExpression(value)) return { options: value, assigned: [] };
  if (!ts.isIdentifier(value)) return undefined;
  const declaration = symbolOf(value, checker)?.valueDeclaration;
  const initializer = declaration && ts.isVariableDeclaration(declaration) && declaration.initializer;
  const options = initializer && unwrap(initializer);
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  const scope = declaration.parent.parent.parent;
  const assigned: { form: RunForm; value: ts.Node }[] = [];
  forEachDescendant(scope, (node) => {
    if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return;
    const target = unwrap(node.left);
    if (!ts.isPropertyAccessExpression(target) || !ts.isIdentifier(target.expression)) return;
    if (symbolOf(target.expression, checker)?.valueDeclaration !== declaration) return;
    const form = target.name.text;
    if (form === 'eachMessage' || form === 'eachBatch') assigned.push({ form, value: node.right });
  });
  return { options, assigned };
}

export type KafkaClient = 'kafkajs' | 'confluent';

/**
 * Which client a consumer comes from: the file's imports when it imports one of the two, else the
 * value's origin (a consumer made in another module), else a `Consumer`-typed value (kafkajs).
 */
function kafkaClientOf(receiver: ts.Expression | undefined, context: LibraryContext): KafkaClient | undefined {
  const importsKafkajs = PACKAGES.some((name) => context.imports.has(name));
  const importsConfluent = context.imports.has(CONFLUENT_PACKAGE);
  if (importsKafkajs !== importsConfluent) return importsKafkajs ? 'kafkajs' : 'confluent';
  if (!receiver) return importsKafkajs ? 'kafkajs' : undefined;
  const origin = originModule(receiver, context.checker);
  if (origin === CONFLUENT_PACKAGE) return 'confluent';
  if (importsKafkajs || (origin && PACKAGES.includes(origin))) return 'kafkajs';
  return typeName(receiver, context.checker) === 'Consumer' ? 'kafkajs' : undefined;
}

/**
 * `${topic}:${partition}:${message.offset}` in the names the handler's parameter uses. For
 * `({ message })`, the names `topic` and `partition` are added to the pattern by the fix.
 */
export function identityOf(
  handler: ts.FunctionLikeDeclaration,
): Pick<ConsumerSite, 'identityExpression' | 'identityBinding'> {
  const payload = firstParameterName(handler);
  if (payload)
    return {
      identityExpression: '`${' + payload + '.topic}:${' + payload + '.partition}:${' + payload + '.message.offset}`',
    };
  const pattern = handler.parameters[0]?.name;
  const message = destructuredName(handler, 'message');
  if (!pattern || !ts.isObjectBindingPattern(pattern) || !message) return {};
  const topic = destructuredName(handler, 'topic');
  const partition = destructuredName(handler, 'partition');
  const missing = [topic ? undefined : 'topic', partition ? undefined : 'partition'].filter(
    (name): name is string => !!name,
  );
  const bodyText = handler.body?.getText() ?? '';
  // Adding a name the body already uses for something else would shadow it.
  if (missing.some((name) => new RegExp(`\\b${name}\\b`).test(bodyText))) return {};
  const identityExpression =
    '`${' + (topic ?? 'topic') + '}:${' + (partition ?? 'partition') + '}:${' + message + '.offset}`';
  if (!missing.length) return { identityExpression };
  return {
    identityExpression,
    identityBinding: { position: pattern.elements[0].getStart(), text: `${missing.join(', ')}, ` },
  };
}

/** The topic named in `consumer.subscribe({ topic })` / `{ topics: [...] }` on the same consumer. */
export function subscribedTopic(
  sourceFile: ts.SourceFile,
  consumer: string | undefined,
  checker: ts.TypeChecker,
): string | undefined {
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
