/**
 * non-atomic-dedup: the handler's identity guard can itself duplicate or lose
 * (docs/rules/non-atomic-dedup.md; docs/model.md, "Guards", "Effects" on keys made fresh,
 * "Transactions"):
 *
 * - (a) check-then-record: a read of the key (`exists`, `get`, `findUnique`, a `SELECT`) guards the
 *   processing and a separate write records it. Two deliveries that run at the same time both pass
 *   the check; a crash between the effects and the record repeats the effects. Judged on the
 *   duplicate-unsafe effects the check protects: an existence check that gates a create keyed by
 *   the message (a duplicate fails on the key) is not reported. An entity-level check (get-or-create)
 *   is judged as the check-then-record of the write it gates.
 * - (b) a claim recorded before the effects (Redis `SET NX`, an insert into a processed-events
 *   table) that is neither released on the failure path (a delete of the key after a caught
 *   failure, or a rollback of the transaction it was made in) nor leased briefly: a retry after a
 *   failure finds the claim and skips the message, so it is lost.
 *
 * Only guards keyed by the message identity are judged (a guard on a random key guards nothing:
 * missing-event-id-check). Effects after the ack belong to ack-before-process; auto-ack consumers
 * and handlers declared at-most-once get no dedup finding.
 */
import type { ConsumerReport, EffectOccurrence, GuardOccurrence, RelatedLocation } from '../model';
import { dedupRulesApply, isUnsafe } from '../analysis/report/ordering';
import { isIdentityGuard } from '../analysis/handler/steps';
import { consumerName, effectPhrase, effectRelated, listPhrases, registrationRelated } from './describe';
import type { SourceReader } from '../analysis/source/reader';
import { safeClaimFix } from './fixes/safe-claim';
import { Rule, RuleContext, docsUrl } from './rule';

const ID = 'non-atomic-dedup';

/** A claim whose lease is at most this long frees itself soon enough after a crash or a failure. */
export const SHORT_LEASE_SECONDS = 15 * 60;

