/**
 * exactly-once-incomplete: a kafkajs consume-transform-produce handler publishes through a
 * transactional producer (`const transaction = await producer.transaction()`, `transaction.send`,
 * `transaction.commit()`), but the consumed offset is committed outside that transaction: there is
 * no `transaction.sendOffsets({ consumerGroupId, topics })`, or `autoCommit` is on, or the handler
 * commits with `commitOffsets` (docs/rules/exactly-once-incomplete.md). The output and the input's progress then commit
 * separately: a crash between the two replays the message and publishes its output again (the
 * transaction's atomicity buys nothing), and an offset committed before the transaction commits
 * loses the message when the transaction aborts.
 *
 * Reported once per transaction, on the `producer.transaction()` call when it is in the handler
 * (else on the handler's call that leads to the transactional send). The sends inside the
 * transaction are this rule's: the dedup rules do not count them (they are classified idempotent);
 * other effects of the handler still count for those.
 */
import type { ConsumerReport, EffectOccurrence, RelatedLocation, SourceLocation, TransactionScope } from '../model';
import { consumerName, listPhrases, registrationRelated } from './describe';
import { sendOffsetsFix } from './fixes/send-offsets';
import type { SourceReader } from '../analysis/source/reader';
import { Rule, RuleContext, docsUrl } from './rule';

const ID = 'exactly-once-incomplete';

export const SEND_OFFSETS_LABEL = 'transaction.sendOffsets()';
const TRANSACTIONAL_SEND = /^Kafka transactional send/;

