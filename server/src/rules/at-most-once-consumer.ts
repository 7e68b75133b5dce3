/**
 * at-most-once-consumer: the consumer is acked on delivery, before its handler runs (amqplib
 * `noAck: true`, Service Bus `receiveAndDelete`, NestJS RMQ's default `noAck`, transports that never
 * redeliver), and the handler reaches a duplicate-unsafe effect: the state change it makes is lost
 * by a crash, since nothing is redelivered (docs/rules/at-most-once-consumer.md; docs/model.md, "How the rules share a handler").
 *
 * Not reported when the handler is declared at-most-once (`/** @delivery at-most-once *\/`, or by
 * queue/topic in config): the loss is then the choice. Auto-ack consumers get no dedup finding
 * (nothing is redelivered, so nothing is duplicated) and no ack-before-process.
 */
import type { ConsumerReport, EffectOccurrence, RelatedLocation } from '../model';
import { isFailureRouting } from '../analysis/report/ordering';
import { ackOnDelivery, autoAckRemedy, consumerName, effectPhrase, effectRelated, listPhrases } from './describe';
import { manualAckFix } from './fixes/manual-ack';
import { Rule, RuleContext, docsUrl } from './rule';

const ID = 'at-most-once-consumer';

export const atMostOnceConsumer: Rule<'ackedOnDelivery'> = {
  meta: {
    id: ID,
    defaultSeverity: 'warning',
    description:
      'The consumer is acked before its handler runs, and the handler makes state changes a crash would lose.',
    rationale:
      'Auto-ack (amqplib `noAck: true`, Service Bus `receiveAndDelete`) is at-most-once delivery: the broker forgets the message on delivery, so a crash, a deploy or a failed step mid-handler loses it for good (an order never written, an email never sent), with no retry and no trace.',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: ['Switch to manual ack (amqplib `noAck: false`) and ack at the end of the handler'],
    messages: {
      ackedOnDelivery:
        'Acked on delivery: a crash during the handler loses its state changes for good. {{consumer}} is at-most-once: {{ackedBecause}}, so the broker forgets the message before the handler runs. ' +
        'If the process crashes, is redeployed or a step fails during the handler, whatever has not completed of {{effects}} is lost for good: the message is not redelivered. ' +
        '{{remedy}} If losing messages is acceptable here, declare it: /** @delivery at-most-once */ on the handler.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (consumer.incomplete || consumer.registration.ackMode !== 'auto-before-handler') return;
    if (consumer.declaredSemanticsOverride === 'at-most-once') return;
    // Request/reply (@MessagePattern) is not exempt: ClientProxy.send has no default timeout, so a
    // request lost in a crash is a silent hang for the caller, and its effects are lost as with any
    // event (docs/model.md, "How the rules share a handler").
    const effects = stateChanges(consumer);
    if (!effects.length) return;
    const related: RelatedLocation[] = [];
    if (consumer.registration.ackModeLocation)
      related.push({
        location: consumer.registration.ackModeLocation,
        message: `${ackOnDelivery(consumer)}: the message is acked on delivery`,
      });
    if (consumer.registration.wrapperLocation)
      related.push({
        location: consumer.registration.wrapperLocation,
        message: 'where the wrapper registers with the library',
      });
    related.push(
      ...effects.flatMap((effect) =>
        effectRelated(effect, `${effect.description.label}: lost if the process stops before or during it`),
      ),
    );
    context.report({
      messageId: 'ackedOnDelivery',
      data: {
        consumer: consumerName(consumer),
        ackedBecause: ackOnDelivery(consumer),
        effects: listPhrases(effects.map(effectPhrase)),
        remedy: autoAckRemedy(consumer),
      },
      location: consumer.registration.location,
      related,
      fixes: manualAckFix(consumer, context.source),
    });
  },
};

/** The duplicate-unsafe effects the handler reaches (failure routing is not a state change of the message). */
function stateChanges(consumer: ConsumerReport): EffectOccurrence[] {
  return consumer.effects
    .filter((effect) => effect.description.class === 'duplicate-unsafe' && !isFailureRouting(effect))
    .sort((a, b) => a.handlerLocation.start - b.handlerLocation.start);
}
