/**
 * Counts the builds of each function's steps by the function's name: a spy on FlowBuilder, for the
 * tests of function summaries shared between consumers and edits (analysis/handler/summaries.ts).
 */
import { FlowBuilder } from '../../server/src/analysis/handler/flow';
import { functionName, type FunctionWithBody } from '../../server/src/analysis/source/ast';

export interface BuildCounter {
  /** Builds so far, by function name. */
  readonly builds: Map<string, number>;
  /** Takes the spy off FlowBuilder. */
  restore(): void;
}

export function countBuilds(): BuildCounter {
  const prototype = FlowBuilder.prototype as unknown as {
    functionSteps: (this: unknown, fn: FunctionWithBody, ...rest: unknown[]) => unknown;
  };
  const original = prototype.functionSteps;
  const builds = new Map<string, number>();
  prototype.functionSteps = function (this: unknown, fn: FunctionWithBody, ...rest: unknown[]) {
    const name = functionName(fn);
    builds.set(name, (builds.get(name) ?? 0) + 1);
    return original.call(this, fn, ...rest);
  };
  return { builds, restore: () => (prototype.functionSteps = original) };
}
