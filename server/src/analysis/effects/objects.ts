/** Reading option objects passed to effect calls: `{ data: { id } }`, `{ idempotencyKey }`. */
import { ts } from 'ts-morph';
import { assignedValue, staticText, symbolOf, unwrap } from '../source/ast';
import type { MessageValues } from '../source/message-values';
import type { MatchContext } from './matcher';

/**
 * What reading an option object needs: the checker, and (from a matcher's context) the message
 * values, through which a parameter is read as the argument its caller passed.
 */
export type ObjectReader = ts.TypeChecker | { checker: ts.TypeChecker; values?: MessageValues };

function readerParts(reader: ObjectReader): { checker: ts.TypeChecker; values?: MessageValues } {
  return 'getTypeAtLocation' in reader ? { checker: reader } : reader;
}

/**
 * The expression a value stands for: a `const` initialiser in scope, or the argument the caller
 * passed for a parameter (a helper forwarding its `args`).
 */
export function resolveValue(expression: ts.Expression | undefined, reader: ObjectReader): ts.Expression | undefined {
  if (!expression) return undefined;
  const { checker, values } = readerParts(reader);
  let value = unwrap(expression);
  for (let depth = 0; depth < 6 && ts.isIdentifier(value); depth++) {
    let next: ts.Expression | undefined;
    try {
      const declaration = symbolOf(value, checker)?.valueDeclaration;
      if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
        const list = declaration.parent;
        if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const) next = declaration.initializer;
      } else if (declaration && ts.isParameter(declaration)) next = values?.argumentFor(value);
    } catch {
      return value;
    }
    if (!next) break;
    value = unwrap(next);
  }
  return value;
}

/** Property names that hold a record's key or an API's dedup key. */
export const KEY_NAMES: ReadonlySet<string> = new Set([
  'id',
  '_id',
  'eventId',
  'event_id',
  'messageId',
  'message_id',
  'idempotencyKey',
  'idempotency_key',
  'dedupKey',
  'dedupeKey',
  'deduplicationId',
  'MessageDeduplicationId',
  'jobId',
  'transactionId',
  'identifier',
  'pk',
  'PK',
  'key',
  'Key',
]);

