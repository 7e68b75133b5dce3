/**
 * Concrete paths through a handler, for the crash timeline's "main path" and its failure paths.
 * A domain of the walker whose key is the whole event sequence: paths that produce the same
 * events merge, and at most `PATH_SAMPLE_CAP` are kept after any step. The rules do not read
 * paths (they read the dataflow facts of facts.ts); when a handler has more paths than the cap,
 * the timeline says it follows a sample.
 */
import type { HandlerPath, PathEvent } from '../../model';
import type { Step } from '../handler/steps';
import { OccurrenceRegistry, eventKey } from './occurrences';
import type { Budget } from './budget';
import { walk, type CaughtStep, type Domain, type ExitMark, type GuardStep, type WalkContext } from './walker';

export const PATH_SAMPLE_CAP = 256;

interface PathState {
  events: PathEvent[];
  key: string;
  /** A valid message-level guard said "new" on this path. */
  guardPassed: boolean;
  exit?: ExitMark;
}

export interface PathSample {
  paths: HandlerPath[];
  /** More paths than the cap: `paths` is a sample. */
  sampled: boolean;
}

export function samplePaths(steps: readonly Step[], registry: OccurrenceRegistry, budget?: Budget): PathSample {
  const domain = new PathDomain();
  const result = walk(steps, { events: [], key: '', guardPassed: false }, domain, registry, budget);
  const paths: HandlerPath[] = [];
  const add = (states: PathState[], exit: HandlerPath['exit']): void => {
    for (const state of states)
      paths.push({
        events: state.events,
        exit,
        exitLocation: state.exit?.location,
        returnsMessage: !!state.exit?.returnsMessage,
      });
  };
  add(result.normal, 'end');
  add(result.ended, 'end');
  add(result.returned, 'return');
  add(result.thrown, 'throw');
  return { paths, sampled: domain.sampled };
}

class PathDomain implements Domain<PathState> {
  readonly cap = PATH_SAMPLE_CAP;
  sampled = false;

  key(state: PathState): string {
    return `${state.key}|${state.guardPassed ? 1 : 0}`;
  }

  join(into: PathState): PathState {
    return into;
  }

  overflowed(): void {
    this.sampled = true;
  }

  effect(state: PathState, step: Extract<Step, { t: 'effect' }>, context: WalkContext): PathState {
    const effect = context.registry.effect(step.effect);
    const guarded = state.guardPassed || context.wrapperGuarded || step.effect.locallyGuarded;
    return append(state, { kind: 'effect', effect, completion: step.completion, guarded });
  }

  settle(state: PathState, step: Extract<Step, { t: 'settle' }>, context: WalkContext): PathState {
    return append(state, { kind: 'settle', settle: context.registry.settle(step.settle), completion: step.completion });
  }

  guardOutcome(state: PathState, guard: GuardStep, outcome: 'pass' | 'skip', context: WalkContext): PathState {
    switch (guard.source) {
      case 'if': {
        const occurrence = context.registry.guard(guard.step.guard!.guard);
        if (outcome === 'skip') return append(state, { kind: 'guard-skip', guard: occurrence });
        const valid = occurrence.keyedByIdentity && !occurrence.invalidReason && occurrence.scope === 'message';
        return { ...append(state, { kind: 'guard-pass', guard: occurrence }), guardPassed: state.guardPassed || valid };
      }
      case 'guarded':
        return append(state, { kind: 'guard-pass', guard: context.registry.guard(guard.step.guard) });
      case 'claim':
        return {
          ...append(state, { kind: 'guard-pass', guard: context.registry.guard(guard.step.claim!) }),
          guardPassed: true,
        };
    }
  }

  caught(state: PathState, caught: CaughtStep): PathState {
    return append(state, {
      kind: 'caught',
      location: caught.location,
      enclosesProcessing: caught.step.enclosesProcessing,
    });
  }

  unknown(state: PathState): PathState {
    return state;
  }

  mark(state: PathState, exit: ExitMark | undefined): PathState {
    return { ...state, exit };
  }
}

function append(state: PathState, event: PathEvent): PathState {
  return { events: [...state.events, event], key: `${state.key},${eventKey(event)}`, guardPassed: state.guardPassed };
}
