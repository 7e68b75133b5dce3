/**
 * Concrete paths through a handler, for the crash timeline's "main path" and its failure paths.
 * A domain of the walker whose key is the whole event sequence: paths that produce the same
 * events merge, and at most `PATH_SAMPLE_CAP` are kept after any step. The rules do not read
 * paths (they read the dataflow facts of facts.ts); when a handler has more paths than the cap,
 * the timeline says it follows a sample.
 */
import type { HandlerPath, PathEvent } from '../../model';
import { isIdentityGuard, locallyGuarded, type Step } from '../handler/steps';
import { OccurrenceRegistry, eventKey } from './occurrences';
import type { Budget } from './budget';
import {
  walk,
  type CaughtStep,
  type Domain,
  type ExitMark,
  type GuardStep,
  type StateKeys,
  type WalkContext,
} from './walker';

export const PATH_SAMPLE_CAP = 64;

/** A path's events, newest first: paths share their common prefix. */
interface Trail {
  readonly event: PathEvent;
  readonly previous: Trail | undefined;
  readonly length: number;
}

interface PathState {
  trail: Trail | undefined;
  /** The event sequence, interned as a number (PathDomain.keyAfter): equal sequences, equal keys. */
  key: number;
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
  const result = walk(steps, { trail: undefined, key: 0, guardPassed: false }, domain, registry, budget);
  const paths: HandlerPath[] = [];
  const add = (states: PathState[], exit: HandlerPath['exit']): void => {
    for (const state of states)
      paths.push({
        events: eventsOf(state.trail),
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
  /** Interned event sequences: a sequence's key and an event's key name the sequence one longer. */
  private readonly sequences = new Map<string, number>();

  keys(state: PathState): StateKeys {
    return { key: `${state.key}|${state.guardPassed ? 1 : 0}` };
  }

  join(into: PathState): PathState {
    return into;
  }

  overflowed(): void {
    this.sampled = true;
  }

  effect(state: PathState, step: Extract<Step, { t: 'effect' }>, context: WalkContext): PathState {
    const effect = context.registry.effect(step.effect);
    const guarded = state.guardPassed || context.wrapperGuarded || locallyGuarded(step.effect);
    return this.append(state, { kind: 'effect', effect, completion: step.completion, guarded });
  }

  settle(state: PathState, step: Extract<Step, { t: 'settle' }>, context: WalkContext): PathState {
    return this.append(state, {
      kind: 'settle',
      settle: context.registry.settle(step.settle),
      completion: step.completion,
    });
  }

  guardOutcome(state: PathState, guard: GuardStep, outcome: 'pass' | 'skip', context: WalkContext): PathState {
    switch (guard.source) {
      case 'if': {
        const occurrence = context.registry.guard(guard.step.guard!.guard);
        if (outcome === 'skip') return this.append(state, { kind: 'guard-skip', guard: occurrence });
        const valid = isIdentityGuard(occurrence) && occurrence.scope === 'message';
        return {
          ...this.append(state, { kind: 'guard-pass', guard: occurrence }),
          guardPassed: state.guardPassed || valid,
        };
      }
      case 'guarded':
        return this.append(state, { kind: 'guard-pass', guard: context.registry.guard(guard.step.guard) });
      case 'claim':
        return {
          ...this.append(state, { kind: 'guard-pass', guard: context.registry.guard(guard.step.claim!) }),
          guardPassed: true,
        };
    }
  }

  caught(state: PathState, caught: CaughtStep): PathState {
    return this.append(state, {
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

  private append(state: PathState, event: PathEvent): PathState {
    const trail: Trail = { event, previous: state.trail, length: (state.trail?.length ?? 0) + 1 };
    return { trail, key: this.keyAfter(state.key, event), guardPassed: state.guardPassed };
  }

  private keyAfter(key: number, event: PathEvent): number {
    const name = `${key},${eventKey(event)}`;
    let next = this.sequences.get(name);
    if (next === undefined) {
      next = this.sequences.size + 1;
      this.sequences.set(name, next);
    }
    return next;
  }
}

function eventsOf(trail: Trail | undefined): PathEvent[] {
  const events = new Array<PathEvent>(trail?.length ?? 0);
  for (let node = trail; node; node = node.previous) events[node.length - 1] = node.event;
  return events;
}
