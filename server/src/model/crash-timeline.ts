/**
 * The crash timeline of a consumer (docs/model.md, "The crash timeline"): for each step of its main
 * path, what a crash or an error right after it leads to. Derived by analysis/report/derive-timeline.ts;
 * shown by the CLI's --explain, the hover and the explainer panel.
 */
import type { CallChainLink, SourceLocation } from './location';

export type CrashOutcomeKind = 'safe' | 'duplicate' | 'lost';

export type TimelineStepKind = 'receive' | 'guard' | 'effect' | 'record' | 'commit' | 'settle' | 'return';

export interface TimelineStep {
  /** 0-based position on the main path; step 0 is always `receive`. */
  index: number;
  kind: TimelineStepKind;
  label: string;
  /** Short qualifier: the effect class, the guard kind and lease, the settle kind. */
  detail: string;
  /** Where the step happens (absent for the library's own return-ack). */
  location?: SourceLocation;
  /** Calls from the handler to the step, when it happens in another function. */
  chain?: CallChainLink[];
  effectId?: number;
  guardId?: number;
  settleId?: number;
  /** Started without `await`: it completes at an unknown later time. */
  unawaited?: boolean;
  /** The transaction it runs in (for a commit step: the one it commits). */
  transaction?: string;
}

export interface TimelineEffectRef {
  effectId: number;
  label: string;
  /** The step it is on. */
  step: number;
  onDuplicate?: string;
  /** Un-awaited: only if it had (for a duplicate) or had not (for a loss) finished. */
  uncertain?: boolean;
}

export interface CrashOutcome {
  kind: CrashOutcomeKind;
  /** Whether the broker delivers the message again. */
  redelivered: boolean;
  /** Effects that run a second time. */
  duplicates: TimelineEffectRef[];
  /** Effects that never (durably) happen. */
  lost: TimelineEffectRef[];
  /** "Stripe charges.create runs twice", "sendMail never happens", "nothing runs twice or is lost". */
  summary: string;
  /** Why, in one or two sentences. */
  explanation: string;
}

export interface CrashPoint {
  /** The step after which it fails (0: just after receive). */
  after: number;
  /** The step it would have run next; absent after the last step. */
  before?: number;
  /** The process dies here. */
  crash: CrashOutcome;
  /** The next step throws (absent after the last step). */
  error?: CrashOutcome;
}

export interface ConcurrencyNote {
  kind: 'safe' | 'duplicate' | 'not-applicable';
  duplicates: TimelineEffectRef[];
  text: string;
}

export interface WorstOutcome {
  kind: CrashOutcomeKind;
  /** Index into `points`, when not safe. */
  point?: number;
  cause?: 'crash' | 'error';
  summary: string;
}

export interface CrashTimeline {
  steps: TimelineStep[];
  /** One per step: the point after it. */
  points: CrashPoint[];
  concurrency: ConcurrencyNote;
  worst: WorstOutcome;
  /** Limits of this timeline (incomplete analysis, no success path…). */
  notes: string[];
}
