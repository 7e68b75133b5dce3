/**
 * The crash timeline: "what happens when it fails here?" for every point of a consumer's main path.
 *
 * From the analysis of a consumer (its paths, effects, guards, settles and transactions) it takes the
 * main success path, lists its steps (receive, guard, each effect, record, commit, settle, return),
 * and for a crash (the process dies) and for an error (the next step throws) between every two
 * steps derives the outcome after the broker's behaviour:
 * - settled already (acked, or acked on delivery, or returned to a library that acks on return):
 *   no redelivery, so what had not durably happened is lost;
 * - not settled: the broker redelivers. Effects that completed run again, unless the redelivery is
 *   skipped by a guard whose state survived (a record written, a claim held, an inbox row
 *   committed), the effect was rolled back with its transaction, or repeating it is harmless
 *   (idempotent, keyed by the message). A redelivery that is skipped and settled loses what the
 *   first delivery had not done yet.
 * Plus what two copies delivered at the same time do, and the worst outcome. Nothing here is
 * written per library or per example: it is all read from the ConsumerReport.
 */
import type {
  ConsumerReport,
  EffectOccurrence,
  GuardOccurrence,
  HandlerPath,
  PathEvent,
  SettleOccurrence,
  SourceLocation,
  TransactionScope,
  ConcurrencyNote,
  CrashOutcome,
  CrashOutcomeKind,
  CrashPoint,
  CrashTimeline,
  TimelineEffectRef,
  TimelineStep,
  WorstOutcome,
} from '../../model';
import { isIdentityGuard } from '../handler/steps';
import { FAILURE_DESTINATION } from '../effects/messaging';
import { isPositiveSettle } from './ordering';
import { eventKey } from '../dataflow/occurrences';

// ---------------------------------------------------------------------------------------------

interface Step extends TimelineStep {
  /** Index of the last path event this step stands for (-1 for receive). */
  eventIndex: number;
  effect?: EffectOccurrence;
  guard?: GuardOccurrence;
  settle?: SettleOccurrence;
  /** A valid message-level guard passed before it on the main path. */
  underGuard?: boolean;
  /** Guarded by an entity-level check of its own (get-or-create). */
  locallyGuarded?: boolean;
  /** A guard that said "seen" on the main path. */
  skipped?: boolean;
}

interface FailurePath {
  /** The events after the failure (after the `caught` marker). */
  events: PathEvent[];
  exit: HandlerPath['exit'];
  caughtAt?: SourceLocation;
  returnsMessage?: boolean;
}

const RANK: Record<CrashOutcomeKind, number> = { safe: 0, duplicate: 1, lost: 2 };

export function crashTimeline(consumer: ConsumerReport): CrashTimeline {
  try {
    return new TimelineBuilder(consumer).build();
  } catch (error) {
    // The timeline explains; it must never cost the consumer its analysis.
    return {
      steps: [],
      points: [],
      concurrency: { kind: 'not-applicable', duplicates: [], text: '' },
      worst: { kind: 'safe', summary: 'unknown: the crash timeline could not be built' },
      notes: [`the crash timeline could not be built: ${(error as Error).message}`],
    };
  }
}

/** The worst outcome over the crash points of a timeline (lost over duplicate over safe; then the most effects). */
export function worstOutcome(timeline: Pick<CrashTimeline, 'points'>): WorstOutcome {
  let best: WorstOutcome = { kind: 'safe', summary: 'nothing runs twice or is lost' };
  let bestSize = 0;
  timeline.points.forEach((point, index) => {
    for (const cause of ['crash', 'error'] as const) {
      const outcome = point[cause];
      if (!outcome || outcome.kind === 'safe') continue;
      const size = outcome.duplicates.length + outcome.lost.length;
      if (RANK[outcome.kind] > RANK[best.kind] || (RANK[outcome.kind] === RANK[best.kind] && size > bestSize)) {
        best = { kind: outcome.kind, point: index, cause, summary: outcome.summary };
        bestSize = size;
      }
    }
  });
  return best;
}

class TimelineBuilder {
  private readonly notes: string[] = [];
  private readonly implicit: boolean;
  private readonly auto: boolean;
  private path: HandlerPath | undefined;
  private steps: Step[] = [];
  /** The message-level guard the main path relies on (the first valid one it passes). */
  private guard: GuardOccurrence | undefined;
  private guardStep = -1;
  /** For a check: the step that records the ID; for a claim: the step that marks it done. */
  private recordStep = -1;
  /** For a wrapper guard: the last step it wraps. */
  private wrapperEnd = -1;
  private settledAt: number | undefined;
  private settledBy = '';
  private readonly commitOf = new Map<string, number>();
  private readonly keysOf = new Map<HandlerPath, string[]>();
  private readonly skipSettlesCache = new Map<boolean, boolean>();