export const nonAtomicDedup: Rule<'checkThenRecord' | 'entityCheckThenRecord' | 'claimNotReleased'> = {
  meta: {
    id: ID,
    defaultSeverity: 'warning',
    description:
      'The dedup guard is not atomic: a check-then-record races, or a claim is not released when the processing fails.',
    rationale:
      'A check and a separate record let two concurrent deliveries both pass (a duplicate charge, a second email), and a crash between the work and the record repeats the work; a claim made before the work and never released makes the retry after a failure skip the message, so it is lost.',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: [
      'Replace a Redis check-then-record with a claim: `SET NX` with a short lease, released on failure, marked done after the work',
    ],
    messages: {
      checkThenRecord:
        'Check-then-record dedup is not atomic: two copies can both pass and run the effects twice. {{consumer}}: {{check}} checks the message key and {{recorded}}, so the check is not atomic. ' +
        'Two deliveries of the same message (a redelivery while the first is still running, a visibility timeout, a rebalance) can both pass the check and run {{effects}} twice, ' +
        'and a crash after the work but before the record repeats it. ' +
        'Claim the key atomically instead: Redis SET NX with a short lease (released on failure, marked done after the work), or an insert ON CONFLICT DO NOTHING in the same transaction as the effects.',
      entityCheckThenRecord:
        'This existence check and its write are not atomic: two copies can both write. {{consumer}}: {{check}} checks the entity key and {{recorded}}, so the check is not atomic. ' +
        'Two deliveries of the same message (a redelivery while the first is still running, a visibility timeout, a rebalance) can both pass the check and run {{effects}} twice, ' +
        'and a crash after the work but before the record repeats it. ' +
        'Make the write itself idempotent (a unique key from the message with a conflict-ignoring insert or an upsert), or claim the message atomically before it.',
      claimNotReleased:
        'The dedup claim is not released on failure: the retry is skipped and the message is lost. {{consumer}}: {{claim}} claims the message before {{effects}}, and nothing releases the claim when they fail: ' +
        'there is no delete of the key on the failure path, {{transaction}}and {{lease}}. ' +
        'The retry after a failure or a crash finds the claim and skips the message, so its processing is lost. ' +
        "Release the claim when the processing fails (delete the key in a catch and rethrow), give it a short lease that a 'done' write replaces after the work, or make the claim in the same transaction as the effects.",
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (!dedupRulesApply(consumer)) return;

    // A guard function the config names is the user's: what it does inside is vouched for.
    const configured = new Set(context.config.guards.map((guard) => `${guard.name}()`));
    for (const { guard, effects, record } of racyChecks(consumer).filter(
      (entry) => !configured.has(entry.guard.label),
    )) {
      const related: RelatedLocation[] = [];
      if (guard.chain.length) related.push({ location: guard.location, message: `the check: ${guard.label}` });
      if (record)
        related.push({
          location: record.location,
          message: `the separate record of the key: ${record.description.label}`,
        });
      related.push(
        ...effects.flatMap((effect) =>
          effectRelated(
            effect,
            `${effect.description.label} is protected only by this check: it ${effect.description.onDuplicate ?? 'runs again'} when two deliveries race past it`,
          ),
        ),
      );
      related.push(registrationRelated(consumer));
      const entity = guard.scope === 'entity';
      const recordPhrase = record
        ? `records it separately (${record.description.label}, line ${record.location.line})`
        : entity
          ? 'creates it in a separate step'
          : 'whatever records it is a separate step';
      context.report({
        messageId: entity ? 'entityCheckThenRecord' : 'checkThenRecord',
        data: {
          consumer: consumerName(consumer),
          check: guard.label,
          recorded: recordPhrase,
          effects: listPhrases(effects.map(effectPhrase)),
        },
        location: guard.handlerLocation,
        related,
        fixes: safeClaimFix(consumer, guard, record, context.source),
      });
    }

    for (const { guard, effects } of unreleasedClaims(consumer).filter(
      (entry) => !configured.has(entry.guard.label) && !leaseUnreadable(entry.guard, consumer, context.source),
    )) {
      const related: RelatedLocation[] = [];
      if (guard.chain.length) related.push({ location: guard.location, message: `the claim: ${guard.label}` });
      related.push(
        ...effects.flatMap((effect) => effectRelated(effect, `${effect.description.label} may fail after the claim`)),
      );
      related.push(registrationRelated(consumer));
      const lease =
        guard.leaseSeconds === undefined
          ? 'it never expires'
          : `its lease (${formatSeconds(guard.leaseSeconds)}) outlasts the redelivery`;
      context.report({
        messageId: 'claimNotReleased',
        data: {
          consumer: consumerName(consumer),
          claim: guard.label,
          effects: listPhrases(effects.map(effectPhrase)),
          transaction: guard.transaction
            ? `its transaction (${guard.transaction.label}) commits before the work, `
            : '',
          lease,
        },
        location: guard.handlerLocation,
        related,
      });
    }
  },
};

// ---- (a) check-then-record ---------------------------------------------------------------------

interface RacyCheck {
  guard: GuardOccurrence;
  /** The duplicate-unsafe effects the check is the only protection of. */
  effects: EffectOccurrence[];
  /** The separate record of the key, when one is found after the check. */
  record?: EffectOccurrence;
}

/**
 * Checks keyed by the identity whose "new" outcome lets duplicate-unsafe effects run with no
 * atomic guard passed before them. An effect is charged to the handler's (message-level) check
 * that passed first on its path; failing that, to the entity-level check that gates it (the
 * dataflow does the charging: analysis/dataflow/facts.ts).
 */
function racyChecks(consumer: ConsumerReport): RacyCheck[] {
  const racy: RacyCheck[] = [];
  for (const check of consumer.flow.checks) {
    const effects = check.effects.filter(isUnsafe);
    if (!effects.length) continue;
    const record = recordOf(check.guard, check.writesAfter);
    // The inbox pattern: a record with a unique key in the same transaction as the effects is the
    // claim; a racing duplicate fails on the key and rolls its effects back (docs/model.md, "Transactions").
    const transaction = record?.transaction;
    const outside = transaction ? effects.filter((effect) => effect.transaction?.id !== transaction.id) : effects;
    if (outside.length) racy.push({ guard: check.guard, effects: outside, record });
  }
  return racy.sort((a, b) => a.guard.handlerLocation.start - b.guard.handlerLocation.start);
}

function normalizeKey(text: string | undefined): string | undefined {
  return text?.replace(/\s+/g, '');
}

/**
 * The record of the guard's key after it: a write of the same key (`redis.set(key, …)` after
 * `redis.exists(key)`, whatever the value), else any record of the message ID.
 */
function recordOf(guard: GuardOccurrence, writesAfter: readonly EffectOccurrence[]): EffectOccurrence | undefined {
  const writes = writesAfter.filter(
    (effect) => effect.description.processing && !DELETION.test(effect.description.label),
  );
  const key = normalizeKey(guard.keyText);
  return (
    writes.find((effect) => key !== undefined && normalizeKey(effect.keyText) === key && effect.keyedByMessage) ??
    writes.find((effect) => effect.description.class === 'dedup-record' && effect.keyedByMessage)
  );
}

// ---- (b) claims not released on failure --------------------------------------------------------

interface UnreleasedClaim {
  guard: GuardOccurrence;
  /** The processing effects a failure of which leaves the claim behind. */
  effects: EffectOccurrence[];
}

const DELETION =
  /^redis (del|unlink|getdel)$|^DELETE FROM |\.(delete|deleteMany|deleteOne|destroy|remove|del)$|\bDelete\b/;

/** Claims keyed by the identity, made before processing effects, with no release, rollback or short lease. */
function unreleasedClaims(consumer: ConsumerReport): UnreleasedClaim[] {
  const found: UnreleasedClaim[] = [];
  for (const claim of consumer.flow.claims) {
    const guard = claim.guard;
    // A claim made through a function of the project (`if (!(await claimOnce(id))) return`, labelled
    // `claimOnce() (redis SET NX)`) keeps its lease and key inside it: not judged.
    if (guard.scope !== 'message' || !isIdentityGuard(guard) || /^[\w$]+\(\)/.test(guard.label)) continue;
    if (guard.leaseSeconds !== undefined && guard.leaseSeconds <= SHORT_LEASE_SECONDS) continue;
    const effects = protectedWork(claim.work, guard);
    if (!effects.length) continue;
    if (rolledBackWithWork(guard, effects)) continue;
    // On a failure path after the claim (a caught failure, or a path that throws), a delete of its key.
    if (claim.onFailurePath.some((effect) => isRelease(effect, guard))) continue;
    found.push({ guard, effects });
  }
  return found.sort((a, b) => a.guard.id - b.guard.id);
}

/** Processing effects that run after the claim passed, before the ack. */
function protectedWork(work: readonly EffectOccurrence[], guard: GuardOccurrence): EffectOccurrence[] {
  return work.filter((effect) => {
    const { description } = effect;
    if (
      !description.processing ||
      description.class === 'dedup-record' ||
      description.class === 'read' ||
      description.class === 'dedup-check'
    )
      return false;
    return !isRelease(effect, guard);
  });
}

/**
 * The inbox pattern: a claim made in a transaction that commits after the work is undone with it
 * when the work fails (a crash aborts the transaction too).
 */
function rolledBackWithWork(guard: GuardOccurrence, effects: EffectOccurrence[]): boolean {
  const transaction = guard.transaction;
  if (!transaction) return false;
  const commit = transaction.commit;
  if (!commit) return true;
  return effects.every((effect) => {
    if (effect.transaction?.id === transaction.id) return true;
    const at = effect.handlerLocation;
    return at.filePath === commit.filePath && at.start < commit.start;
  });
}

function isRelease(effect: EffectOccurrence, guard: GuardOccurrence): boolean {
  if (/ \(claim\)$/.test(guard.label)) return conditionalRelease(effect, guard);
  if (!DELETION.test(effect.description.label)) return false;
  const key = normalizeKey(guard.keyText);
  const effectKey = normalizeKey(effect.keyText);
  if (effect.description.category === 'redis') return key !== undefined ? effectKey === key : effect.keyedByMessage;
  // `DELETE FROM processed_events WHERE id = $1` releases a claim inserted into that table, not another.
  const claimTable = /^INSERT INTO (\S+)/.exec(guard.label)?.[1];
  const deleteTable = /^DELETE FROM (\S+)/.exec(effect.description.label)?.[1];
  if (claimTable && deleteTable) return effect.keyedByMessage && claimTable.toLowerCase() === deleteTable.toLowerCase();
  return effect.keyedByMessage || (effectKey !== undefined && key !== undefined && effectKey.includes(key));
}

/**
 * A conditional update's claim (`prisma.job.updateMany (claim)`: moved out of a state) is released
 * by a write of that model on the failure path, which moves the record back.
 */
function conditionalRelease(effect: EffectOccurrence, guard: GuardOccurrence): boolean {
  const model = /^(.*)\.\w+ \(claim\)$/.exec(guard.label)?.[1];
  const label = effect.description.label;
  return !!model && label.startsWith(`${model}.`) && !label.endsWith('(claim)') && !DELETION.test(label);
}

/**
 * A lease the analysis cannot read: an expiry given by a variable (`'EX', CLAIM_TTL`), or set by a
 * separate `expire` of the key. Not reported: it may well be short.
 */
function leaseUnreadable(guard: GuardOccurrence, consumer: ConsumerReport, context: SourceReader): boolean {
  if (guard.leaseSeconds !== undefined) return false;
  const text = context.sourceText(guard.location.filePath)?.slice(guard.location.start, guard.location.end) ?? '';
  if (/['"`](EX|PX|EXAT|PXAT)['"`]|\b(EX|PX|EXAT|PXAT)\s*:/i.test(text)) return true;
  const key = normalizeKey(guard.keyText);
  return consumer.effects.some(
    (effect) =>
      /^redis p?expire(at)?$/.test(effect.description.label) &&
      (key === undefined || normalizeKey(effect.keyText) === key),
  );
}

function formatSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
