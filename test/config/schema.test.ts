/**
 * schemas/delivery-lint.config.schema.json and the validator in config.ts must accept the same
 * files: same keys, same enums, same bounds, and the same verdict on a corpus of configs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CALL_PATTERN_SOURCE,
  CONFIG_KEYS,
  ConfigError,
  EFFECTS_KEYS,
  GUARD_OBJECT_KEYS,
  GUARD_RETURNS_VALUES,
  GUARD_STRATEGY_VALUES,
  IDENTITY_VALUES,
  MAX_DEPTH_MAX,
  MAX_DEPTH_MIN,
  SEMANTICS_VALUES,
  SEVERITY_VALUES,
  validateConfig,
} from '../../server/src/config/load';
import { schemaErrors, type Schema } from './schema-subset';
import { allRules, ruleById } from '../../server/src/rules';

const SCHEMA_PATH = path.resolve(__dirname, '../../schemas/delivery-lint.config.schema.json');
const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8')) as Schema;
type Props = Record<string, Schema>;
const props = schema.properties as Props;
const definitions = schema.definitions as Props;
const schemaRuleIds = Object.keys(props.rules.properties ?? {});

function validatorAccepts(value: unknown): boolean {
  try {
    validateConfig(value, 'test.json', {
      isKnownRule: (id) => schemaRuleIds.includes(id),
      knownRuleIds: () => schemaRuleIds,
    });
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

function sorted(values: readonly unknown[]): unknown[] {
  return [...values].map(String).sort();
}

function guardObjectSchema(): Schema {
  const options = (props.guards.items as Schema).oneOf as Schema[];
  const object = options.find((option) => option.type === 'object');
  assert.ok(object, 'guards items have an object form');
  return object;
}

describe('config schema: structure', () => {
  it('is a draft-07 schema of a closed object with a description on every key', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
    for (const [key, value] of Object.entries(props))
      assert.equal(typeof value.description, 'string', `${key} has a description`);
  });

  it("has the validator's top-level keys", () => {
    assert.deepEqual(sorted(Object.keys(props)), sorted(CONFIG_KEYS));
  });

  it("has the validator's effects keys, closed", () => {
    assert.deepEqual(sorted(Object.keys(props.effects.properties as Props)), sorted(EFFECTS_KEYS));
    assert.equal(props.effects.additionalProperties, false);
  });

  it("has the validator's guard object keys, required keys and returns enum", () => {
    const guard = guardObjectSchema();
    assert.deepEqual(sorted(Object.keys(guard.properties as Props)), sorted(GUARD_OBJECT_KEYS));
    assert.deepEqual(sorted(guard.required as string[]), ['name', 'returns']);
    assert.equal(guard.additionalProperties, false);
    assert.deepEqual(sorted((guard.properties as Props).returns.enum as string[]), sorted(GUARD_RETURNS_VALUES));
  });

  it("has the validator's enums", () => {
    assert.deepEqual(sorted(definitions.severity.enum as string[]), sorted(SEVERITY_VALUES));
    assert.deepEqual(sorted(props.identity.enum as string[]), sorted(IDENTITY_VALUES));
    assert.deepEqual(sorted(props.guardStrategy.enum as string[]), sorted(GUARD_STRATEGY_VALUES));
    assert.deepEqual(
      sorted((props.semantics.additionalProperties as Schema).enum as string[]),
      sorted(SEMANTICS_VALUES),
    );
    for (const rule of Object.values(props.rules.properties as Props))
      assert.equal(rule.$ref, '#/definitions/severity');
  });

  it("has the validator's bounds and call pattern", () => {
    assert.equal(props.maxDepth.type, 'integer');
    assert.equal(props.maxDepth.minimum, MAX_DEPTH_MIN);
    assert.equal(props.maxDepth.maximum, MAX_DEPTH_MAX);
    assert.equal(definitions.callPattern.pattern, CALL_PATTERN_SOURCE);
  });

  it('lists exactly the rules of the rule catalogue', () => {
    assert.deepEqual(sorted(schemaRuleIds), sorted(allRules.map((rule) => rule.meta.id)));
    for (const id of schemaRuleIds) assert.ok(ruleById(id), id);
  });
});

describe('config schema: same verdicts as the validator', () => {
  const rule = schemaRuleIds[0];
  const valid: unknown[] = [
    {},
    { $schema: 'x' },
    { rules: {} },
    ...schemaRuleIds.flatMap((id) => SEVERITY_VALUES.map((severity) => ({ rules: { [id]: severity } }))),
    { effects: {} },
    { effects: { unsafe: ['a', 'a.b', '*.b', 'a.*', 'prisma.order.create', '$x._y1'], idempotent: [] } },
    { guards: [] },
    { guards: ['g', 'svc.isDone'] },
    ...GUARD_RETURNS_VALUES.map((returns) => ({ guards: [{ name: 'g', returns }] })),
    {
      guards: [
        { name: 'g', returns: 'new', keyArgument: 0 },
        { name: 'h', returns: 'seen', keyArgument: 3 },
      ],
    },
    ...IDENTITY_VALUES.map((identity) => ({ identity })),
    { identityFields: ['eventId', 'meta.id'] },
    ...GUARD_STRATEGY_VALUES.map((guardStrategy) => ({ guardStrategy })),
    { kafkaKeysUnique: true },
    { kafkaKeysUnique: false },
    { maxDepth: MAX_DEPTH_MIN },
    { maxDepth: MAX_DEPTH_MAX },
    { maxDepth: 6 },
    ...SEMANTICS_VALUES.map((semantics) => ({ semantics: { q: semantics } })),
    { ignore: ['**/*.test.ts', 'dist/**'] },
  ];
  const invalid: unknown[] = [
    [],
    'string',
    null,
    { unknownKey: 1 },
    { $schema: 1 },
    { rules: [] },
    { rules: { [rule]: 'warning' } },
    { rules: { [rule]: 1 } },
    { rules: { 'not-a-rule': 'off' } },
    { effects: [] },
    { effects: { other: [] } },
    { effects: { unsafe: 'a' } },
    { effects: { unsafe: [''] } },
    { effects: { unsafe: ['a b'] } },
    { effects: { unsafe: ['a..b'] } },
    { effects: { idempotent: [1] } },
    { guards: 'g' },
    { guards: [''] },
    { guards: ['a b'] },
    { guards: [1] },
    { guards: [{ name: 'g' }] },
    { guards: [{ returns: 'seen' }] },
    { guards: [{ name: 'g', returns: 'maybe' }] },
    { guards: [{ name: 'g', returns: 'seen', keyArgument: -1 }] },
    { guards: [{ name: 'g', returns: 'seen', keyArgument: 1.5 }] },
    { guards: [{ name: 'g', returns: 'seen', extra: true }] },
    { identity: 'other' },
    { identity: 1 },
    { identityFields: 'eventId' },
    { identityFields: [''] },
    { identityFields: ['   '] },
    { identityFields: [1] },
    { guardStrategy: 'mongo' },
    { kafkaKeysUnique: 'true' },
    { kafkaKeysUnique: 1 },
    { maxDepth: MAX_DEPTH_MIN - 1 },
    { maxDepth: MAX_DEPTH_MAX + 1 },
    { maxDepth: 2.5 },
    { maxDepth: '3' },
    { semantics: [] },
    { semantics: { q: 'twice' } },
    { semantics: { '': 'at-most-once' } },
    { ignore: 'dist' },
    { ignore: [''] },
    { ignore: [1] },
  ];

  it('accepts the valid corpus with both', () => {
    for (const value of valid) {
      assert.deepEqual(schemaErrors(schema, value), [], `schema rejects ${JSON.stringify(value)}`);
      assert.ok(validatorAccepts(value), `validator rejects ${JSON.stringify(value)}`);
    }
  });

  it('rejects the invalid corpus with both', () => {
    for (const value of invalid) {
      assert.notDeepEqual(schemaErrors(schema, value), [], `schema accepts ${JSON.stringify(value)}`);
      assert.ok(!validatorAccepts(value), `validator accepts ${JSON.stringify(value)}`);
    }
  });

  it('rejects a wrongly typed value for every top-level key with both', () => {
    for (const key of Object.keys(props)) {
      for (const bad of [123.5, 'x', [], {}, true, null]) {
        const value = { [key]: bad };
        const bySchema = schemaErrors(schema, value).length === 0;
        assert.equal(
          validatorAccepts(value),
          bySchema,
          `${JSON.stringify(value)}: schema ${bySchema ? 'accepts' : 'rejects'}`,
        );
      }
    }
  });
});
