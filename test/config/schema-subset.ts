/**
 * A validator for the part of JSON Schema draft-07 that schemas/delivery-lint.config.schema.json
 * uses, so the tests can run the same configs through the schema and through config.ts.
 * It throws on any keyword it does not know, so the schema cannot silently outgrow it.
 */
export type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'definitions', 'default', 'examples']);
const KEYWORDS = new Set([
  '$ref',
  'type',
  'enum',
  'properties',
  'additionalProperties',
  'required',
  'items',
  'oneOf',
  'minimum',
  'maximum',
  'minLength',
  'pattern',
  'propertyNames',
]);

export function schemaErrors(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(root, value, '$', errors);
  return errors;

  function resolve(ref: string): Schema {
    const match = /^#\/definitions\/([^/]+)$/.exec(ref);
    if (!match) throw new Error(`unsupported $ref ${ref}`);
    const target = (root.definitions as Record<string, Schema> | undefined)?.[match[1]];
    if (!target) throw new Error(`unresolved $ref ${ref}`);
    return target;
  }

  function check(schema: Schema, value: unknown, at: string, out: string[]): void {
    for (const key of Object.keys(schema)) {
      if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key))
        throw new Error(`schema-subset does not support "${key}" (at ${at})`);
    }
    if (typeof schema.$ref === 'string') check(resolve(schema.$ref), value, at, out);
    if (schema.type !== undefined && !hasType(value, schema.type as string))
      out.push(`${at}: not of type ${JSON.stringify(schema.type)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((option) => option === value)) out.push(`${at}: not in enum`);
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${at}: below minimum`);
      if (typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${at}: above maximum`);
    }
    if (typeof value === 'string') {
      if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) out.push(`${at}: too short`);
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
        out.push(`${at}: pattern`);
    }
    if (Array.isArray(value) && schema.items !== undefined) {
      value.forEach((item, index) => check(schema.items as Schema, item, `${at}[${index}]`, out));
    }
    if (isObject(value)) {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const required of (schema.required ?? []) as string[]) {
        if (!Object.prototype.hasOwnProperty.call(value, required)) out.push(`${at}: missing ${required}`);
      }
      for (const [key, item] of Object.entries(value)) {
        if (schema.propertyNames !== undefined) check(schema.propertyNames as Schema, key, `${at} key ${key}`, out);
        if (Object.prototype.hasOwnProperty.call(properties, key)) check(properties[key], item, `${at}.${key}`, out);
        else if (schema.additionalProperties === false) out.push(`${at}: additional property ${key}`);
        else if (isObject(schema.additionalProperties)) check(schema.additionalProperties, item, `${at}.${key}`, out);
      }
    }
    if (Array.isArray(schema.oneOf)) {
      const passing = schema.oneOf.filter((option) => {
        const inner: string[] = [];
        check(option as Schema, value, at, inner);
        return inner.length === 0;
      });
      if (passing.length !== 1) out.push(`${at}: matches ${passing.length} of oneOf`);
    }
  }
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      throw new Error(`unsupported type ${type}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