  constructor(private readonly consumer: ConsumerReport) {
    this.implicit = consumer.registration.ackMode === 'implicit-after-return';
    this.auto = consumer.registration.ackMode === 'auto-before-handler';
  }

  build(): CrashTimeline {
    this.path = this.mainPath();
    this.buildSteps();
    this.findGuard();
    this.findSettle();
    if (this.consumer.vouchedIdempotent !== undefined)
      this.notes.unshift('the handler is vouched idempotent: its effects are taken as safe to repeat');
    if (this.consumer.incomplete)
      this.notes.unshift(
        `the analysis could not see the whole handler (${this.consumer.incomplete}): steps may be missing`,
      );
    const points: CrashPoint[] = this.steps.map((step, index) => {
      const next = this.steps[index + 1];
      const point: CrashPoint = { after: index, before: next?.index, crash: this.outcome(index, undefined) };
      if (next && next.kind !== 'return') point.error = this.outcome(index, this.failurePath(index));
      return point;
    });
    const timeline: CrashTimeline = {
      steps: this.steps.map(publicStep),
      points,
      concurrency: this.concurrency(),
      worst: { kind: 'safe', summary: '' },
      notes: this.notes,
    };
    timeline.worst = worstOutcome(timeline);
    return timeline;
  }

  // ---- the main path and its steps -----------------------------------------------------------

  /**
   * The main success path: completes normally (no failure caught, no throw), passes the message
   * guard rather than skipping, reaches the ack where the code must ack, and does the most work.
   */
  private mainPath(): HandlerPath | undefined {
    const paths = this.consumer.paths;
    if (!paths.length) return undefined;
    const score = (path: HandlerPath): number[] => {
      const failed = path.exit === 'throw' || path.events.some((event) => event.kind === 'caught');
      const skipped = path.events.some((event) => event.kind === 'guard-skip' && event.guard.scope === 'message');
      const acked = path.events.some((event) => event.kind === 'settle' && isPositiveSettle(event.settle));
      const passes = path.events.filter(
        (event) => event.kind === 'guard-pass' && event.guard.scope === 'message',
      ).length;
      const work = path.events.filter((event) => event.kind === 'effect' && event.effect.description.processing).length;
      return [
        failed ? 0 : 1,
        skipped ? 0 : 1,
        acked || this.implicit || this.auto ? 1 : 0,
        passes,
        work,
        path.events.length,
      ];
    };
    let best = paths[0];
    let bestScore = score(best);
    for (const path of paths.slice(1)) {
      const candidate = score(path);
      const index = candidate.findIndex((value, i) => value !== bestScore[i]);
      if (index >= 0 && candidate[index] > bestScore[index]) {
        best = path;
        bestScore = candidate;
      }
    }
    if (bestScore[0] === 0)
      this.notes.push('no path through the handler completes normally: the timeline follows one that fails');
    return best;
  }

