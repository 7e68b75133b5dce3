/**
 * Enumerates the control-flow paths of a handler's step tree into ordered event lists
 * (docs/model.md, "Order"). Paths that produce the same events are merged; beyond a cap the
 * consumer is marked incomplete and rules stay quiet rather than guess.
 */
import type {
  EffectOccurrence,
  GuardOccurrence,
  HandlerPath,
  PathEvent,
  SettleOccurrence,
  SourceLocation,
} from '../../model';
import { locationOf } from '../source/ast';
import type { EffectTemplate, GuardTemplate, SettleTemplate, Step } from '../handler/steps';

const MAX_STATES = 4000;

interface State {
  events: PathEvent[];
  key: string;
  /** A valid message-level guard said "new" on this path. */
  guardPassed: boolean;
}

interface Outcome {
  normal: State[];
  returned: State[];
  thrown: State[];
  broke: State[];
  continued: State[];
  exitLocations: Map<State, SourceLocation>;
}

interface RunContext {
  inTry: boolean;
  wrapperGuarded: boolean;
}

/** Turns templates (shared between call sites) into occurrences (one per node and call chain). */
export class OccurrenceRegistry {
  readonly effects: EffectOccurrence[] = [];
  readonly settles: SettleOccurrence[] = [];
  readonly guards: GuardOccurrence[] = [];
  private readonly byKey = new Map<string, EffectOccurrence | SettleOccurrence | GuardOccurrence>();
  private nextId = 1;

  private key(
    kind: string,
    node: { getStart(): number; getSourceFile(): { fileName: string } },
    chain: { location: SourceLocation }[],
  ): string {
    return `${kind}:${node.getSourceFile().fileName}:${node.getStart()}:${chain.map((link) => `${link.location.filePath}@${link.location.start}`).join('>')}`;
  }

  effect(template: EffectTemplate): EffectOccurrence {
    const key = this.key('e', template.node, template.chain);
    let occurrence = this.byKey.get(key) as EffectOccurrence | undefined;
    if (!occurrence) {
      const location = locationOf(template.node);
      occurrence = {
        id: this.nextId++,
        description: template.description,
        location,
        chain: template.chain,
        handlerLocation: template.chain[0]?.location ?? location,
        keyedByMessage: template.keyedByMessage,
        keyText: template.keyText,
      };
      this.byKey.set(key, occurrence);
      this.effects.push(occurrence);
    }
    return occurrence;
  }

  settle(template: SettleTemplate): SettleOccurrence {
    const key = this.key('s', template.node, template.chain);
    let occurrence = this.byKey.get(key) as SettleOccurrence | undefined;
    if (!occurrence) {
      const location = locationOf(template.node);
      occurrence = {
        id: this.nextId++,
        kind: template.kind,
        label: template.label,
        location,
        chain: template.chain,
        handlerLocation: template.chain[0]?.location ?? location,
        requeue: template.requeue,
      };
      this.byKey.set(key, occurrence);
      this.settles.push(occurrence);
    }
    return occurrence;
  }

  guard(template: GuardTemplate): GuardOccurrence {
    const key = this.key('g', template.node, template.chain);
    let occurrence = this.byKey.get(key) as GuardOccurrence | undefined;
    if (!occurrence) {
      const location = locationOf(template.node);
      occurrence = {
        id: this.nextId++,
        kind: template.kind,
        label: template.label,
        location,
        keyedByIdentity: template.keyedByIdentity,
        invalidReason: template.invalidReason,
        scope: template.scope,
        chain: template.chain,
        handlerLocation: template.chain[0]?.location ?? location,
        keyText: template.keyText,
        leaseSeconds: template.leaseSeconds,
      };
      this.byKey.set(key, occurrence);
      this.guards.push(occurrence);
    }
    return occurrence;
  }
}

export interface PathResult {
  paths: HandlerPath[];
  incomplete?: string;
}

