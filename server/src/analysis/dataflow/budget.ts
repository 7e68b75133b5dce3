/**
 * The budget of one consumer's analysis: how long it may take and how many abstract states the
 * walks over its handler may create, and whether the run it belongs to was cancelled (the server:
 * a newer version of the file arrived). The flow builder, the dataflow and the path sampling tick
 * it as they work.
 *
 * Running out is not an error of the code under analysis: the consumer is reported `incomplete`
 * with the reason, and every rule stays quiet on it (docs/model.md, "What the analysis cannot
 * see"). A cancellation ends the whole run: its results are not wanted.
 */

export interface BudgetLimits {
  /** Milliseconds one consumer's analysis may take. */
  milliseconds: number;
  /** Abstract states (and flow-building steps) one consumer's analysis may create. */
  states: number;
  /** Whether the run's results are no longer wanted. */
  cancelled?: () => boolean;
}

/** The budget when none is given: generous, so only pathological handlers reach it. */
export const DEFAULT_BUDGET: BudgetLimits = { milliseconds: 10_000, states: 2_000_000 };

/** Thrown when a consumer's budget runs out: that consumer is incomplete. */
export class BudgetExceeded extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'BudgetExceeded';
  }
}

/** Thrown when the run was cancelled: the run stops and returns nothing. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('the analysis was cancelled');
    this.name = 'AnalysisCancelled';
  }
}

/** How often (in ticks) the clock and the cancellation are read. */
const CHECK_EVERY = 256;

export class Budget {
  private states = 0;
  private untilCheck = CHECK_EVERY;
  private readonly deadline: number;

  constructor(
    private readonly limits: BudgetLimits = DEFAULT_BUDGET,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.deadline = now() + limits.milliseconds;
  }

  /** Counts `count` new states (or steps); throws when the budget is spent or the run cancelled. */
  tick(count = 1): void {
    this.states += count;
    if (this.states > this.limits.states)
      throw new BudgetExceeded(
        `its handler has more states than the analysis follows (${this.limits.states.toLocaleString('en-US')})`,
      );
    this.untilCheck -= count;
    if (this.untilCheck > 0) return;
    this.untilCheck = CHECK_EVERY;
    this.check();
  }

  /** Reads the clock and the cancellation. */
  check(): void {
    if (this.limits.cancelled?.()) throw new AnalysisCancelled();
    if (this.now() > this.deadline)
      throw new BudgetExceeded(`its analysis took longer than the ${this.limits.milliseconds / 1000} s it may take`);
  }
}