  private buildSteps(): void {
    const registration = this.consumer.registration;
    const steps: Step[] = [
      {
        index: 0,
        kind: 'receive',
        label: this.auto ? `receive (${registration.library} acks it on delivery)` : 'receive',
        detail: registration.source ? `${registration.form} · ${registration.source}` : registration.form,
        location: this.consumer.handlerLocation,
        eventIndex: -1,
      },
    ];
    const events = this.path?.events ?? [];
    const guardLocations = new Set(
      events.flatMap((event) =>
        event.kind === 'guard-pass' || event.kind === 'guard-skip' ? [locationKey(event.guard.location)] : [],
      ),
    );
    let validGuardPassed = false;
    events.forEach((event, eventIndex) => {
      const base = { index: steps.length, eventIndex };
      switch (event.kind) {
        case 'effect': {
          const { effect } = event;
          const description = effect.description;
          // The call a guard tests (SET NX, INSERT … ON CONFLICT, EXISTS) is shown as the guard.
          if (guardLocations.has(locationKey(effect.location))) return;
          if (!description.processing && description.class !== 'dedup-record') return;
          const record = description.class === 'dedup-record';
          steps.push({
            ...base,
            kind: record ? 'record' : 'effect',
            label: description.label,
            detail: record
              ? 'records the message ID'
              : description.class + (effect.keyedByMessage ? ', keyed by the message' : ''),
            location: effect.location,
            chain: effect.chain,
            effectId: effect.id,
            unawaited: event.completion === 'dropped' || undefined,
            transaction: effect.transaction?.id,
            effect,
            underGuard: validGuardPassed,
            locallyGuarded: event.guarded && !validGuardPassed,
          });
          return;
        }
        case 'guard-pass':
        case 'guard-skip': {
          const { guard } = event;
          const valid = guard.scope === 'message' && isIdentityGuard(guard);
          steps.push({
            ...base,
            kind: 'guard',
            label: guard.label,
            detail: guardDetail(guard) + (event.kind === 'guard-skip' ? ' (says "seen")' : ''),
            location: guard.location,
            chain: guard.chain,
            guardId: guard.id,
            transaction: guard.transaction?.id,
            guard,
            skipped: event.kind === 'guard-skip' || undefined,
          });
          if (valid && event.kind === 'guard-pass') validGuardPassed = true;
          return;
        }
        case 'settle': {
          const { settle } = event;
          steps.push({
            ...base,
            kind: 'settle',
            label: settle.label,
            detail: settle.kind + (settle.requeue === false ? ' (no requeue)' : ''),
            location: settle.location,
            chain: settle.chain,
            settleId: settle.id,
            transaction: settle.transaction?.id,
            settle,
          });
          return;
        }
        case 'caught':
          return;
      }
    });
    if (this.implicit) {
      const keeps = this.consumer.registration.settlesByReturn && !this.path?.returnsMessage;
      steps.push({
        index: steps.length,
        kind: 'return',
        label: keeps
          ? 'return (without the message: the library does not delete it)'
          : `return (${registration.library} acks)`,
        detail: keeps ? 'no ack' : 'implicit ack',
        location: this.path?.exitLocation,
        eventIndex: events.length - 1,
      });
    }
    this.steps = this.insertCommits(steps);
  }

  /** A commit step for each transaction: after its last step, and after later steps that precede its COMMIT. */
  private insertCommits(steps: Step[]): Step[] {
    const scopes = new Map<string, TransactionScope>();
    for (const step of steps) {
      const scope = step.effect?.transaction ?? step.guard?.transaction ?? step.settle?.transaction;
      if (scope) scopes.set(scope.id, scope);
    }
    if (!scopes.size) return steps;
    const result = [...steps];
    for (const scope of scopes.values()) {
      let last = -1;
      result.forEach((step, index) => {
        if (step.transaction === scope.id) last = index;
      });
      let at = last + 1;
      const commit = scope.commit;
      // Later steps written before the COMMIT (in the same file) still run inside the transaction.
      while (commit && at < result.length && result[at].kind !== 'return' && isBefore(result[at].location, commit))
        at++;
      const previous = result[at - 1];
      result.splice(at, 0, {
        index: at,
        kind: 'commit',
        label: `commit (${scope.label})`,
        detail: commit
          ? 'transaction commits'
          : 'transaction commits (its COMMIT was not found: assumed after its last statement)',
        location: commit ?? scope.location,
        transaction: scope.id,
        eventIndex: previous ? previous.eventIndex : -1,
      });
    }
    result.forEach((step, index) => {
      step.index = index;
      if (step.kind === 'commit' && step.transaction) this.commitOf.set(step.transaction, index);
    });
    return result;
  }

  private findGuard(): void {
    this.guardStep = this.steps.findIndex(
      (step) =>
        step.kind === 'guard' &&
        step.guard!.scope === 'message' &&
        step.guard!.keyedByIdentity &&
        !step.guard!.invalidReason &&
        !step.skipped,
    );
    this.guard = this.guardStep >= 0 ? this.steps[this.guardStep].guard : undefined;
    const invalid = this.consumer.guards.find(
      (guard) => guard.scope === 'message' && (guard.invalidReason || !guard.keyedByIdentity),
    );
    if (!this.guard && invalid)
      this.notes.push(
        `${invalid.label} guards nothing: ${invalid.invalidReason ?? 'its key is not the message identity'}`,
      );
    if (!this.guard) return;
    const guard = this.guard;
    if (guard.kind === 'wrapper') {
      this.steps.forEach((step, index) => {
        if (index > this.guardStep && step.underGuard && (step.kind === 'effect' || step.kind === 'record'))
          this.wrapperEnd = index;
      });
      if (this.wrapperEnd < 0) this.wrapperEnd = this.guardStep;
      return;
    }
    // The record of a check, or the "done" mark of a claim: the same key, else any record of the message after the guard.
    const records = this.steps
      .map((step, index) => ({ step, index }))
      .filter(({ step, index }) => index > this.guardStep && step.kind === 'record' && step.effect!.keyedByMessage);
    const same = records.find(({ step }) => guard.keyText !== undefined && step.effect!.keyText === guard.keyText);
    this.recordStep = (same ?? (guard.kind === 'check' ? records[0] : undefined))?.index ?? -1;
    if (this.recordStep >= 0 && guard.kind === 'claim') this.steps[this.recordStep].detail = `marks the claim done`;
  }

