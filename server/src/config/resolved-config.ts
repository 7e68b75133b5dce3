import type { ConfiguredSeverity, Semantics } from '../model';

/** The dedup-guard code a `missing-event-id-check` quick-fix writes (docs/rules/missing-event-id-check.md, "Fixes"). */
export type GuardStrategy = 'redis' | 'sql' | 'powertools' | 'memory';

/**
 * A function of the user's code that dedups messages. `returns` says what a truthy result means:
 * `seen` (an isProcessed-style check), `new` (a claim that succeeded), or `wrapper` for a function
 * that runs the callback it is given at most once per key.
 */
export interface GuardFunctionConfig {
  name: string;
  returns: 'seen' | 'new' | 'wrapper';
  /** Which argument holds the key (default 0). */
  keyArgument: number;
}

/** The delivery-lint.config.json file, after defaults are applied. */
export interface ResolvedConfig {
  /** Rule id to severity; rules not listed use their default. */
  rules: Record<string, ConfiguredSeverity>;
  /** Call patterns (`name`, `obj.method`, `*.method`) that are duplicate-unsafe / idempotent. */
  effects: { unsafe: string[]; idempotent: string[] };
  guards: GuardFunctionConfig[];
  /** `any`: any key derived from the message; `message-id`: only the broker ID or `identityFields`. */
  identity: 'any' | 'message-id';
  /** Payload fields accepted as identity in `message-id` mode (e.g. `eventId`). */
  identityFields: string[];
  guardStrategy: GuardStrategy;
  /** Kafka message keys are unique per event (then `message.key` is an identity). */
  kafkaKeysUnique: boolean;
  /**
   * How deep calls into the project's own functions are followed. Real call chains are shallower
   * than the default: it bounds the flow builder's recursion, not what is seen.
   */
  maxDepth: number;
  /** Declared semantics by queue/topic name. */
  semantics: Record<string, Semantics>;
  /** Glob patterns of files never linted. */
  ignore: string[];
  /** Path of the file the config came from, when there was one. */
  configPath?: string;
}

export const DEFAULT_CONFIG: ResolvedConfig = {
  rules: {},
  effects: { unsafe: [], idempotent: [] },
  guards: [],
  identity: 'any',
  identityFields: [],
  guardStrategy: 'redis',
  kafkaKeysUnique: false,
  maxDepth: 64,
  semantics: {},
  ignore: [],
};