export function enumeratePaths(steps: Step[], registry: OccurrenceRegistry): PathResult {
  const walker = new PathWalker(registry);
  const outcome = walker.run(steps, [{ events: [], key: '', guardPassed: false }], {
    inTry: false,
    wrapperGuarded: false,
  });
  const paths: HandlerPath[] = [];
  const add = (states: State[], exit: HandlerPath['exit']): void => {
    for (const state of states)
      paths.push({
        events: state.events,
        exit,
        exitLocation: outcome.exitLocations.get(state),
        returnsMessage: walker.returnsMessage.has(state),
      });
  };
  add(outcome.normal, 'end');
  add([...outcome.broke, ...outcome.continued], 'end');
  add(outcome.returned, 'return');
  add(outcome.thrown, 'throw');
  return { paths, incomplete: walker.overflow ? 'the handler has too many paths to follow' : undefined };
}

class PathWalker {
  overflow = false;
  private readonly exitLocations = new Map<State, SourceLocation>();
  readonly returnsMessage = new Set<State>();

  constructor(private readonly registry: OccurrenceRegistry) {}

  run(steps: Step[], input: State[], context: RunContext): Outcome {
    let states = input;
    const outcome: Outcome = {
      normal: [],
      returned: [],
      thrown: [],
      broke: [],
      continued: [],
      exitLocations: this.exitLocations,
    };
    for (const step of steps) {
      if (!states.length) break;
      states = this.step(step, states, context, outcome);
      states = this.dedupe(states);
    }
    outcome.normal.push(...states);
    return outcome;
  }

  private step(step: Step, states: State[], context: RunContext, outcome: Outcome): State[] {
    switch (step.t) {
      case 'effect': {
        const effect = this.registry.effect(step.effect);
        const next = states.map((state) =>
          append(state, {
            kind: 'effect',
            effect,
            completion: step.completion,
            guarded: state.guardPassed || context.wrapperGuarded || step.effect.locallyGuarded,
          }),
        );
        if (context.inTry) outcome.thrown.push(...next);
        return next;
      }
      case 'settle': {
        const settle = this.registry.settle(step.settle);
        return states.map((state) => append(state, { kind: 'settle', settle, completion: step.completion }));
      }
      case 'exit': {
        const location = locationOf(step.node);
        // A state object may go on along another branch (no event told them apart): the exit is
        // recorded on a copy, so a later exit on that branch does not overwrite this one.
        const exited = states.map((state) => ({ ...state }));
        for (const state of exited) {
          this.exitLocations.set(state, location);
          if (step.returnsMessage) this.returnsMessage.add(state);
        }
        const target =
          step.kind === 'return'
            ? outcome.returned
            : step.kind === 'throw'
              ? outcome.thrown
              : step.kind === 'break'
                ? outcome.broke
                : outcome.continued;
        target.push(...exited);
        return [];
      }
      case 'if': {
        let thenInput = states;
        let elseInput = states;
        if (step.guard) {
          const guard = this.registry.guard(step.guard.guard);
          const valid = guard.keyedByIdentity && !guard.invalidReason && guard.scope === 'message';
          const pass = (state: State): State => ({
            ...append(state, { kind: 'guard-pass', guard }),
            guardPassed: state.guardPassed || valid,
          });
          const skip = (state: State): State => append(state, { kind: 'guard-skip', guard });
          if (step.guard.thenMeans === 'new') {
            thenInput = states.map(pass);
            elseInput = states.map(skip);
          } else {
            thenInput = states.map(skip);
            elseInput = states.map(pass);
          }
        }
        const thenOut = this.run(step.then, thenInput, context);
        const elseOut = this.run(step.else, elseInput, context);
        this.mergeExits(outcome, thenOut);
        this.mergeExits(outcome, elseOut);
        return [...thenOut.normal, ...elseOut.normal];
      }
      case 'loop': {
        const body = this.run(step.body, states, context);
        this.mergeExits(outcome, body, { keepLoopExits: false });
        return [...states, ...body.normal, ...body.continued, ...body.broke];
      }
      case 'switch': {
        const results: State[] = step.hasDefault ? [] : [...states];
        for (const body of step.cases) {
          const out = this.run(body, states, context);
          this.mergeExits(outcome, out, { keepLoopExits: true, breakIsNormal: true });
          results.push(...out.normal, ...out.broke);
        }
        return results;
      }
      case 'scope': {
        const out = this.run(step.body, states, { ...context, inTry: context.inTry });
        outcome.thrown.push(...out.thrown);
        // A callee's return ends the callee, not the handler.
        for (const state of out.returned) {
          this.exitLocations.delete(state);
          this.returnsMessage.delete(state);
        }
        return [...out.normal, ...out.returned, ...out.broke, ...out.continued];
      }
      case 'guarded': {
        const guard = this.registry.guard(step.guard);
        const valid = guard.keyedByIdentity && !guard.invalidReason;
        const entered = states.map((state) => append(state, { kind: 'guard-pass', guard }));
        const out = this.run(step.body, entered, { ...context, wrapperGuarded: context.wrapperGuarded || valid });
        outcome.thrown.push(...out.thrown);
        return [...out.normal, ...out.returned];
      }
      case 'try': {
        const body = this.run(step.body, states, { ...context, inTry: true });
        // Something in the try (parsing, validation) may throw before any effect.
        body.thrown.unshift(...states);
        let normal = body.normal;
        if (step.claim) {
          const guard = this.registry.guard(step.claim);
          normal = normal.map((state) => ({ ...append(state, { kind: 'guard-pass', guard }), guardPassed: true }));
        }
        let returned = body.returned;
        let thrown: State[] = [];
        let broke = body.broke;
        let continued = body.continued;
        if (step.handler) {
          const caughtLocation = step.catchNode
            ? locationOf(step.catchNode, step.catchNode.getStart(), step.catchNode.getStart() + 5)
            : undefined;
          const entering = this.dedupe(body.thrown).map((state) =>
            caughtLocation
              ? append(state, { kind: 'caught', location: caughtLocation, enclosesProcessing: step.enclosesProcessing })
              : state,
          );
          const handled = this.run(step.handler, entering, context);
          normal = [...normal, ...handled.normal];
          returned = [...returned, ...handled.returned];
          thrown = handled.thrown;
          broke = [...broke, ...handled.broke];
          continued = [...continued, ...handled.continued];
        } else {
          thrown = body.thrown;
        }
        if (step.finalizer) {
          const finalize = (group: State[]): State[] => {
            const out = this.run(step.finalizer!, group, { ...context, inTry: false });
            return out.normal;
          };
          normal = finalize(normal);
          returned = finalize(returned);
          thrown = finalize(thrown);
        }
        outcome.returned.push(...returned);
        outcome.broke.push(...broke);
        outcome.continued.push(...continued);
        outcome.thrown.push(...thrown);
        return normal;
      }
      default:
        return states;
    }
  }

