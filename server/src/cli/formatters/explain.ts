/**
 * `--explain`: one block per consumer found, for people (stylish) or as data (json).
 *
 *   kafkajs · orders.placed · eachMessage · implicit-after-return · src/orders.ts:12
 *     handler handleOrder · declared at-least-once · effective at-least-once
 *     effect  duplicate-unsafe  Stripe charges.create  src/billing.ts:40 (via chargeCustomer)
 *     settle  ack               channel.ack            src/orders.ts:30
 *     crash timeline (…)                                    (see timeline-text.ts)
 */
import * as path from 'node:path';
import type {
  CallChainLink,
  ConsumerRegistration,
  ConsumerReport,
  PublicConsumerReport,
  SourceLocation,
} from '../../model';
import { timelineLines } from './timeline-text';
import { colors, compareLocations, compareStrings, plural, relativePath } from './util';

/**
 * A consumer report for JSON output: everything but the per-path event lists (the crash timeline
 * included) and the library's traits, which are the same for every consumer of a library (they
 * are listed in docs/model.md, "Per-library behaviour").
 */
export type ExplainedConsumer = Omit<PublicConsumerReport, 'registration'> & {
  registration: Omit<ConsumerRegistration, 'traits'>;
};

export function consumersForJson(consumers: readonly ConsumerReport[], cwd: string): ExplainedConsumer[] {
  return sortConsumers(consumers, cwd).map((consumer) => {
    const { paths: _paths, pathsSampled: _sampled, flow: _flow, files: _files, ...rest } = consumer;
    const { traits: _traits, ...registration } = consumer.registration;
    return { ...rest, registration, timeline: consumer.timeline };
  });
}

export function sortConsumers(consumers: readonly ConsumerReport[], cwd: string): ConsumerReport[] {
  return [...consumers].sort(
    (a, b) =>
      compareStrings(
        path.resolve(cwd, a.registration.location.filePath),
        path.resolve(cwd, b.registration.location.filePath),
      ) ||
      compareLocations(a.registration.location, b.registration.location) ||
      compareStrings(a.id, b.id),
  );
}

/** The one-line summary of a consumer. */
export function consumerHeadline(consumer: ConsumerReport, cwd: string): string {
  const reg = consumer.registration;
  return [reg.library, reg.source ?? '(source not static)', reg.form, reg.ackMode, where(reg.location, cwd)].join(
    ' · ',
  );
}

export function formatExplainText(consumers: readonly ConsumerReport[], cwd: string, color: boolean): string {
  const c = colors(color);
  const lines: string[] = [];
  const sorted = sortConsumers(consumers, cwd);
  lines.push(c.bold(`${plural(sorted.length, 'consumer')} found`));
  for (const consumer of sorted) {
    lines.push('');
    lines.push(consumerHeadline(consumer, cwd));
    const facts = [
      `handler ${consumer.handlerName || '(anonymous)'}`,
      `declared ${consumer.declaredSemantics}`,
      `effective ${consumer.effectiveSemantics}`,
    ];
    if (consumer.declaredSemanticsOverride) facts.push(`overridden to ${consumer.declaredSemanticsOverride}`);
    if (consumer.vouchedIdempotent !== undefined)
      facts.push(`@idempotent${consumer.vouchedIdempotent ? ` (${consumer.vouchedIdempotent})` : ''}`);
    lines.push(`  ${facts.join(' · ')}`);
    lines.push(`  ${c.dim(`identity: ${consumer.identityExpression ?? consumer.identityHint}`)}`);
    if (consumer.registration.outside)
      lines.push(
        `  ${c.dim(`registered outside the project by ${consumer.registration.outside}: its options are unseen`)}`,
      );
    if (consumer.incomplete) lines.push(`  ${c.yellow(`not fully analysed: ${consumer.incomplete}`)}`);
    for (const reason of consumer.partial ?? []) lines.push(`  ${c.yellow(`partly analysed: ${reason}`)}`);

    const rows: [string, string, string, string][] = [];
    for (const effect of consumer.effects) {
      rows.push([
        'effect',
        effect.description.class,
        effect.description.label,
        where(effect.location, cwd) + via(effect.chain) + (effect.keyedByMessage ? ' (keyed by the message)' : ''),
      ]);
    }
    for (const settle of consumer.settles) {
      rows.push(['settle', settle.kind, settle.label, where(settle.location, cwd) + via(settle.chain)]);
    }
    for (const guard of consumer.guards) {
      const validity = guard.invalidReason
        ? ` (guards nothing: ${guard.invalidReason})`
        : guard.keyedByIdentity
          ? ''
          : ' (not keyed by the message identity)';
      const scope = guard.scope === 'entity' ? ' (gates one write only)' : '';
      rows.push(['guard', guard.kind, guard.label, where(guard.location, cwd) + via(guard.chain) + scope + validity]);
    }
    if (rows.length === 0) lines.push(`  ${c.dim('no effects, settles or guards found')}`);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length)));
    for (const row of rows) {
      lines.push(
        `  ${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padEnd(widths[2])}  ${c.dim(row[3])}`,
      );
    }
    // The pipeline derives timelines when --explain asks for them (pipeline/analyze.ts).
    if (consumer.timeline) lines.push(...timelineLines(consumer.timeline, cwd, c));
  }
  return lines.join('\n') + '\n';
}

function where(location: SourceLocation, cwd: string): string {
  return `${relativePath(cwd, location.filePath)}:${location.line}`;
}

function via(chain: readonly CallChainLink[]): string {
  return chain.length ? ` (via ${chain.map((link) => link.callee).join(' → ')})` : '';
}