export const exactlyOnceIncomplete: Rule<'offsetOutsideTransaction'> = {
  meta: {
    id: ID,
    defaultSeverity: 'warning',
    description:
      'A Kafka consume-transform-produce handler uses a transactional producer but commits the consumed offsets outside the transaction.',
    rationale:
      'Exactly-once needs the output and the input offset in one transaction (`transaction.sendOffsets`, `autoCommit: false`); committed separately, a crash between the two replays the message and publishes its output a second time, and an offset committed before an aborted transaction loses the message.',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: [
      'Move the offset commit into the transaction: `transaction.sendOffsets(...)` before `commit()`, `autoCommit: false`',
    ],
    messages: {
      offsetOutsideTransaction:
        'The offset commits outside the Kafka transaction: a crash can repeat or lose the output. {{consumer}}: {{transaction}} publishes {{output}}, but the consumed offset is committed outside it: {{reasons}}. ' +
        'The output and the offset then commit separately: a crash between the two makes Kafka redeliver the message and the handler publishes {{output}} again (read_committed consumers see both), ' +
        'and an offset committed before the transaction commits loses the message if the transaction aborts. ' +
        'Commit the offset inside the transaction with transaction.sendOffsets({ consumerGroupId, topics }) before commit(), and run the consumer with autoCommit: false.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (consumer.incomplete || !consumer.registration.traits.transactionalOffsets) return;
    for (const transaction of transactionsOf(consumer)) {
      const inTransaction = consumer.settles.filter(
        (settle) => settle.label === SEND_OFFSETS_LABEL && sameTransaction(settle.transaction, transaction.scope),
      );
      const outside = consumer.settles.filter(
        (settle) => settle.kind === 'commit' && settle.label !== SEND_OFFSETS_LABEL,
      );
      const autoCommit = autoCommitOn(consumer, context.source);
      const reasons: string[] = [];
      if (!inTransaction.length)
        reasons.push('the transaction never calls transaction.sendOffsets(), so the offset is not part of it');
      if (autoCommit)
        reasons.push(
          `autoCommit is on${autoCommit === 'default' ? ' (the default)' : ''}, so the consumer also commits the offset itself, outside the transaction`,
        );
      if (outside.length)
        reasons.push(
          `${listPhrases(outside.map((settle) => `${settle.label} on line ${settle.location.line}`))} commit${outside.length > 1 ? '' : 's'} the offset separately`,
        );
      if (!reasons.length) continue;

      const sends = transaction.sends;
      const inHandler = transaction.scope && within(transaction.scope.location, consumer.handlerRange);
      const location = inHandler ? transaction.scope!.location : sends[0].handlerLocation;
      const related: RelatedLocation[] = [];
      if (transaction.scope && !inHandler)
        related.push({ location: transaction.scope.location, message: 'the transaction' });
      for (const send of sends)
        related.push({ location: send.location, message: `${send.description.label}: part of the transaction` });
      if (autoCommit && consumer.registration.ackModeLocation)
        related.push({
          location: consumer.registration.ackModeLocation,
          message: 'autoCommit: the consumer commits offsets on its own',
        });
      for (const settle of outside)
        related.push({
          location: settle.handlerLocation,
          message: `${settle.label} commits the offset outside the transaction`,
        });
      related.push(registrationRelated(consumer));
      const destinations = [
        ...new Set(
          sends
            .map((send) => send.description.destination ?? /→ (.+)$/.exec(send.description.label)?.[1])
            .filter((name): name is string => !!name),
        ),
      ];
      const output = destinations.length
        ? `its output to ${listPhrases(destinations.map((name) => `'${name}'`))}`
        : 'its output';
      context.report({
        messageId: 'offsetOutsideTransaction',
        data: {
          consumer: consumerName(consumer),
          transaction: `the producer transaction${transaction.scope ? ` begun on line ${transaction.scope.location.line}` : ''}`,
          output,
          reasons: reasons.join('; '),
        },
        location,
        related,
        fixes: sendOffsetsFix(
          consumer,
          { scope: transaction.scope, sends, missingOffsets: !inTransaction.length, autoCommit: !!autoCommit, outside },
          context.source,
        ),
      });
    }
  },
};

interface KafkaTransaction {
  scope?: TransactionScope;
  sends: EffectOccurrence[];
}

/** The transactions the handler publishes in, from their sends (grouped by the transaction they run in). */
function transactionsOf(consumer: ConsumerReport): KafkaTransaction[] {
  const groups = new Map<string, KafkaTransaction>();
  for (const effect of consumer.effects) {
    if (effect.description.category !== 'publish' || !TRANSACTIONAL_SEND.test(effect.description.label)) continue;
    const key = effect.transaction?.id ?? `send:${effect.handlerLocation.filePath}:${effect.handlerLocation.start}`;
    const group = groups.get(key) ?? { scope: effect.transaction, sends: [] };
    group.sends.push(effect);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.sends[0].handlerLocation.start - b.sends[0].handlerLocation.start);
}

/** A sendOffsets of unknown transaction is taken as this one's (a handle passed into a helper is not followed). */
function sameTransaction(settleScope: TransactionScope | undefined, scope: TransactionScope | undefined): boolean {
  return !settleScope || !scope || settleScope.id === scope.id;
}

/**
 * Whether the consumer commits offsets on its own: kafkajs `run({ autoCommit })`, Confluent's
 * `kafkaJS: { autoCommit }` / `'enable.auto.commit'`; on by default. `explicit`: set to true in the
 * code; `default`: not set. A value the analysis cannot read is not reported.
 */
function autoCommitOn(consumer: ConsumerReport, context: SourceReader): 'explicit' | 'default' | undefined {
  const at = consumer.registration.ackModeLocation;
  const text = at ? (context.sourceText(at.filePath)?.slice(at.start, at.end) ?? '') : '';
  const setting = /^\s*['"]?(autoCommit|enable\.auto\.commit)['"]?\s*:\s*(.*)$/s.exec(text);
  if (!setting) return 'default';
  const value = setting[2].trim();
  if (value === 'true') return 'explicit';
  return undefined;
}

function within(inner: SourceLocation, outer: SourceLocation): boolean {
  return inner.filePath === outer.filePath && inner.start >= outer.start && inner.end <= outer.end;
}
