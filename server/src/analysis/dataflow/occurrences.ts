/**
 * Occurrences: the effects, settles and guards of one consumer, one per node and call chain. The
 * step tree holds templates (a helper's steps are shared by every call of it); the walk turns
 * each template it reaches into the occurrence that findings, facts and paths refer to.
 */
import type { EffectOccurrence, GuardOccurrence, PathEvent, SettleOccurrence, SourceLocation } from '../../model';
import { locationOf } from '../source/ast';
import { POSITIVE_SETTLE_KINDS, type EffectTemplate, type GuardTemplate, type SettleTemplate } from '../handler/steps';

/** Ack, commit, delete, complete: the broker will not deliver the message again. */
export function isPositiveSettle(settle: SettleOccurrence): boolean {
  return POSITIVE_SETTLE_KINDS.has(settle.kind);
}

/** Turns templates (shared between call sites) into occurrences (one per node and call chain). */
export class OccurrenceRegistry {
  readonly effects: EffectOccurrence[] = [];
  readonly settles: SettleOccurrence[] = [];
  readonly guards: GuardOccurrence[] = [];
  private readonly byKey = new Map<string, EffectOccurrence | SettleOccurrence | GuardOccurrence>();
  /** A template is reached once per state at each step: its occurrence is looked up by identity first. */
  private readonly byTemplate = new WeakMap<object, EffectOccurrence | SettleOccurrence | GuardOccurrence>();
  private nextId = 1;

  private key(
    kind: string,
    node: { getStart(): number; getSourceFile(): { fileName: string } },
    chain: { location: SourceLocation }[],
  ): string {
    return `${kind}:${node.getSourceFile().fileName}:${node.getStart()}:${chain.map((link) => `${link.location.filePath}@${link.location.start}`).join('>')}`;
  }

  effect(template: EffectTemplate): EffectOccurrence {
    const known = this.byTemplate.get(template) as EffectOccurrence | undefined;
    if (known) return known;
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
    this.byTemplate.set(template, occurrence);
    return occurrence;
  }

  settle(template: SettleTemplate): SettleOccurrence {
    const known = this.byTemplate.get(template) as SettleOccurrence | undefined;
    if (known) return known;
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
    this.byTemplate.set(template, occurrence);
    return occurrence;
  }

  guard(template: GuardTemplate): GuardOccurrence {
    const known = this.byTemplate.get(template) as GuardOccurrence | undefined;
    if (known) return known;
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
    this.byTemplate.set(template, occurrence);
    return occurrence;
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