  private findSettle(): void {
    if (this.auto) {
      this.settledAt = 0;
      this.settledBy = `${this.consumer.registration.library} acked it on delivery`;
      return;
    }
    for (const step of this.steps) {
      if (
        step.kind === 'settle' &&
        step.settle &&
        (isPositiveSettle(step.settle) || step.settle.kind === 'dead-letter')
      ) {
        if (step.settle.transaction) {
          // Settled when its transaction commits (Kafka sendOffsets inside the transaction).
          const commit = this.commitOf.get(step.settle.transaction.id);
          if (commit !== undefined && (this.settledAt === undefined || commit < this.settledAt)) {
            this.settledAt = commit;
            this.settledBy = `${step.settle.label} committed with ${step.settle.transaction.label}`;
          }
          continue;
        }
        if (this.settledAt === undefined || step.index < this.settledAt) {
          this.settledAt = step.index;
          this.settledBy = `${step.settle.label} on line ${step.settle.location.line} settled it`;
        }
      }
      if (
        step.kind === 'return' &&
        !(this.consumer.registration.settlesByReturn && !this.path?.returnsMessage) &&
        this.settledAt === undefined
      ) {
        this.settledAt = step.index;
        this.settledBy = `the handler returned, so ${this.consumer.registration.library} acked it`;
      }
    }
    if (this.settledAt === undefined)
      this.notes.push(
        'the main path never settles the message: it comes back (after a timeout, a restart or a rebalance) however far it got',
      );
  }

  // ---- outcomes -------------------------------------------------------------------------------

  private isSettled(at: number): boolean {
    return this.settledAt !== undefined && at >= this.settledAt;
  }

  /** A step in a transaction that has not committed by `at` is undone by a failure at `at`. */
  private rolledBack(step: Step, at: number): boolean {
    if (!step.transaction) return false;
    const commit = this.commitOf.get(step.transaction);
    return commit === undefined || commit > at;
  }

  private businessEffects(): Step[] {
    return this.steps.filter((step) => step.kind === 'effect' && step.effect!.description.processing);
  }

  /** Repeating it does harm: duplicate-unsafe, not keyed by the message, not vouched for or locally guarded. */
  private harmfulToRepeat(step: Step): boolean {
    const effect = step.effect!;
    return (
      effect.description.class === 'duplicate-unsafe' &&
      !effect.keyedByMessage &&
      !step.locallyGuarded &&
      this.consumer.vouchedIdempotent === undefined
    );
  }

  /** Effects that did not durably happen by a failure at `at`: not run yet, rolled back, or still running. */
  private undone(at: number): TimelineEffectRef[] {
    return this.businessEffects()
      .filter((step) => step.index > at || this.rolledBack(step, at) || step.unawaited)
      .map((step) => ref(step, step.index <= at && !!step.unawaited && !this.rolledBack(step, at)));
  }

  /** Effects a reprocessing repeats harmfully: those that durably completed (or may have) by `at`. */
  private repeated(at: number, onlyBeforeGuard = false): TimelineEffectRef[] {
    return this.businessEffects()
      .filter(
        (step) =>
          step.index <= at &&
          !this.rolledBack(step, at) &&
          this.harmfulToRepeat(step) &&
          (!onlyBeforeGuard || step.index < this.guardStep),
      )
      .map((step) => ref(step, !!step.unawaited));
  }

