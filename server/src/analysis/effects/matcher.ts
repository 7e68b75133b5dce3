import { ts } from 'ts-morph';
import type { EffectCategory, EffectClass, EffectDescription, EffectFixKind } from '../../model';
import type { MessageValues } from '../source/message-values';
import type { ResolvedConfig } from '../../config/resolved-config';
import { accessPath, calledName, receiverOf, rootExpression, unwrap } from '../source/ast';
import { originModule } from '../source/symbols';

/** What a dedup guard call tells: a truthy result means the message was `seen` or is `new`. */
export interface GuardSignal {
  kind: 'claim' | 'check';
  key?: ts.Node;
  truthyMeans: 'seen' | 'new';
  /** Why it cannot guard anything even when keyed by the message (an in-memory Set). */
  invalidReason?: string;
}

export interface ClassifiedCall {
  description: EffectDescription;
  /** The call (link of a chain) that is the effect. */
  node: ts.Node;
  /** The effect's own dedup key comes from the message identity. */
  keyedByMessage: boolean;
  guard?: GuardSignal;
  /** A write of the message ID into a processed-events store. */
  record?: boolean;
  /**
   * An insert keyed by the message that fails on a duplicate (a unique or primary key from the
   * message, no conflict clause): in a transaction, what follows it rolls back with it.
   */
  uniqueInsert?: boolean;
}

/** One call of a method chain, with what the matchers need to know about it. */
export class CallLink {
  readonly method: string | undefined;
  readonly path: string[];
  private originCache: string | null | undefined;

  constructor(
    readonly call: ts.CallExpression,
    /** Method names of the links called after this one: `.onConflict().ignore()`. */
    readonly later: readonly CallLink[],
    private readonly checker: ts.TypeChecker,
  ) {
    this.method = calledName(call);
    this.path = accessPath(call.expression);
  }

  get receiver(): ts.Expression | undefined {
    return receiverOf(this.call);
  }

  /** Lower-cased names along the receiver chain, for name hints when types are missing. */
  get receiverNames(): string[] {
    return this.path.slice(0, -1).map((name) => name.toLowerCase());
  }

  /** The npm package the receiver (or the called function) comes from. */
  origin(): string | undefined {
    if (this.originCache === undefined) {
      const target = this.receiver ?? unwrap(this.call.expression);
      this.originCache =
        originModule(target, this.checker) ?? originModule(rootExpression(this.call.expression), this.checker) ?? null;
    }
    return this.originCache ?? undefined;
  }

  laterMethods(): string[] {
    return this.later.map((link) => link.method ?? '');
  }

  argument(index: number): ts.Expression | undefined {
    return this.call.arguments[index];
  }
}

export interface MatchContext {
  checker: ts.TypeChecker;
  values: MessageValues;
  config: ResolvedConfig;
  /**
   * The installed package that registers the consumer's handler outside the project (`subscribe`
   * of @acme/events): its publishing functions publish to the same broker.
   */
  brokerPackage?: string;
  /** The consumer reads a dead-letter queue: what it publishes is a redrive (failure routing). */
  redrive?: boolean;
}

export type CallMatcher = (link: CallLink, context: MatchContext) => ClassifiedCall | undefined;

export function effect(
  link: CallLink | ts.Node,
  cls: EffectClass,
  category: EffectCategory,
  label: string,
  options: {
    onDuplicate?: string;
    processing?: boolean;
    keyedByMessage?: boolean;
    effectFix?: EffectFixKind;
    synchronous?: boolean;
    guard?: GuardSignal;
    record?: boolean;
    uniqueInsert?: boolean;
  } = {},
): ClassifiedCall {
  const node = link instanceof CallLink ? link.call : link;
  return {
    node,
    keyedByMessage: options.keyedByMessage ?? false,
    guard: options.guard,
    record: options.record,
    uniqueInsert: options.uniqueInsert,
    description: {
      class: cls,
      label,
      category,
      onDuplicate: options.onDuplicate,
      processing: options.processing ?? (cls !== 'read' && cls !== 'dedup-check'),
      synchronous: options.synchronous,
      effectFix: options.effectFix,
    },
  };
}

/** Tables, models and keys named like a processed-events store. */
export const DEDUP_STORE_NAME =
  /process(ed)?[_-]?(event|message|job)|dedup|idempot|inbox|handled|consumed|seen[_-]?(event|message)|processed/i;
