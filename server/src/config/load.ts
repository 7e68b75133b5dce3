/**
 * Loads and validates `delivery-lint.config.json`.
 *
 * The file is found by walking up from the working directory (or named explicitly with
 * `--config`), parsed by a small JSON parser that reports syntax errors with line:column,
 * checked against the file form below, and merged over DEFAULT_CONFIG.
 *
 * The accepted key set and enums are exported (CONFIG_KEYS, ...) so the test suite can check
 * that schemas/delivery-lint.config.schema.json describes exactly what this validator accepts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfiguredSeverity, Semantics } from '../model';
import { DEFAULT_CONFIG, type GuardFunctionConfig, type GuardStrategy, type ResolvedConfig } from './resolved-config';

export const CONFIG_FILE_NAME = 'delivery-lint.config.json';

/** A user error in the configuration: the CLI prints `delivery-lint: <message>` and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

// ---------------------------------------------------------------------------------------------
// The file form: every key and enum the validator accepts.

export const CONFIG_KEYS = [
  '$schema',
  'rules',
  'effects',
  'guards',
  'identity',
  'identityFields',
  'guardStrategy',
  'kafkaKeysUnique',
  'maxDepth',
  'semantics',
  'ignore',
] as const;
export const EFFECTS_KEYS = ['unsafe', 'idempotent'] as const;
export const GUARD_OBJECT_KEYS = ['name', 'returns', 'keyArgument'] as const;

/** Severities as written in the file (and in `--rule`); `warn` means `warning`. */
export const SEVERITY_VALUES = ['off', 'warn', 'error', 'info'] as const;
export type FileSeverity = (typeof SEVERITY_VALUES)[number];
export const GUARD_RETURNS_VALUES = ['seen', 'new', 'wrapper'] as const;
export const IDENTITY_VALUES = ['any', 'message-id'] as const;
export const GUARD_STRATEGY_VALUES = ['redis', 'sql', 'powertools', 'memory'] as const;
export const SEMANTICS_VALUES = ['at-most-once', 'at-least-once', 'effectively-once', 'exactly-once'] as const;
export const MAX_DEPTH_MIN = 1;
export const MAX_DEPTH_MAX = 64;
/** What a guard written as a plain string means: a function the config names as a guard is a wrapper (docs/model.md, "Guards"). */
export const DEFAULT_GUARD_RETURNS: GuardFunctionConfig['returns'] = 'wrapper';
/**
 * A call pattern for `effects` and guard names: dotted identifiers, any segment may be `*`
 * (`sendInvoice`, `billing.charge`, `*.publish`, `prisma.order.create`).
 */
export const CALL_PATTERN_SOURCE = '^(\\*|[A-Za-z_$][A-Za-z0-9_$]*)(\\.(\\*|[A-Za-z_$][A-Za-z0-9_$]*))*$';
const CALL_PATTERN = new RegExp(CALL_PATTERN_SOURCE);

/**
 * The one mapping between the severity words users write (`warn`: the config file, --rule, the
 * editor's settings, the docs) and the ones findings carry (`warning`).
 */
export function toConfiguredSeverity(value: FileSeverity): ConfiguredSeverity {
  return value === 'warn' ? 'warning' : value;
}

/** A resolved severity as users write it (`warning` is `warn`). */
export function toFileSeverity(value: ConfiguredSeverity): FileSeverity {
  return value === 'warning' ? 'warn' : value;
}

/**
 * The rule ids a config may name. config/ sits below the rules (ARCHITECTURE.md, "Layers"), so the
 * caller passes them: pipeline/config.ts takes them from the rule catalogue, tests give their own.
 */
export interface LoadConfigOptions {
  /** Decides whether a rule id exists. */
  isKnownRule: (id: string) => boolean;
  /** Rule ids listed in "unknown rule" messages. */
  knownRuleIds: () => string[];
}

// ---------------------------------------------------------------------------------------------
// Finding and loading the file.

/** The nearest `delivery-lint.config.json` in `cwd` or a folder above it, or undefined. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (isFile(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The configuration for a run in `cwd`: the explicit file when given (it must exist), else the
 * nearest `delivery-lint.config.json` upward, else the defaults. Throws ConfigError.
 */