  /** What the durable state of the guard says to a redelivery after a failure at `at`, as a sentence. */
  private guardState(at: number, released: boolean): { holds: boolean; done: boolean; why: string } {
    const guard = this.guard;
    if (!guard) return { holds: false, done: false, why: 'Nothing checks the message identity' };
    const name = `the ${guard.kind === 'check' ? 'check' : guard.kind === 'claim' ? 'claim' : 'wrapper'} ${guard.label}`;
    if (this.guardStep > at) return { holds: false, done: false, why: `The first delivery had not reached ${name}` };
    const guardStep = this.steps[this.guardStep];
    const Name = name.charAt(0).toUpperCase() + name.slice(1);
    if (guard.kind === 'check') {
      const record = this.recordStep >= 0 ? this.steps[this.recordStep] : undefined;
      if (!record)
        return {
          holds: false,
          done: false,
          why: `${Name} finds no record of the message (none is written on this path)`,
        };
      if (record.index > at)
        return {
          holds: false,
          done: false,
          why: `${Name} passes again (${record.label} had not recorded the message yet)`,
        };
      if (this.rolledBack(record, at))
        return {
          holds: false,
          done: false,
          why: `${Name} passes again (${record.label} was rolled back with its transaction)`,
        };
      return { holds: true, done: true, why: `${Name} finds the record ${record.label} wrote` };
    }
    if (released) return { holds: false, done: false, why: `The failure path released ${name}` };
    if (this.rolledBack(guardStep, at))
      return { holds: false, done: false, why: `${Name} was rolled back with the transaction` };
    if (guard.kind === 'wrapper') {
      const done = at >= this.wrapperEnd;
      return {
        holds: true,
        done,
        why: done ? `${Name} has stored the result` : `${Name} has the message marked in progress`,
      };
    }
    const mark = this.recordStep >= 0 && this.recordStep <= at && !this.rolledBack(this.steps[this.recordStep], at);
    const done = mark || guard.leaseSeconds === undefined || !!guard.transaction;
    const held = guard.transaction
      ? 'committed'
      : mark
        ? 'marked done'
        : guard.leaseSeconds !== undefined
          ? `for its ${guard.leaseSeconds} s lease`
          : 'no expiry found';
    return { holds: true, done, why: `${Name} is still held (${held})` };
  }

  /** Whether a redelivery that the guard turns away is settled (acked) rather than left to come back. */
  private skipSettles(done: boolean): boolean {
    let settles = this.skipSettlesCache.get(done);
    if (settles === undefined) {
      settles = this.computeSkipSettles(done);
      this.skipSettlesCache.set(done, settles);
    }
    return settles;
  }

  private computeSkipSettles(done: boolean): boolean {
    const guard = this.guard!;
    if (guard.kind === 'wrapper') return done; // in progress: the wrapper throws; completed: it returns the stored result
    const skips = this.consumer.paths.filter((path) =>
      path.events.some((event) => event.kind === 'guard-skip' && event.guard.id === guard.id),
    );
    if (!skips.length) return this.implicit;
    return skips.some((path) => {
      const after = path.events.slice(
        path.events.findIndex((event) => event.kind === 'guard-skip' && event.guard.id === guard.id) + 1,
      );
      if (
        after.some(
          (event) => event.kind === 'settle' && (isPositiveSettle(event.settle) || event.settle.kind === 'dead-letter'),
        )
      )
        return true;
      return (
        this.implicit && path.exit !== 'throw' && !(this.consumer.registration.settlesByReturn && !path.returnsMessage)
      );
    });
  }

