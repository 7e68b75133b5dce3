/**
 * @confluentinc/kafka-javascript, its KafkaJS-compatible API (`KafkaJS.Kafka`): the same
 * `consumer.run({ eachMessage | eachBatch })` as kafkajs, read with kafkajs.ts's helpers. The
 * difference is where auto-commit is decided: in the consumer's config, `kafka.consumer({ kafkaJS:
 * { groupId, autoCommit: false } })` (or the librdkafka property `'enable.auto.commit': false`),
 * not in `run()`, which rejects an `autoCommit` option. With auto-commit on (the default) the
 * offset of a message is stored when eachMessage resolves and committed in the background.
 */
import { ts } from 'ts-morph';
import { objectLiteral } from '../effects/objects';
import type { MessageValues } from '../source/message-values';
import { booleanValue, calledName, propertyOf, propertyValue, unwrap } from '../source/ast';
import {
  CONFLUENT_PACKAGE,
  KAFKA_IDENTITY_HINT,
  consumerGroup,
  identityOf,
  kafkajs,
  runRegistrations,
  subscribedTopic,
  KAFKA_TRAITS,
} from './kafkajs';
import { creationOf, receiverText } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

export const confluentKafka: LibraryModule = {
  info: {
    id: 'confluent-kafka',
    displayName: '@confluentinc/kafka-javascript (KafkaJS API)',
    packages: [CONFLUENT_PACKAGE],
    registration:
      '`consumer.run({ eachMessage })`, `consumer.run({ eachBatch })` on `new KafkaJS.Kafka(...).consumer(...)`',
    ackModes:
      'implicit-after-return (auto-commit) or explicit with `kafkaJS: { autoCommit: false }` in the consumer config (`commitOffsets`, `resolveOffset`)',
    identity: 'topic + partition + `message.offset`; an ID header',
  },
  traits: KAFKA_TRAITS,
  identity: kafkajs.identity,

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    for (const { call, options, form, handler, receiver } of runRegistrations(sourceFile, context, 'confluent')) {
      const autoCommit = consumerAutoCommit(receiver, context.checker);
      const autoResolveNode = propertyOf(options, 'eachBatchAutoResolve');
      const autoResolve = booleanValue(propertyValue(options, 'eachBatchAutoResolve'));
      const explicit = autoCommit?.value === false || (form === 'eachBatch' && autoResolve === false);
      sites.push({
        library: confluentKafka,
        form,
        ...(form === 'eachBatch' ? { batch: true } : {}),
        registrationNode: call,
        handler,
        messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
        ackMode: explicit ? 'explicit' : 'implicit-after-return',
        ackModeNode: autoCommit?.node ?? autoResolveNode,
        source: subscribedTopic(sourceFile, receiverText(call), context.checker),
        identityHint: KAFKA_IDENTITY_HINT,
        ...(form === 'eachMessage' ? identityOf(handler) : {}),
        dedupScope: consumerGroup(call, context.checker) ?? null,
      });
    }
    return sites;
  },

  settleOf(call: ts.CallExpression, values: MessageValues, checker: ts.TypeChecker) {
    // storeOffsets marks offsets for the next (auto or explicit) commit, like resolveOffset.
    if (calledName(call) === 'storeOffsets') return { kind: 'resolve-offset' as const, label: 'storeOffsets()' };
    return kafkajs.settleOf(call, values, checker);
  },
};

/**
 * The auto-commit setting of the consumer `run` is called on, read where it was made:
 * `kafka.consumer({ kafkaJS: { autoCommit } })` or `{ 'enable.auto.commit': … }`.
 */
function consumerAutoCommit(
  receiver: ts.Expression | undefined,
  checker: ts.TypeChecker,
): { value: boolean | undefined; node: ts.Node } | undefined {
  const created = creationOf(receiver, checker);
  if (!created || !ts.isCallExpression(created) || calledName(created) !== 'consumer') return undefined;
  const config = objectLiteral(created.arguments[0], checker);
  if (!config) return undefined;
  const nested = objectLiteral(propertyValue(config, 'kafkaJS'), checker);
  const property = (nested && propertyOf(nested, 'autoCommit')) ?? propertyOf(config, 'enable.auto.commit');
  if (!property) return undefined;
  const value = ts.isPropertyAssignment(property) ? booleanValue(unwrap(property.initializer)) : undefined;
  return { value, node: property };
}