export function loadConfig(cwd: string, explicitPath: string | undefined, options: LoadConfigOptions): ResolvedConfig {
  let file: string | undefined;
  if (explicitPath !== undefined) {
    file = path.resolve(cwd, explicitPath);
    if (!fs.existsSync(file)) throw new ConfigError(`config file not found: ${explicitPath}`);
    if (!isFile(file)) throw new ConfigError(`config file is not a file: ${explicitPath}`);
  } else {
    file = findConfigFile(cwd);
  }
  if (file === undefined) return cloneDefaults();

  const label = displayPath(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${label}: cannot read the file (${errorCode(error)})`);
  }
  const config = parseConfigText(text, label, options);
  config.configPath = file;
  return config;
}

/** Parses and validates the text of a config file; `label` prefixes every error message. */
export function parseConfigText(text: string, label: string, options: LoadConfigOptions): ResolvedConfig {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new ConfigError(`${label}:${error.line}:${error.column}: invalid JSON: ${error.message}`);
    }
    throw error;
  }
  return validateConfig(value, label, options);
}

// ---------------------------------------------------------------------------------------------
// Validation.

/** Checks a parsed config file and merges it over the defaults. Throws ConfigError. */
export function validateConfig(value: unknown, label: string, options: LoadConfigOptions): ResolvedConfig {
  const fail = (message: string): never => {
    throw new ConfigError(`${label}: ${message}`);
  };
  const config = cloneDefaults();
  if (!isPlainObject(value)) fail(`the file must contain a JSON object (got ${describe(value)})`);
  const root = value as Record<string, unknown>;

  for (const key of Object.keys(root)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      fail(`unknown key ${quote(key)} (allowed: ${CONFIG_KEYS.join(', ')})`);
    }
  }

  if ('$schema' in root && typeof root.$schema !== 'string') {
    fail(`"$schema" must be a string (got ${describe(root.$schema)})`);
  }

  if ('rules' in root) {
    const rules = expectObject(root.rules, 'rules', fail);
    const isKnown = options.isKnownRule;
    for (const [id, severity] of Object.entries(rules)) {
      if (!isKnown(id)) {
        const known = options.knownRuleIds();
        fail(`"rules" names an unknown rule ${quote(id)}${known.length ? ` (known rules: ${known.join(', ')})` : ''}`);
      }
      const sev = expectEnum(severity, `rules.${id}`, SEVERITY_VALUES, fail);
      setOwn(config.rules, id, toConfiguredSeverity(sev));
    }
  }

  if ('effects' in root) {
    const effects = expectObject(root.effects, 'effects', fail);
    for (const key of Object.keys(effects)) {
      if (!(EFFECTS_KEYS as readonly string[]).includes(key)) {
        fail(`unknown key ${quote(`effects.${key}`)} (allowed: ${EFFECTS_KEYS.join(', ')})`);
      }
    }
    for (const key of EFFECTS_KEYS) {
      if (key in effects) config.effects[key] = expectPatternArray(effects[key], `effects.${key}`, fail);
    }
  }

  if ('guards' in root) {
    const guards = expectArray(root.guards, 'guards', fail);
    config.guards = guards.map((guard, index) => validateGuard(guard, `guards[${index}]`, fail));
  }

  if ('identity' in root) config.identity = expectEnum(root.identity, 'identity', IDENTITY_VALUES, fail);

  if ('identityFields' in root) {
    const fields = expectArray(root.identityFields, 'identityFields', fail);
    config.identityFields = fields.map((field, index) => expectNonEmptyString(field, `identityFields[${index}]`, fail));
  }

  if ('guardStrategy' in root) {
    config.guardStrategy = expectEnum<GuardStrategy>(root.guardStrategy, 'guardStrategy', GUARD_STRATEGY_VALUES, fail);
  }

  if ('kafkaKeysUnique' in root) {
    if (typeof root.kafkaKeysUnique !== 'boolean') {
      fail(`"kafkaKeysUnique" must be true or false (got ${describe(root.kafkaKeysUnique)})`);
    }
    config.kafkaKeysUnique = root.kafkaKeysUnique as boolean;
  }

  if ('maxDepth' in root) {
    const depth = root.maxDepth;
    if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < MAX_DEPTH_MIN || depth > MAX_DEPTH_MAX) {
      fail(`"maxDepth" must be an integer from ${MAX_DEPTH_MIN} to ${MAX_DEPTH_MAX} (got ${describe(depth)})`);
    }
    config.maxDepth = depth as number;
  }

  if ('semantics' in root) {
    const semantics = expectObject(root.semantics, 'semantics', fail);
    for (const [name, declared] of Object.entries(semantics)) {
      if (name === '') fail('"semantics" has an empty queue/topic name');
      setOwn(config.semantics, name, expectEnum<Semantics>(declared, `semantics.${name}`, SEMANTICS_VALUES, fail));
    }
  }

  if ('ignore' in root) {
    const ignore = expectArray(root.ignore, 'ignore', fail);
    config.ignore = ignore.map((glob, index) => expectNonEmptyString(glob, `ignore[${index}]`, fail));
  }

  return config;
}

function validateGuard(value: unknown, where: string, fail: (message: string) => never): GuardFunctionConfig {
  if (typeof value === 'string') {
    return { name: expectPattern(value, where, fail), returns: DEFAULT_GUARD_RETURNS, keyArgument: 0 };
  }
  if (!isPlainObject(value)) {
    fail(
      `${quote(where)} must be a function name or an object { name, returns, keyArgument? } (got ${describe(value)})`,
    );
  }
  const guard = value;
  for (const key of Object.keys(guard)) {
    if (!(GUARD_OBJECT_KEYS as readonly string[]).includes(key)) {
      fail(`unknown key ${quote(`${where}.${key}`)} (allowed: ${GUARD_OBJECT_KEYS.join(', ')})`);
    }
  }
  if (!('name' in guard)) fail(`${quote(where)} needs a "name"`);
  if (!('returns' in guard)) fail(`${quote(where)} needs "returns" (one of ${GUARD_RETURNS_VALUES.join(', ')})`);
  const name = expectPattern(guard.name, `${where}.name`, fail);
  const returns = expectEnum(guard.returns, `${where}.returns`, GUARD_RETURNS_VALUES, fail);
  let keyArgument = 0;
  if ('keyArgument' in guard) {
    const arg = guard.keyArgument;
    if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0) {
      fail(`${quote(`${where}.keyArgument`)} must be an integer of 0 or more (got ${describe(arg)})`);
    }
    keyArgument = arg;
  }
  return { name, returns, keyArgument };
}

function expectObject(value: unknown, where: string, fail: (message: string) => never): Record<string, unknown> {
  if (!isPlainObject(value)) fail(`${quote(where)} must be an object (got ${describe(value)})`);
  return value;
}

function expectArray(value: unknown, where: string, fail: (message: string) => never): unknown[] {
  if (!Array.isArray(value)) fail(`${quote(where)} must be an array (got ${describe(value)})`);
  return value as unknown[];
}

function expectEnum<T extends string>(
  value: unknown,
  where: string,
  allowed: readonly T[],
  fail: (message: string) => never,
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(`${quote(where)} must be one of ${allowed.join(', ')} (got ${describe(value)})`);
  }
  return value as T;
}

function expectNonEmptyString(value: unknown, where: string, fail: (message: string) => never): string {
  if (typeof value !== 'string' || value.trim() === '') {
    fail(`${quote(where)} must be a non-empty string (got ${describe(value)})`);
  }
  return value;
}

function expectPattern(value: unknown, where: string, fail: (message: string) => never): string {
  const text = expectNonEmptyString(value, where, fail);
  if (!CALL_PATTERN.test(text)) {
    fail(`${quote(where)} must be a call pattern such as name, obj.method or *.method (got ${describe(value)})`);
  }
  return text;
}

function expectPatternArray(value: unknown, where: string, fail: (message: string) => never): string[] {
  return expectArray(value, where, fail).map((item, index) => expectPattern(item, `${where}[${index}]`, fail));
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function cloneDefaults(): ResolvedConfig {
  return {
    ...DEFAULT_CONFIG,
    rules: { ...DEFAULT_CONFIG.rules },
    effects: { unsafe: [...DEFAULT_CONFIG.effects.unsafe], idempotent: [...DEFAULT_CONFIG.effects.idempotent] },
    guards: DEFAULT_CONFIG.guards.map((guard) => ({ ...guard })),
    identityFields: [...DEFAULT_CONFIG.identityFields],
    semantics: { ...DEFAULT_CONFIG.semantics },
    ignore: [...DEFAULT_CONFIG.ignore],
  };
}

/** Sets a property even when the key is `__proto__`. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

function quote(text: string): string {
  return JSON.stringify(text);
}

/** A short rendering of a bad value for an error message. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 60 ? `${quote(value.slice(0, 57))}...` : quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value; // not in parsed JSON
}

/** The config file's path for messages: relative to cwd when inside it, else absolute. */
function displayPath(cwd: string, file: string): string {
  const relative = path.relative(path.resolve(cwd), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

// ---------------------------------------------------------------------------------------------
// A strict JSON parser with positions (JSON.parse does not always say where an error is).

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** How deep arrays and objects may nest in a config file (the parser recurses; a config needs 3). */
export const MAX_JSON_DEPTH = 64;

/** Parses strict JSON (RFC 8259, a leading BOM allowed); duplicate keys are an error. */
export function parseJson(text: string): unknown {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let depth = 0;

  const error = (message: string, at = pos): never => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(message, line, at - lineStart + 1);
  };
  const found = (): string => (pos >= text.length ? 'end of file' : JSON.stringify(text[pos]));

  const skipWhitespace = (): void => {
    while (pos < text.length) {
      const c = text[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') pos++;
      else if (c === '/' && (text[pos + 1] === '/' || text[pos + 1] === '*')) error('comments are not allowed in JSON');
      else break;
    }
  };

  const parseValue = (): unknown => {
    skipWhitespace();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (++depth > MAX_JSON_DEPTH) error(`nested more than ${MAX_JSON_DEPTH} levels deep`);
      const value = c === '{' ? parseObject() : parseArray();
      depth--;
      return value;
    }
    if (c === '"') return parseString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return parseNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    if (c === "'") return error('strings must use double quotes');
    return error(`expected a value, found ${found()}`);
  };

  const parseObject = (): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    pos++; // {
    skipWhitespace();
    if (text[pos] === '}') {
      pos++;
      return result;
    }
    for (;;) {
      skipWhitespace();
      if (text[pos] !== '"') {
        if (text[pos] === '}') error('trailing comma before "}"');
        error(`expected a property name in double quotes, found ${found()}`);
      }
      const keyAt = pos;
      const key = parseString();
      if (Object.prototype.hasOwnProperty.call(result, key)) error(`duplicate key ${JSON.stringify(key)}`, keyAt);
      skipWhitespace();
      if (text[pos] !== ':') error(`expected ":" after property name, found ${found()}`);
      pos++;
      setOwn(result, key, parseValue());
      skipWhitespace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === '}') {
        pos++;
        return result;
      }
      error(`expected "," or "}" after a property value, found ${found()}`);
    }
  };

  const parseArray = (): unknown[] => {
    const result: unknown[] = [];
    pos++; // [
    skipWhitespace();
    if (text[pos] === ']') {
      pos++;
      return result;
    }
    for (;;) {
      skipWhitespace();
      if (text[pos] === ']') error('trailing comma before "]"');
      result.push(parseValue());
      skipWhitespace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ']') {
        pos++;
        return result;
      }
      error(`expected "," or "]" after an array element, found ${found()}`);
    }
  };

  const parseString = (): string => {
    pos++; // opening quote
    let result = '';
    for (;;) {
      if (pos >= text.length) error('unterminated string');
      const c = text[pos];
      const code = text.charCodeAt(pos);
      if (c === '"') {
        pos++;
        return result;
      }
      if (code < 0x20)
        error(c === '\n' ? 'unterminated string (newline inside a string)' : 'control character inside a string');
      if (c !== '\\') {
        result += c;
        pos++;
        continue;
      }
      const escape = text[pos + 1];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (escape !== undefined && Object.prototype.hasOwnProperty.call(simple, escape)) {
        result += simple[escape];
        pos += 2;
      } else if (escape === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) error('invalid \\u escape in a string');
        result += String.fromCharCode(parseInt(hex, 16));
        pos += 6;
      } else {
        error(`invalid escape "\\${escape ?? ''}" in a string`);
      }
    }
  };

  const parseNumber = (): number => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(pos));
    if (!match) return error('invalid number');
    const after = text[pos + match[0].length];
    if (after !== undefined && /[0-9A-Za-z.]/.test(after)) error('invalid number', pos + match[0].length);
    pos += match[0].length;
    return Number(match[0]);
  };

  const value = parseValue();
  skipWhitespace();
  if (pos < text.length) error(`unexpected ${found()} after the end of the JSON value`);
  return value;
}
