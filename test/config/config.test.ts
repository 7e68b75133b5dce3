import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CONFIG_FILE_NAME,
  ConfigError,
  findConfigFile,
  JsonSyntaxError,
  loadConfig,
  parseConfigText,
  parseJson,
  validateConfig,
  type LoadConfigOptions,
} from '../../server/src/config/load';
import { DEFAULT_CONFIG } from '../../server/src/config/resolved-config';
import { ruleCatalogue } from '../../server/src/pipeline/config';
import { allRules } from '../../server/src/rules';

const KNOWN = ['ack-before-process', 'missing-event-id-check', 'double-ack'];
const options: LoadConfigOptions = { isKnownRule: (id) => KNOWN.includes(id), knownRuleIds: () => KNOWN };
const LABEL = 'delivery-lint.config.json';

function configError(value: unknown): string {
  try {
    validateConfig(value, LABEL, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(value)} to be rejected`);
}

function jsonError(text: string): JsonSyntaxError {
  try {
    parseJson(text);
  } catch (error) {
    assert.ok(error instanceof JsonSyntaxError, `expected a JsonSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseJson', () => {
  it('parses what JSON.parse parses', () => {
    const samples = [
      '{}',
      '[]',
      '{"a": [1, -2.5, 3e2, 0, true, false, null], "b": {"c": "d\\n\\u00e9\\"\\\\\\/"}}',
      '  "text"  ',
      '\n\t{ "x" : { } , "y" : [ ] }\r\n',
      '-0.5E-3',
    ];
    for (const text of samples) assert.deepEqual(parseJson(text), JSON.parse(text), text);
  });

  it('accepts a byte order mark', () => {
    assert.deepEqual(parseJson('\ufeff{"a": 1}'), { a: 1 });
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const value = parseJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    assert.ok(Object.prototype.hasOwnProperty.call(value, '__proto__'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('reports syntax errors with a 1-based line and column', () => {
    const cases: [string, string, number, number][] = [
      ['{\n  "a": 1,\n}', 'trailing comma before "}"', 3, 1],
      ['{\n  "a": 1\n  "b": 2\n}', 'expected "," or "}" after a property value, found "\\""', 3, 3],
      ['{"a": [1, 2,]}', 'trailing comma before "]"', 1, 13],
      ['{\n  // comment\n}', 'comments are not allowed in JSON', 2, 3],
      ["{'a': 1}", 'expected a property name in double quotes, found "\'"', 1, 2],
      ['{"a": \'x\'}', 'strings must use double quotes', 1, 7],
      ['{"a": "x', 'unterminated string', 1, 9],
      ['{"a": 1, "a": 2}', 'duplicate key "a"', 1, 10],
      ['{} {}', 'unexpected "{" after the end of the JSON value', 1, 4],
      ['', 'expected a value, found end of file', 1, 1],
      ['{"a": 01}', 'invalid number', 1, 8],
      ['{"a": tru}', 'expected a value, found "t"', 1, 7],
      ['{"a": "\\x"}', 'invalid escape "\\x" in a string', 1, 8],
      ['{"a" 1}', 'expected ":" after property name, found "1"', 1, 6],
    ];
    for (const [text, message, line, column] of cases) {
      const error = jsonError(text);
      assert.deepEqual([error.message, error.line, error.column], [message, line, column], text);
    }
  });
});

describe('validateConfig', () => {
  it('gives the defaults for an empty object, as a copy', () => {
    const config = validateConfig({}, LABEL, options);
    assert.deepEqual(config, DEFAULT_CONFIG);
    config.effects.unsafe.push('x');
    config.rules.a = 'off';
    assert.deepEqual(DEFAULT_CONFIG.effects.unsafe, []);
    assert.deepEqual(DEFAULT_CONFIG.rules, {});
  });

  it('resolves every key of a full file', () => {
    const config = validateConfig(
      {
        $schema: './node_modules/delivery-lint/schemas/delivery-lint.config.schema.json',
        rules: { 'ack-before-process': 'warn', 'double-ack': 'off', 'missing-event-id-check': 'info' },
        effects: { unsafe: ['sendInvoice', 'billing.charge'], idempotent: ['*.upsertOrder'] },
        guards: [
          'withIdempotency',
          { name: 'inbox.isProcessed', returns: 'seen' },
          { name: 'claim', returns: 'new', keyArgument: 1 },
        ],
        identity: 'message-id',
        identityFields: ['eventId'],
        guardStrategy: 'sql',
        kafkaKeysUnique: true,
        maxDepth: 10,
        semantics: { 'metrics.raw': 'at-most-once', payments: 'exactly-once' },
        ignore: ['**/*.spec.ts'],
      },
      LABEL,
      options,
    );
    assert.deepEqual(config, {
      rules: { 'ack-before-process': 'warning', 'double-ack': 'off', 'missing-event-id-check': 'info' },
      effects: { unsafe: ['sendInvoice', 'billing.charge'], idempotent: ['*.upsertOrder'] },
      guards: [
        { name: 'withIdempotency', returns: 'wrapper', keyArgument: 0 },
        { name: 'inbox.isProcessed', returns: 'seen', keyArgument: 0 },
        { name: 'claim', returns: 'new', keyArgument: 1 },
      ],
      identity: 'message-id',
      identityFields: ['eventId'],
      guardStrategy: 'sql',
      kafkaKeysUnique: true,
      maxDepth: 10,
      semantics: { 'metrics.raw': 'at-most-once', payments: 'exactly-once' },
      ignore: ['**/*.spec.ts'],
    });
  });

  it('fills in a partial effects object', () => {
    assert.deepEqual(validateConfig({ effects: { unsafe: ['x'] } }, LABEL, options).effects, {
      unsafe: ['x'],
      idempotent: [],
    });
  });

  it('names the key and the allowed values in its errors', () => {
    const cases: [unknown, string][] = [
      [{ guardStrategy: 'mongo' }, '"guardStrategy" must be one of redis, sql, powertools, memory (got "mongo")'],
      [{ identity: 'id' }, '"identity" must be one of any, message-id (got "id")'],
      [
        { colour: true },
        'unknown key "colour" (allowed: $schema, rules, effects, guards, identity, identityFields, guardStrategy, kafkaKeysUnique, maxDepth, semantics, ignore)',
      ],
      [
        { rules: { 'ack-before-process': 'warning' } },
        '"rules.ack-before-process" must be one of off, warn, error, info (got "warning")',
      ],
      [
        { rules: { 'ack-before-process': 2 } },
        '"rules.ack-before-process" must be one of off, warn, error, info (got 2)',
      ],
      [
        { rules: { 'no-such-rule': 'off' } },
        '"rules" names an unknown rule "no-such-rule" (known rules: ack-before-process, missing-event-id-check, double-ack)',
      ],
      [{ rules: [] }, '"rules" must be an object (got an array)'],
      [{ effects: { unsafe: 'x' } }, '"effects.unsafe" must be an array (got "x")'],
      [{ effects: { safe: [] } }, 'unknown key "effects.safe" (allowed: unsafe, idempotent)'],
      [
        { effects: { unsafe: ['ok', 'not a pattern'] } },
        '"effects.unsafe[1]" must be a call pattern such as name, obj.method or *.method (got "not a pattern")',
      ],
      [{ effects: { idempotent: [''] } }, '"effects.idempotent[0]" must be a non-empty string (got "")'],
      [{ guards: {} }, '"guards" must be an array (got an object)'],
      [
        { guards: ['ok', { name: 'g', returns: 'maybe' }] },
        '"guards[1].returns" must be one of seen, new, wrapper (got "maybe")',
      ],
      [{ guards: [{ name: 'g' }] }, '"guards[0]" needs "returns" (one of seen, new, wrapper)'],
      [{ guards: [{ returns: 'seen' }] }, '"guards[0]" needs a "name"'],
      [
        { guards: [{ name: 'g', returns: 'seen', key: 1 }] },
        'unknown key "guards[0].key" (allowed: name, returns, keyArgument)',
      ],
      [
        { guards: [{ name: 'g', returns: 'seen', keyArgument: -1 }] },
        '"guards[0].keyArgument" must be an integer of 0 or more (got -1)',
      ],
      [{ guards: [3] }, '"guards[0]" must be a function name or an object { name, returns, keyArgument? } (got 3)'],
      [{ identityFields: ['eventId', ' '] }, '"identityFields[1]" must be a non-empty string (got " ")'],
      [{ kafkaKeysUnique: 'yes' }, '"kafkaKeysUnique" must be true or false (got "yes")'],
      [{ maxDepth: 0 }, '"maxDepth" must be an integer from 1 to 64 (got 0)'],
      [{ maxDepth: 65 }, '"maxDepth" must be an integer from 1 to 64 (got 65)'],
      [{ maxDepth: 2.5 }, '"maxDepth" must be an integer from 1 to 64 (got 2.5)'],
      [{ maxDepth: '6' }, '"maxDepth" must be an integer from 1 to 64 (got "6")'],
      [
        { semantics: { orders: 'twice' } },
        '"semantics.orders" must be one of at-most-once, at-least-once, effectively-once, exactly-once (got "twice")',
      ],
      [{ semantics: { '': 'at-most-once' } }, '"semantics" has an empty queue/topic name'],
      [{ ignore: 'dist' }, '"ignore" must be an array (got "dist")'],
      [{ ignore: [null] }, '"ignore[0]" must be a non-empty string (got null)'],
      [{ $schema: 1 }, '"$schema" must be a string (got 1)'],
      [[], 'the file must contain a JSON object (got an array)'],
      [null, 'the file must contain a JSON object (got null)'],
    ];
    for (const [value, message] of cases)
      assert.equal(configError(value), `${LABEL}: ${message}`, JSON.stringify(value));
  });

  it('accepts the edge values of maxDepth and a "__proto__" queue name', () => {
    assert.equal(validateConfig({ maxDepth: 1 }, LABEL, options).maxDepth, 1);
    assert.equal(validateConfig({ maxDepth: 64 }, LABEL, options).maxDepth, 64);
    const config = parseConfigText('{"semantics": {"__proto__": "at-most-once"}}', LABEL, options);
    assert.equal(Object.getOwnPropertyDescriptor(config.semantics, '__proto__')?.value, 'at-most-once');
    assert.equal(Object.getPrototypeOf(config.semantics), Object.prototype);
  });
});

describe('parseConfigText', () => {
  it('reports JSON syntax errors with the file, line and column', () => {
    assert.throws(
      () => parseConfigText('{\n  "maxDepth": 3,\n}\n', 'conf/delivery-lint.config.json', options),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'conf/delivery-lint.config.json:3:1: invalid JSON: trailing comma before "}"',
    );
  });
});

describe('loadConfig', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-config-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  function project(name: string, files: Record<string, string>): string {
    const dir = path.join(root, name);
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  it('uses the defaults when there is no config file', (t) => {
    const dir = project('none', { 'src/a.ts': '' });
    if (findConfigFile(dir) !== undefined) {
      t.skip(`a ${CONFIG_FILE_NAME} exists above ${dir}`);
      return;
    }
    assert.deepEqual(loadConfig(dir, undefined, options), DEFAULT_CONFIG);
  });

  it('finds the config file in a folder above the working directory', () => {
    const dir = project('upward', { [CONFIG_FILE_NAME]: '{"guardStrategy": "memory"}', 'packages/app/src/a.ts': '' });
    const config = loadConfig(path.join(dir, 'packages/app/src'), undefined, options);
    assert.equal(config.guardStrategy, 'memory');
    assert.equal(config.configPath, path.join(dir, CONFIG_FILE_NAME));
    assert.equal(findConfigFile(path.join(dir, 'packages/app')), path.join(dir, CONFIG_FILE_NAME));
  });

  it('takes the nearest file when there are several', () => {
    const dir = project('nearest', {
      [CONFIG_FILE_NAME]: '{"maxDepth": 2}',
      [`app/${CONFIG_FILE_NAME}`]: '{"maxDepth": 3}',
    });
    assert.equal(loadConfig(path.join(dir, 'app'), undefined, options).maxDepth, 3);
    assert.equal(loadConfig(dir, undefined, options).maxDepth, 2);
  });

  it('loads an explicit path relative to the working directory', () => {
    const dir = project('explicit', {
      'cfg/custom.json': '{"kafkaKeysUnique": true}',
      [CONFIG_FILE_NAME]: '{"kafkaKeysUnique": false}',
    });
    const config = loadConfig(dir, 'cfg/custom.json', options);
    assert.equal(config.kafkaKeysUnique, true);
    assert.equal(config.configPath, path.join(dir, 'cfg/custom.json'));
  });

  it('fails when the explicit path does not exist or is a folder', () => {
    const dir = project('missing', {});
    assert.throws(() => loadConfig(dir, 'nope.json', options), {
      name: 'ConfigError',
      message: 'config file not found: nope.json',
    });
    fs.mkdirSync(path.join(dir, 'folder.json'));
    assert.throws(() => loadConfig(dir, 'folder.json', options), {
      name: 'ConfigError',
      message: 'config file is not a file: folder.json',
    });
  });

  it('prefixes errors with the config path relative to the working directory', () => {
    const dir = project('bad', { [CONFIG_FILE_NAME]: '{"guardStrategy": "mongo"}', 'sub/x.ts': '' });
    assert.throws(() => loadConfig(dir, undefined, options), {
      message: 'delivery-lint.config.json: "guardStrategy" must be one of redis, sql, powertools, memory (got "mongo")',
    });
    // From a subfolder the file is above the working directory: its absolute path is shown.
    assert.throws(() => loadConfig(path.join(dir, 'sub'), undefined, options), {
      message: `${path.join(dir, CONFIG_FILE_NAME)}: "guardStrategy" must be one of redis, sql, powertools, memory (got "mongo")`,
    });
  });

  it('reports JSON errors in the file with line and column', () => {
    const dir = project('syntax', { [CONFIG_FILE_NAME]: '{\n  "rules": {\n    "double-ack": "off"\n  \n}\n' });
    assert.throws(() => loadConfig(dir, undefined, options), {
      message:
        'delivery-lint.config.json:6:1: invalid JSON: expected "," or "}" after a property value, found end of file',
    });
  });

  it('checks rule ids against the rule catalogue when loaded for a run (pipeline/config.ts)', () => {
    const someRule = allRules[0].meta.id;
    const config = parseConfigText(JSON.stringify({ rules: { [someRule]: 'off' } }), LABEL, ruleCatalogue());
    assert.equal(config.rules[someRule], 'off');
    assert.throws(
      () => parseConfigText('{"rules": {"no-such-rule": "off"}}', LABEL, ruleCatalogue()),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          /^delivery-lint\.config\.json: "rules" names an unknown rule "no-such-rule" \(known rules: .*\)$/,
        );
        assert.ok(error.message.includes(someRule));
        return true;
      },
    );
  });
});
