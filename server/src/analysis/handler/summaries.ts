/**
 * Function summaries shared by the consumers of one program (docs/model.md, "Following the work").
 *
 * The flow builder turns each project function a handler calls into steps, once per consumer and
 * binding. The consumers of a service call the same helpers (the repository, the logger, the
 * client of another service), so most of those builds repeat what another consumer built: on
 * langfuse 5,767 of 8,090 builds were of a function and binding another consumer had built.
 * A build is kept here for the next consumer when nothing in it depended on its consumer; what it
 * depended on of its place in the call chain is noted with it, and a consumer reuses it only
 * where a build of its own would give the same steps.
 */
import type { ts } from 'ts-morph';
import { containsNode, type FunctionWithBody } from '../source/ast';
import type { CapturedReads } from '../source/read-capture';
import type { Step } from './steps';

/** What a build of a function's steps depended on, besides the function and its binding. */
export interface SummaryDependencies {
  /** The functions whose bodies the build entered (the function itself too). */
  readonly entered: Set<FunctionWithBody>;
  /** How many calls below the function the build went (the depth limit counts them). */
  deepest: number;
  /**
   * The build read what only its consumer has: a wrapper's or factory's bound callback, the
   * handler it was reached from, a cycle or a depth limit cut where the consumer's call chain
   * put them. Such a build is never shared.
   */
  ownConsumer: boolean;
  /**
   * Whose call the build read the arguments of, a bit per level: bit 0 its own call's (a parameter
   * read as what the call passed: `prisma.order.create(args)`), bit 1 its caller's call's, and so
   * on. A build that read none is the same at every call of its function; one that read only its
   * own is kept for that call; one that read a caller's is not kept (its caller's next call may
   * pass something else).
   */
  argumentLevels: number;
  /**
   * The build cut a recursion whose function was entered this many builds further out: it would
   * follow that function where it is not under way. The build of that function, and those around
   * it, hold the whole cycle wherever they are reused (holdsAt: none of it is under way there).
   */
  cycleLevels: number;
}

export interface Summary {
  readonly steps: Step[];
  readonly dependencies: SummaryDependencies;
  /** The budget ticks the build made (a consumer reusing it counts them too). */
  readonly ticks: number;
  /** The steps the build's own calls copied into their call sites (COPIED_STEPS_LIMIT). */
  readonly copied: number;
  /** What the build read through the checker (pipeline/reads.ts), replayed where it is reused. */
  readonly reads?: CapturedReads;
}

/** Where a consumer stands when it would reuse a summary. */
export interface CallPoint {
  /** Calls between the handler and this call, as the depth limit counts them. */
  depth: number;
  maxDepth: number;
  /** The functions being built around this call. */
  stack: readonly ts.Node[];
  /** The parameters and calls the consumer binds to callbacks (a wrapper's, a factory's). */
  bound: Iterable<ts.Node>;
  /** Steps left before the consumer's copying limit. */
  copyable: number;
}

export function noDependencies(): SummaryDependencies {
  return { entered: new Set(), deepest: 0, ownConsumer: false, argumentLevels: 0, cycleLevels: 0 };
}

/** A build ran, `below` calls under it, work that depended on `inner`: it depends on that too. */
export function dependOn(outer: SummaryDependencies, inner: SummaryDependencies, below: number): void {
  if (inner.ownConsumer) outer.ownConsumer = true;
  for (const fn of inner.entered) outer.entered.add(fn);
  outer.deepest = Math.max(outer.deepest, below + inner.deepest);
  // The inner build's caller is the outer build: what it read one level up, the outer read of its own call.
  outer.argumentLevels |= inner.argumentLevels >>> 1;
  outer.cycleLevels = Math.max(outer.cycleLevels, inner.cycleLevels - 1);
}

/** Whether other consumers may reuse a build: it read nothing only its consumer has, here or above it. */
export function shareable(dependencies: SummaryDependencies): boolean {
  return !dependencies.ownConsumer && dependencies.cycleLevels === 0;
}

/** Whether a build read the arguments of a call above its own: it is not reused. */
export function readsCallerArguments(dependencies: SummaryDependencies): boolean {
  return dependencies.argumentLevels >>> 1 !== 0;
}

/**
 * Whether a consumer at `point` would build the same steps: the depth limit is not reached below
 * it, no function the summary entered is under way (its cycle would be cut), none binds a
 * parameter or call of the consumer's own, and the copies fit in what is left.
 */
export function holdsAt(summary: Summary, point: CallPoint): boolean {
  const { entered, deepest } = summary.dependencies;
  if (point.depth + deepest > point.maxDepth || summary.copied > point.copyable) return false;
  if (point.stack.some((fn) => entered.has(fn as FunctionWithBody))) return false;
  for (const node of point.bound) for (const fn of entered) if (containsNode(fn, node)) return false;
  return true;
}

/** The summaries of one program's checker, by function and by what else their steps depend on. */
export class SharedSummaries {
  private readonly byFunction = new Map<FunctionWithBody, Map<string, Summary[]>>();

  find(fn: FunctionWithBody, key: string, point: CallPoint): Summary | undefined {
    return this.byFunction
      .get(fn)
      ?.get(key)
      ?.find((summary) => holdsAt(summary, point));
  }

  add(fn: FunctionWithBody, key: string, summary: Summary): void {
    let byKey = this.byFunction.get(fn);
    if (!byKey) this.byFunction.set(fn, (byKey = new Map<string, Summary[]>()));
    const summaries = byKey.get(key);
    if (summaries) summaries.push(summary);
    else byKey.set(key, [summary]);
  }

  /** Keeps the summaries `stillValid` accepts (the server's, after an edit) and drops the others. */
  retain(stillValid: (summary: Summary) => boolean): void {
    for (const [fn, byKey] of this.byFunction) {
      for (const [key, summaries] of byKey) {
        const kept = summaries.filter(stillValid);
        if (kept.length) byKey.set(key, kept);
        else byKey.delete(key);
      }
      if (!byKey.size) this.byFunction.delete(fn);
    }
  }

  clear(): void {
    this.byFunction.clear();
  }
}

const perChecker = new WeakMap<ts.TypeChecker, SharedSummaries>();

/**
 * The consumers analysed with `checker` share `summaries`: the language server keeps one store from
 * edit to edit (pipeline/reads.ts), where a summary stays while what it read is unchanged.
 */
export function useSummaries(checker: ts.TypeChecker, summaries: SharedSummaries): void {
  perChecker.set(checker, summaries);
}

/** The summaries shared by the consumers analysed with `checker` (a checker is one program's). */
export function sharedSummaries(checker: ts.TypeChecker): SharedSummaries {
  let summaries = perChecker.get(checker);
  if (!summaries) perChecker.set(checker, (summaries = new SharedSummaries()));
  return summaries;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

/** A number naming an object (a library's recogniser, a config) in a summary's key. */
export function objectId(value: object): number {
  let id = objectIds.get(value);
  if (id === undefined) objectIds.set(value, (id = nextObjectId++));
  return id;
}