  private outcome(at: number, failure: FailurePath | 'escapes' | undefined): CrashOutcome {
    const error = failure !== undefined;
    const escaped = failure === 'escapes';
    const path = typeof failure === 'object' ? failure : undefined;
    if (this.isSettled(at)) {
      const lost = this.undone(at);
      return make(
        lost.length ? 'lost' : 'safe',
        false,
        [],
        lost,
        `Already settled (${this.settledBy}): no redelivery${lost.length ? ', so what had not durably happened is lost' : ''}.`,
      );
    }
    let prefix = 'Not settled: the broker redelivers it.';
    let released = false;
    if (error) {
      const handled = path && this.handleFailure(path);
      if (handled?.settles) {
        const lost = this.undone(at);
        return make(
          lost.length ? 'lost' : 'safe',
          false,
          [],
          lost,
          `${handled.text}: the failure is swallowed${lost.length ? ', and what had not happened is lost' : ''}.`,
        );
      }
      if (handled?.drops) {
        const lost = this.undone(at);
        return make(lost.length ? 'lost' : 'safe', false, [], lost, `${handled.text}: the message is dropped.`);
      }
      if (handled?.routes) {
        return make('safe', false, [], [], `${handled.text}: the message is parked there (neither retried nor lost).`);
      }
      released = !!handled?.releases;
      prefix =
        escaped || !handled
          ? 'The error escapes the handler, which leaves the message unsettled: the broker redelivers it.'
          : `${handled.text}: the broker redelivers it.`;
    }
    const rolledBack = this.businessEffects().filter((step) => step.index <= at && this.rolledBack(step, at));
    const rollback = rolledBack.length
      ? ` ${listLabels(rolledBack.map((step) => step.label))} ${rolledBack.length === 1 ? 'is' : 'are'} rolled back with the transaction.`
      : '';
    const state = this.guardState(at, released);
    const before = this.repeated(at, true); // effects before the guard run again on any redelivery
    if (state.holds) {
      const settles = this.skipSettles(state.done);
      const guard = this.guard!;
      if (!state.done && !settles && guard.kind !== 'check') {
        // Turned away while the claim is held, then processed again once it expires.
        const duplicates = mergeRefs(before, this.repeated(at));
        return make(
          duplicates.length ? 'duplicate' : 'safe',
          true,
          duplicates,
          [],
          `${prefix} ${state.why}: redeliveries are turned away unsettled until it expires, then the message is processed again.${rollback}`,
        );
      }
      const lost = this.undone(at);
      const later = guard.kind === 'claim' && !state.done && guard.leaseSeconds !== undefined ? this.repeated(at) : [];
      const alternative = later.length
        ? ` Only a redelivery after the ${guard.leaseSeconds} s lease would process it again, repeating ${listLabels(later.map((item) => item.label))}.`
        : '';
      const skip = settles
        ? 'the redelivery takes the "seen" path, which settles it'
        : 'every redelivery takes the "seen" path and is left unsettled, so it keeps coming back';
      return make(
        lost.length ? 'lost' : before.length ? 'duplicate' : 'safe',
        true,
        before,
        lost,
        `${prefix} ${state.why}, so ${skip}${lost.length ? ': what the first delivery had not done never happens' : ''}.${alternative}${rollback}`,
      );
    }
    const duplicates = mergeRefs(before, this.repeated(at));
    return make(
      duplicates.length ? 'duplicate' : 'safe',
      true,
      duplicates,
      [],
      `${prefix} ${state.why}, so the handler runs again.${rollback}`,
    );
  }

  // ---- failures (an error thrown by the next step) ----------------------------------------------

  /**
   * The path taken when the step after `at` throws: a path of the consumer that shares the main
   * path up to there and then enters a `catch` (or leaves by a throw). `escapes` when none does.
   */
  private failurePath(at: number): FailurePath | 'escapes' {
    const events = this.path?.events ?? [];
    const mainKeys = this.path ? this.keys(this.path) : [];
    const prefixLength = this.steps[at].eventIndex + 1;
    const next = this.steps[at + 1];
    const failing =
      next && next.eventIndex > this.steps[at].eventIndex ? events.slice(prefixLength, next.eventIndex + 1) : [];
    const candidates: { path: HandlerPath; from: number }[] = [];
    const failingKeys = mainKeys.slice(prefixLength, prefixLength + failing.length);
    for (const path of this.consumer.paths) {
      if (path === this.path) continue;
      const keys = this.keys(path);
      if (!startsWith(keys, mainKeys, 0, prefixLength)) continue;
      // The next step itself failed (its events are there), or something before it threw.
      // A path whose last event is an effect inside a try, followed by the catch, is that effect
      // failing: so the next step's own events come first (a step without events, a commit, fails
      // right after the step before it).
      const own = failing.some((event) => event.kind === 'effect');
      for (let extra = failing.length; extra >= (own ? 1 : 0); extra--) {
        if (extra && (failing[extra - 1].kind !== 'effect' || !startsWith(keys, failingKeys, prefixLength, extra)))
          continue;
        const from = prefixLength + extra;
        const first = path.events[from];
        if (first?.kind === 'caught' || (path.exit === 'throw' && !first)) {
          candidates.push({ path, from });
          break;
        }
      }
    }
    if (!candidates.length) return 'escapes';
    // The longest match (the failing step's own catch) first.
    candidates.sort((a, b) => b.from - a.from);
    const { path, from } = candidates[0];
    const first = path.events[from];
    return {
      events: path.events.slice(first?.kind === 'caught' ? from + 1 : from),
      exit: path.exit,
      caughtAt: first?.kind === 'caught' ? first.location : undefined,
      returnsMessage: path.returnsMessage,
    };
  }