  private mergeExits(
    into: Outcome,
    from: Outcome,
    options: { keepLoopExits?: boolean; breakIsNormal?: boolean } = { keepLoopExits: true },
  ): void {
    into.returned.push(...from.returned);
    into.thrown.push(...from.thrown);
    if (options.keepLoopExits !== false) {
      if (!options.breakIsNormal) into.broke.push(...from.broke);
      into.continued.push(...from.continued);
    }
  }

  private dedupe(states: State[]): State[] {
    if (states.length < 2) return states;
    const seen = new Map<string, State>();
    for (const state of states) {
      const key = `${state.key}|${state.guardPassed ? 1 : 0}`;
      if (!seen.has(key)) seen.set(key, state);
    }
    let result = [...seen.values()];
    if (result.length > MAX_STATES) {
      this.overflow = true;
      result = result.slice(0, MAX_STATES);
    }
    return result;
  }
}

/** A short key identifying an event within one consumer's paths (paths with equal keys merge). */
export function eventKey(event: PathEvent): string {
  switch (event.kind) {
    case 'effect':
      return `e${event.effect.id}${event.completion[0]}${event.guarded ? 'g' : ''}`;
    case 'settle':
      return `s${event.settle.id}`;
    case 'guard-pass':
      return `p${event.guard.id}`;
    case 'guard-skip':
      return `k${event.guard.id}`;
    case 'caught':
      return `c${event.location.filePath}:${event.location.start}`;
  }
}

function append(state: State, event: PathEvent): State {
  return { events: [...state.events, event], key: `${state.key},${eventKey(event)}`, guardPassed: state.guardPassed };
}
