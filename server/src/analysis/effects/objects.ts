/** Reading option objects passed to effect calls: `{ data: { id } }`, `{ idempotencyKey }`. */
import { ts } from 'ts-morph';
import { staticText, unwrap } from '../source/ast';
import type { MatchContext } from './matcher';

/** Property names that hold a record's key or an API's dedup key. */
const KEY_PROPERTIES = new Set([
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
  checker: ts.TypeChecker,
): ts.ObjectLiteralExpression | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) return value;
  if (ts.isIdentifier(value)) {
    try {
      const declaration = checker.getSymbolAtLocation(value)?.valueDeclaration;
      if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
        const init = unwrap(declaration.initializer);
        if (ts.isObjectLiteralExpression(init)) return init;
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
  checker: ts.TypeChecker,
  depth = 0,
): ts.Expression | undefined {
  const object = objectLiteral(expression, checker);
  if (!object || depth > 5) return undefined;
  for (const property of object.properties) {
    const name = propertyKeyName(property);
    if (name !== undefined && predicate(name)) {
      if (ts.isPropertyAssignment(property)) return property.initializer;
      if (ts.isShorthandPropertyAssignment(property)) return property.name;
    }
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
  checker: ts.TypeChecker,
): boolean {
  return findProperty(expression, (name) => names.includes(name), checker) !== undefined;
}

/** The top-level property's value of an object argument. */
export function topProperty(
  expression: ts.Expression | undefined,
  name: string,
  checker: ts.TypeChecker,
): ts.Expression | undefined {
  const object = objectLiteral(expression, checker);
  if (!object) return undefined;
  for (const property of object.properties) {
    if (propertyKeyName(property) !== name) continue;
    if (ts.isPropertyAssignment(property)) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property)) return property.name;
  }
  return undefined;
}

/**
 * Whether a record or request is keyed by the message: a key-like property (id, eventId,
 * idempotencyKey, the config's identity fields…) whose value is the message's identity.
 */
export function keyedByMessage(expression: ts.Expression | undefined, context: MatchContext): boolean {
  const names = new Set([...KEY_PROPERTIES, ...context.config.identityFields]);
  const value = findProperty(expression, (name) => names.has(name), context.checker);
  return !!value && context.values.isIdentityKey(value);
}

/** Whether a key-like property is given a value made fresh per delivery (`id: randomUUID()`). */
export function keyedFresh(expression: ts.Expression | undefined, context: MatchContext): ts.Expression | undefined {
  const value = findProperty(expression, (name) => KEY_PROPERTIES.has(name), context.checker);
  return value && !context.values.derivesFrom(value) ? value : undefined;
}

/** An HTTP method string from `{ method: 'POST' }`. */
export function methodOption(expression: ts.Expression | undefined, checker: ts.TypeChecker): string | undefined {
  const value = topProperty(expression, 'method', checker);
  return staticText(value, checker)?.toUpperCase();
}

/** The class name of `new X(...)` passed as the argument (`send(new SendMessageCommand({...}))`). */
export function commandOf(
  expression: ts.Expression | undefined,
  checker: ts.TypeChecker,
): { name: string; input?: ts.Expression } | undefined {
  if (!expression) return undefined;
  let value = unwrap(expression);
  if (ts.isIdentifier(value)) {
    try {
      const declaration = checker.getSymbolAtLocation(value)?.valueDeclaration;
      if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer)
        value = unwrap(declaration.initializer);
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