  private keys(path: HandlerPath): string[] {
    let keys = this.keysOf.get(path);
    if (!keys) {
      keys = path.events.map(eventKey);
      this.keysOf.set(path, keys);
    }
    return keys;
  }

  /** What a failure path does with the message and the claim. */
  private handleFailure(path: FailurePath): {
    text: string;
    settles?: boolean;
    drops?: boolean;
    routes?: boolean;
    releases?: boolean;
  } {
    const where = path.caughtAt ? `The catch on line ${path.caughtAt.line}` : 'The failure path';
    const guard = this.guard;
    const releases =
      !!guard &&
      guard.kind === 'claim' &&
      path.events.some(
        (event) =>
          event.kind === 'effect' &&
          event.effect.keyText !== undefined &&
          event.effect.keyText === guard.keyText &&
          event.effect.description.class !== 'dedup-record',
      );
    const release = releases ? ` releases ${guard.label}` : '';
    for (const event of path.events) {
      if (
        event.kind === 'effect' &&
        event.effect.description.category === 'publish' &&
        FAILURE_DESTINATION.test(event.effect.description.destination ?? event.effect.description.label)
      ) {
        return {
          text: `${where}${release ? `${release} and` : ''} routes it to ${event.effect.description.label}`,
          routes: true,
          releases,
        };
      }
      if (event.kind !== 'settle') continue;
      const { settle } = event;
      if (settle.kind === 'dead-letter')
        return { text: `${where} dead-letters it (${settle.label})`, routes: true, releases };
      if (isPositiveSettle(settle))
        return {
          text: `${where}${release ? `${release} and` : ''} settles it anyway (${settle.label}, line ${settle.location.line})`,
          settles: true,
          releases,
        };
      if (settle.kind === 'term' || ((settle.kind === 'nack' || settle.kind === 'reject') && settle.requeue === false))
        return { text: `${where} ${settle.label} without requeue`, drops: true, releases };
      if (settle.kind === 'nack' || settle.kind === 'reject')
        return { text: `${where}${release ? `${release} and` : ''} requeues it (${settle.label})`, releases };
    }
    if (path.exit === 'throw') return { text: `${where}${release ? `${release} and` : ''} rethrows`, releases };
    if (this.implicit && !(this.consumer.registration.settlesByReturn && !path.returnsMessage)) {
      return {
        text: `${where}${release ? `${release} and` : ''} returns normally, so ${this.consumer.registration.library} acks it`,
        settles: true,
        releases,
      };
    }
    return { text: `${where}${release ? `${release} and` : ''} leaves it unsettled`, releases };
  }

  // ---- two copies at once ---------------------------------------------------------------------

  private concurrency(): ConcurrencyNote {
    if (this.auto)
      return {
        kind: 'not-applicable',
        duplicates: [],
        text: 'Acked on delivery, the message is never redelivered, so copies only come from a producer that sends twice.',
      };
    const unsafe = this.businessEffects().filter((step) => this.harmfulToRepeat(step));
    const all = unsafe.map((step) => ref(step, false));
    const guard = this.guard;
    if (!guard) {
      return all.length
        ? {
            kind: 'duplicate',
            duplicates: all,
            text: `Two copies processed at the same time (a redelivery while the first still runs: an expired visibility timeout or lease, a rebalance) both run ${listLabels(all.map((item) => item.label))}: nothing checks the message identity.`,
          }
        : {
            kind: 'safe',
            duplicates: [],
            text: 'Two copies processed at the same time change nothing twice: no effect on this path is duplicate-unsafe.',
          };
    }
    const outside = unsafe.filter((step) => !step.underGuard).map((step) => ref(step, false));
    const escape = outside.length
      ? ` ${listLabels(outside.map((item) => item.label))} ${outside.length === 1 ? 'is' : 'are'} outside the guard and run${outside.length === 1 ? 's' : ''} in both.`
      : '';
    if (guard.kind === 'check') {
      return all.length
        ? {
            kind: 'duplicate',
            duplicates: all,
            text: `Two copies processed at the same time can both pass ${guard.label} before either records the message: both run ${listLabels(all.map((item) => item.label))} (check-then-record is not atomic).`,
          }
        : {
            kind: 'safe',
            duplicates: [],
            text: `Two copies can both pass ${guard.label}, but no effect on this path is duplicate-unsafe.`,
          };
    }
    const how = guard.transaction
      ? `the second copy's ${guard.label} waits on the unique key until the first transaction ends, then conflicts and takes the "seen" path`
      : `only one copy wins ${guard.label}; the other takes the "seen" path`;
    return {
      kind: outside.length ? 'duplicate' : 'safe',
      duplicates: outside,
      text: `Two copies processed at the same time: ${how}.${escape}`,
    };
  }
}

