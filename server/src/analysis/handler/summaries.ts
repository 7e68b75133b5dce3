/**
 * Function summaries shared by the consumers of one analysis (docs/model.md, "Following the work";
 * ARCHITECTURE.md, "Function summaries"). A helper that many consumers call (a repository method,
 * a mailer, a queue helper) has the same steps for each of them when it is called with the same
 * message-bearing parameters, the same callbacks bound and the same library, so its step tree is
 * built once per analysis and reused.
 *
 * A summary is shared only when it does not depend on where it is called from: no call inside it
 * was cut for depth, no recursion inside it was cut by a function outside it, and it is not nested
 * in the handler. Where it is reused, the call's depth must leave room for everything it inlined,
 * and the consumer's wrapper bindings must answer what the build asked of them (the callback a
 * parameter stands for) as they did, so the result is the one a fresh build would give.
 *
 * The files a summary's build read are replayed into the consumer that reuses it: the caches that
 * decide when a report must be rebuilt (pipeline/reads.ts) see the same reads either way.
 */
import type { ts } from 'ts-morph';
import type { Step } from './steps';
import type { FunctionWithBody } from '../source/ast';
import type { CapturedReads } from '../source/read-capture';

export interface Summary {
  body: Step[];
  /** The deepest call inside, counted from the summarised call's own depth (its depth limit's base). */
  need: number;
  /** A call inside was cut for depth: the body holds only for a call at the same depth. */
  cut: boolean;
  /** A recursion inside was cut by a function outside the summary: the body depends on the caller. */
  outer: boolean;
  /** The source files whose code the body was built from. */
  files: ReadonlySet<string>;
  reads?: CapturedReads;
  /** What the consumer's wrapper bindings answered while it was built (flow.ts, `bindingsHold`). */
  queries: readonly BindingQuery[];
}

/**
 * A question the build asked of the consumer's wrapper bindings, and the answer: the callback bound
 * to the parameter a call invokes (`call`), to an argument passed on (`argument`), or a value named
 * by a parameter (`value`).
 */
export type BindingQuery =
  | { kind: 'call'; node: ts.CallExpression; result: FunctionWithBody | undefined }
  | { kind: 'argument' | 'value'; node: ts.Expression; result: FunctionWithBody | undefined };

const shared = new WeakMap<ts.TypeChecker, Map<string, Summary>>();

/** The summaries shared by every consumer analysed with `checker` (one program, one round). */
export function sharedSummaries(checker: ts.TypeChecker): Map<string, Summary> {
  let summaries = shared.get(checker);
  if (!summaries) {
    summaries = new Map();
    shared.set(checker, summaries);
  }
  return summaries;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

/** A number for an object (a function node, a library module, a config) that is the same in every consumer. */
export function objectId(value: object): number {
  let id = objectIds.get(value);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(value, id);
  }
  return id;
}
