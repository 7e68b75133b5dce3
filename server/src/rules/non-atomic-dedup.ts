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
import type { ConsumerReport, EffectOccurrence, GuardOccurrence, HandlerPath, RelatedLocation } from '../model';
import { dedupRulesApply, firstAckIndex, isUnsafe } from '../analysis/report/ordering';
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
        '{{consumer}}: {{check}} checks the message key and {{recorded}}, so the check is not atomic. ' +
        'Two deliveries of the same message (a redelivery while the first is still running, a visibility timeout, a rebalance) can both pass the check and run {{effects}} twice, ' +
        'and a crash after the work but before the record repeats it. ' +
        'Claim the key atomically instead: Redis SET NX with a short lease (released on failure, marked done after the work), or an insert ON CONFLICT DO NOTHING in the same transaction as the effects.',
      entityCheckThenRecord:
        '{{consumer}}: {{check}} checks the entity key and {{recorded}}, so the check is not atomic. ' +
        'Two deliveries of the same message (a redelivery while the first is still running, a visibility timeout, a rebalance) can both pass the check and run {{effects}} twice, ' +
        'and a crash after the work but before the record repeats it. ' +
        'Make the write itself idempotent (a unique key from the message with a conflict-ignoring insert or an upsert), or claim the message atomically before it.',
      claimNotReleased:
        '{{consumer}}: {{claim}} claims the message before {{effects}}, and nothing releases the claim when they fail: ' +
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

function isIdentityGuard(guard: GuardOccurrence): boolean {
  return guard.keyedByIdentity && !guard.invalidReason;
}

/** Claims and wrappers check and record in one step: what runs after them is theirs to protect. */
function isAtomicGuard(guard: GuardOccurrence): boolean {
  return isIdentityGuard(guard) && guard.scope === 'message' && (guard.kind === 'claim' || guard.kind === 'wrapper');
}

/**
 * Checks keyed by the identity whose "new" outcome lets duplicate-unsafe effects run with no
 * atomic guard passed before them. An effect is charged to the handler's (message-level) check
 * that passed first on its path; failing that, to the entity-level check that gates it.
 */
function racyChecks(consumer: ConsumerReport): RacyCheck[] {
  const found = new Map<number, RacyCheck>();
  for (const path of consumer.paths) {
    const ackAt = firstAckIndex(path);
    let atomic = false;
    let messageCheck: GuardOccurrence | undefined;
    let entityCheck: GuardOccurrence | undefined;
    path.events.forEach((event, index) => {
      if (index > ackAt) return;
      if (event.kind === 'guard-pass') {
        const guard = event.guard;
        if (isAtomicGuard(guard)) atomic = true;
        else if (guard.kind === 'check' && isIdentityGuard(guard)) {
          if (guard.scope === 'message') messageCheck ??= guard;
          else entityCheck = guard;
        }
        return;
      }
      if (event.kind !== 'effect' || atomic || event.completion !== 'awaited' || !isUnsafe(event.effect)) return;
      // An entity check protects only the write it gates (the effect is marked guarded by it).
      const guard = messageCheck ?? (event.guarded ? entityCheck : undefined);
      if (!guard) return;
      const entry = found.get(guard.id) ?? { guard, effects: [] };
      if (!entry.effects.includes(event.effect)) entry.effects.push(event.effect);
      entry.record ??= recordAfter(path, guard);
      found.set(guard.id, entry);
    });
  }
  // The inbox pattern: a record with a unique key in the same transaction as the effects is the
  // claim; a racing duplicate fails on the key and rolls its effects back (docs/model.md, "Transactions").
  const racy: RacyCheck[] = [];
  for (const entry of found.values()) {
    const transaction = entry.record?.transaction;
    const effects = transaction
      ? entry.effects.filter((effect) => effect.transaction?.id !== transaction.id)
      : entry.effects;
    if (effects.length) racy.push({ ...entry, effects });
  }
  return racy.sort((a, b) => a.guard.handlerLocation.start - b.guard.handlerLocation.start);
}

function normalizeKey(text: string | undefined): string | undefined {
  return text?.replace(/\s+/g, '');
}

/**
 * The record of the guard's key after it on the path: a write of the same key (`redis.set(key, …)`
 * after `redis.exists(key)`, whatever the value), else any record of the message ID.
 */
function recordAfter(path: HandlerPath, guard: GuardOccurrence): EffectOccurrence | undefined {
  const start = path.events.findIndex((event) => event.kind === 'guard-pass' && event.guard === guard);
  const writes = path.events
    .slice(start + 1)
    .flatMap((event) =>
      event.kind === 'effect' && event.effect.description.processing && !DELETION.test(event.effect.description.label)
        ? [event.effect]
        : [],
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
  // A claim made through a function of the project (`if (!(await claimOnce(id))) return`, labelled
  // `claimOnce() (redis SET NX)`) keeps its lease and key inside it: not judged.
  const claims = consumer.guards.filter(
    (guard) =>
      guard.kind === 'claim' && guard.scope === 'message' && isIdentityGuard(guard) && !/^[\w$]+\(\)/.test(guard.label),
  );
  const found: UnreleasedClaim[] = [];
  for (const guard of claims) {
    if (guard.leaseSeconds !== undefined && guard.leaseSeconds <= SHORT_LEASE_SECONDS) continue;
    const effects = protectedWork(consumer, guard);
    if (!effects.length) continue;
    if (rolledBackWithWork(guard, effects)) continue;
    if (consumer.paths.some((path) => releasesOnFailure(path, guard))) continue;
    found.push({ guard, effects });
  }
  return found;
}

/** Processing effects that run after the claim passed, before the ack. */
function protectedWork(consumer: ConsumerReport, guard: GuardOccurrence): EffectOccurrence[] {
  const work: EffectOccurrence[] = [];
  for (const path of consumer.paths) {
    const ackAt = firstAckIndex(path);
    const start = path.events.findIndex((event) => event.kind === 'guard-pass' && event.guard === guard);
    if (start < 0) continue;
    path.events.forEach((event, index) => {
      if (index <= start || index > ackAt || event.kind !== 'effect') return;
      const { description } = event.effect;
      if (
        !description.processing ||
        description.class === 'dedup-record' ||
        description.class === 'read' ||
        description.class === 'dedup-check'
      )
        return;
      if (isRelease(event.effect, guard)) return;
      if (!work.includes(event.effect)) work.push(event.effect);
    });
  }
  return work;
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
  if (!DELETION.test(effect.description.label)) return false;
  const key = normalizeKey(guard.keyText);
  const effectKey = normalizeKey(effect.keyText);
  if (effect.description.category === 'redis') return key !== undefined ? effectKey === key : effect.keyedByMessage;
  return effect.keyedByMessage || (effectKey !== undefined && key !== undefined && effectKey.includes(key));
}

/** On a failure path after the claim (a caught failure, or a path that throws), a delete of the claim's key. */
function releasesOnFailure(path: HandlerPath, guard: GuardOccurrence): boolean {
  const start = path.events.findIndex((event) => event.kind === 'guard-pass' && event.guard === guard);
  if (start < 0) return false;
  let failing = path.exit === 'throw';
  for (const event of path.events.slice(start + 1)) {
    if (event.kind === 'caught') failing = true;
    if (event.kind === 'effect' && failing && isRelease(event.effect, guard)) return true;
  }
  return false;
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