// ---------------------------------------------------------------------------------------------

function publicStep(step: Step): TimelineStep {
  const shown: TimelineStep = { index: step.index, kind: step.kind, label: step.label, detail: step.detail };
  if (step.location) shown.location = step.location;
  if (step.chain?.length) shown.chain = step.chain;
  if (step.effectId !== undefined) shown.effectId = step.effectId;
  if (step.guardId !== undefined) shown.guardId = step.guardId;
  if (step.settleId !== undefined) shown.settleId = step.settleId;
  if (step.unawaited) shown.unawaited = true;
  if (step.transaction) shown.transaction = step.transaction;
  return shown;
}

function guardDetail(guard: GuardOccurrence): string {
  const parts: string[] = [guard.kind === 'check' ? 'check (then record)' : guard.kind];
  if (guard.leaseSeconds !== undefined) parts.push(`${guard.leaseSeconds} s lease`);
  if (guard.transaction) parts.push(`in ${guard.transaction.label}`);
  if (guard.scope === 'entity') parts.push('gates one write');
  if (guard.invalidReason || !guard.keyedByIdentity) parts.push('guards nothing');
  return parts.join(', ');
}

function ref(step: Step, uncertain: boolean): TimelineEffectRef {
  const result: TimelineEffectRef = { effectId: step.effect!.id, label: step.label, step: step.index };
  if (step.effect!.description.onDuplicate) result.onDuplicate = step.effect!.description.onDuplicate;
  if (uncertain) result.uncertain = true;
  return result;
}

function mergeRefs(...lists: TimelineEffectRef[][]): TimelineEffectRef[] {
  const seen = new Set<number>();
  return lists.flat().filter((item) => !seen.has(item.step) && !!seen.add(item.step));
}

function make(
  kind: CrashOutcomeKind,
  redelivered: boolean,
  duplicates: TimelineEffectRef[],
  lost: TimelineEffectRef[],
  explanation: string,
): CrashOutcome {
  return {
    kind,
    redelivered,
    duplicates,
    lost,
    summary: summarize(duplicates, lost),
    explanation: explanation.replace(/\s+/g, ' ').trim(),
  };
}

/** "Stripe charges.create runs twice", "sendMail and SQS SendMessage never happen". */
export function summarize(duplicates: readonly TimelineEffectRef[], lost: readonly TimelineEffectRef[]): string {
  const parts: string[] = [];
  const names = (refs: readonly TimelineEffectRef[]): string[] => [
    ...new Set(refs.map((item) => item.label + (item.uncertain ? ' (if still running)' : ''))),
  ];
  if (lost.length) {
    const labels = names(lost);
    parts.push(`${listLabels(labels)} never ${labels.length === 1 ? 'happens' : 'happen'}`);
  }
  if (duplicates.length) {
    const labels = [...new Set(duplicates.map((item) => item.label + (item.uncertain ? ' (if it had finished)' : '')))];
    parts.push(`${listLabels(labels)} ${labels.length === 1 ? 'runs' : 'run'} twice`);
  }
  return parts.length ? parts.join('; ') : 'nothing runs twice or is lost';
}

function listLabels(labels: readonly string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? '';
  if (unique.length <= 3) return `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1]}`;
  return `${unique.slice(0, 2).join(', ')} and ${unique.length - 2} more`;
}

function locationKey(location: SourceLocation): string {
  return `${location.filePath}:${location.start}`;
}

/** `location` is known to come before `commit` (same file, ends before it starts). */
function isBefore(location: SourceLocation | undefined, commit: SourceLocation): boolean {
  return !!location && location.filePath === commit.filePath && location.end <= commit.start;
}

/** `keys[offset…offset+length)` equals `expected[0…length)`. */
function startsWith(keys: readonly string[], expected: readonly string[], offset: number, length: number): boolean {
  if (keys.length < offset + length || expected.length < length) return false;
  for (let index = 0; index < length; index++) if (keys[offset + index] !== expected[index]) return false;
  return true;
}