/** The object literal an expression is (or a const it reads holds). */
export function objectLiteral(
  expression: ts.Expression | undefined,
  reader: ObjectReader,
): ts.ObjectLiteralExpression | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) return value;
  if (ts.isIdentifier(value)) {
    const { checker, values } = readerParts(reader);
    try {
      const declaration = symbolOf(value, checker)?.valueDeclaration;
      if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
        const init = unwrap(declaration.initializer);
        if (ts.isObjectLiteralExpression(init)) return init;
      }
      if (declaration && ts.isParameter(declaration) && values) {
        const passed = resolveValue(value, reader);
        if (passed && passed !== value && ts.isObjectLiteralExpression(passed)) return passed;
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function propertyKeyName(property: ts.ObjectLiteralElementLike): string | undefined {
  const name = property.name;
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

/** Finds a property anywhere in nested object literals: `{ data: { amount: { increment: 1 } } }`. */
export function findProperty(
  expression: ts.Expression | undefined,
  predicate: (name: string) => boolean,
  checker: ObjectReader,
  depth = 0,
): ts.Expression | undefined {
  const object = objectLiteral(expression, checker);
  if (!object || depth > 5) return undefined;
  for (const property of object.properties) {
    const name = propertyKeyName(property);
    const value = name !== undefined && predicate(name) ? assignedValue(property) : undefined;
    if (value) return value;
    if (ts.isPropertyAssignment(property)) {
      const nested = findProperty(property.initializer, predicate, checker, depth + 1);
      if (nested) return nested;
    }
    if (ts.isSpreadAssignment(property)) {
      const nested = findProperty(property.expression, predicate, checker, depth + 1);
      if (nested) return nested;
    }
  }
  return undefined;
}

export function hasProperty(
  expression: ts.Expression | undefined,
  names: readonly string[],
  checker: ObjectReader,
): boolean {
  return findProperty(expression, (name) => names.includes(name), checker) !== undefined;
}

/** The top-level property's value of an object argument. */
export function topProperty(
  expression: ts.Expression | undefined,
  name: string,
  checker: ObjectReader,
): ts.Expression | undefined {
  const object = objectLiteral(expression, checker);
  if (!object) return undefined;
  for (const property of object.properties) {
    const value = propertyKeyName(property) === name ? assignedValue(property) : undefined;
    if (value) return value;
  }
  return undefined;
}

/**
 * Whether a record or request is keyed by the message: a key-like property (id, eventId,
 * idempotencyKey, the config's identity fields…) whose value is the message's identity.
 */
export function keyedByMessage(expression: ts.Expression | undefined, context: MatchContext): boolean {
  const names = new Set([...KEY_NAMES, ...context.config.identityFields]);
  // The record's own fields only: a nested `connect: { id }` or `customer: { id }` is another row's key.
  const value = findOwnProperty(expression, (name) => names.has(name), context);
  return !!value && context.values.isIdentityKey(value);
}

/** A property of the object itself (spreads included), not of objects nested in it. */
export function findOwnProperty(
  expression: ts.Expression | undefined,
  predicate: (name: string) => boolean,
  reader: ObjectReader,
  depth = 0,
): ts.Expression | undefined {
  const object = objectLiteral(expression, reader);
  if (!object || depth > 4) return undefined;
  for (const property of object.properties) {
    const name = propertyKeyName(property);
    const value = name !== undefined && predicate(name) ? assignedValue(property) : undefined;
    if (value) return value;
    if (ts.isSpreadAssignment(property)) {
      const nested = findOwnProperty(property.expression, predicate, reader, depth + 1);
      if (nested) return nested;
    }
  }
  return undefined;
}

/** Whether a key-like property is given a value made fresh per delivery (`id: randomUUID()`). */
export function keyedFresh(expression: ts.Expression | undefined, context: MatchContext): ts.Expression | undefined {
  const value = findOwnProperty(expression, (name) => KEY_NAMES.has(name), context);
  return value && !context.values.derivesFrom(value) ? value : undefined;
}

/**
 * The value an object gives a property, spreads included, the last one winning as at run time:
 * `{ ...options, headers }` gives `method` from `options`. A spread that cannot be read is passed
 * over, as a property outside any literal is.
 */
export function ownPropertyValue(
  expression: ts.Expression | undefined,
  name: string,
  reader: ObjectReader,
  depth = 0,
): ts.Expression | undefined {
  const object = objectLiteral(expression, reader);
  if (!object || depth > 4) return undefined;
  for (const property of [...object.properties].reverse()) {
    const value = propertyKeyName(property) === name ? assignedValue(property) : undefined;
    if (value) return value;
    if (ts.isSpreadAssignment(property)) {
      const spread = ownPropertyValue(property.expression, name, reader, depth + 1);
      if (spread) return spread;
    }
  }
  return undefined;
}

/**
 * The text a value is known to hold: a literal or a const, the argument the caller passed for a
 * parameter, or a property read of an object literal those lead to (`options.method` in a
 * request wrapper whose caller passed `{ method: 'POST', ...options }`).
 */
export function staticValue(
  expression: ts.Expression | undefined,
  reader: ObjectReader,
  depth = 0,
): string | undefined {
  const value = resolveValue(expression, reader);
  if (!value) return undefined;
  const text = staticText(value, readerParts(reader).checker);
  if (text !== undefined || depth > 4 || !ts.isPropertyAccessExpression(value)) return text;
  return staticValue(ownPropertyValue(value.expression, value.name.text, reader), reader, depth + 1);
}

/**
 * The HTTP method of a request's options (`{ method: 'POST' }`), read through consts, spreads
 * and a wrapper's parameters: GET when the options name none, undefined when they name one that
 * is not known.
 */
export function requestMethod(options: ts.Expression | undefined, reader: ObjectReader): string | undefined {
  const method = ownPropertyValue(options, 'method', reader);
  if (!method) return 'GET';
  return staticValue(method, reader)?.toUpperCase();
}

/** The class name of `new X(...)` passed as the argument (`send(new SendMessageCommand({...}))`). */
export function commandOf(
  expression: ts.Expression | undefined,
  reader: ObjectReader,
): { name: string; input?: ts.Expression } | undefined {
  if (!expression) return undefined;
  let value = unwrap(expression);
  if (ts.isIdentifier(value)) {
    const { checker } = readerParts(reader);
    try {
      const declaration = checker.getSymbolAtLocation(value)?.valueDeclaration;
      if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer)
        value = unwrap(declaration.initializer);
      else if (declaration && ts.isParameter(declaration)) value = resolveValue(value, reader) ?? value;
    } catch {
      return undefined;
    }
  }
  if (!ts.isNewExpression(value)) return undefined;
  const callee = unwrap(value.expression);
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : undefined;
  return name ? { name, input: value.arguments?.[0] } : undefined;
}

/** Whether any string-literal argument or `{ NX: true }` option asks Redis for set-if-absent. */
export function hasNxOption(args: readonly ts.Expression[], checker: ts.TypeChecker): boolean {
  return args.some((argument) => {
    const text = staticText(argument, checker);
    if (text && text.toUpperCase() === 'NX') return true;
    return hasProperty(argument, ['NX', 'nx'], checker);
  });
}

/** A literal a state column is compared with or set to: `'PENDING'`, `2`, `true`, `null`. */
function literalText(expression: ts.Expression | undefined): string | undefined {
  if (!expression) return undefined;
  if (ts.isStringLiteralLike(expression) || ts.isNumericLiteral(expression)) return expression.text;
  if (expression.kind === ts.SyntaxKind.TrueKeyword) return 'true';
  if (expression.kind === ts.SyntaxKind.FalseKeyword) return 'false';
  if (expression.kind === ts.SyntaxKind.NullKeyword) return 'null';
  // Status.Pending: an enum member names its value.
  if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression)) return expression.getText();
  return undefined;
}

/**
 * A conditional update that moves one record keyed by the message out of a state, `where: { id,
 * status: 'PENDING' }` with `data: { status: 'SENDING' }`: only one delivery matches it, so its
 * count says whether this delivery claimed the record (docs/model.md, "Guards"). The filter, as
 * the claim's key; undefined when the update is not such a transition.
 */
export function conditionalClaimKey(
  filter: ts.Expression | undefined,
  changes: ts.Expression | undefined,
  context: MatchContext,
): ts.Expression | undefined {
  const where = objectLiteral(filter, context);
  const set = objectLiteral(changes, context);
  if (!where || !set || !context.values.isIdentityKey(where)) return undefined;
  const keyed = where.properties.some(
    (property) => ts.isPropertyAssignment(property) && context.values.isIdentityKey(property.initializer),
  );
  if (!keyed) return undefined;
  const transition = where.properties.some((property) => {
    if (!ts.isPropertyAssignment(property)) return false;
    const name = propertyKeyName(property);
    const from = literalText(property.initializer);
    if (name === undefined || from === undefined || context.values.derivesFrom(property.initializer)) return false;
    const to = literalText(
      topProperty(set, name, context) ?? topProperty(topProperty(set, '$set', context), name, context),
    );
    return to !== undefined && to !== from;
  });
  return transition ? filter : undefined;
}
