/**
 * Dedup guards (docs/model.md, "Guards"): a check or claim keyed by the message whose outcome decides
 * whether the processing runs. Here: finding the guard call in an `if` condition and reading
 * which branch means "seen before".
 */
import { ts } from 'ts-morph';
import type { ResolvedConfig } from '../../config/resolved-config';
import { classifyChain, isInnerChainLink, type GuardSignal, type MatchContext } from '../effects';
import { MessageValues, containsFreshValue, mentionsIdentityProperty } from '../source/message-values';
import { calledName, isFunctionWithBody, receiverOf, symbolOf, unwrap, unwrapAwait } from '../source/ast';
import { calledFunction, typeName } from '../source/symbols';

export interface ConditionGuard {
  signal: GuardSignal;
  /** The call that checks or claims. */
  call: ts.Node;
  /** What a truthy condition means (for a state check: read from which side leaves, by the flow builder). */
  thenMeans: 'seen' | 'new';
  label: string;
  /**
   * A business-state check: the condition reads this property of a value loaded by the key
   * (`order.status === 'paid'`, `alert.triggeredAt >= periodStart`), not whether the value exists.
   */
  stateProperty?: string;
}

/**
 * Properties of a read's result that say whether something was found, not what state it is in.
 * (MongoDB's `acknowledged` is a write's result, never a read's: on a loaded record it is a state.)
 */
const EXISTENCE_PROPERTIES = new Set([
  'length',
  'size',
  'count',
  'Count',
  'rowCount',
  'affectedRows',
  'rows',
  'Items',
  'Item',
  'items',
  'data',
  'exists',
  'found',
  'matchedCount',
  'modifiedCount',
  'deletedCount',
  'upsertedCount',
]);

/**
 * The property of the guarded value a condition reads, when it reads one: `order.status` in
 * `order.status === 'paid'`, `rows[0].status`; undefined for `order`, `rows.length`, `!existing`.
 */
function statePropertyOf(anchor: ts.Node, condition: ts.Expression): string | undefined {
  let node: ts.Node = anchor;
  while (node !== condition && node.parent) {
    const parent: ts.Node = node.parent;
    if (ts.isAwaitExpression(parent) || ts.isParenthesizedExpression(parent) || ts.isNonNullExpression(parent)) {
      node = parent;
      continue;
    }
    if (ts.isPropertyAccessExpression(parent) && parent.expression === node) {
      if (!EXISTENCE_PROPERTIES.has(parent.name.text)) return parent.name.text;
      node = parent;
      continue;
    }
    if (ts.isElementAccessExpression(parent) && parent.expression === node) {
      const argument = parent.argumentExpression;
      if (ts.isStringLiteralLike(argument) && !EXISTENCE_PROPERTIES.has(argument.text)) return argument.text;
      node = parent;
      continue;
    }
    return undefined;
  }
  return undefined;
}

export interface GuardJudgement {
  keyedByIdentity: boolean;
  invalidReason?: string;
}

/** What identifies a message of a library (docs/model.md, "Message identity"). */
export interface IdentityRules {
  /** Properties holding the broker's message ID (`offset`, `messageId`, `MessageId`…). */
  idProperties: readonly string[];
  /** Message properties that look like an ID but are not unique per event (Kafka's `key`). */
  nonUniqueProperties: readonly string[];
  /** Properties that change on every delivery (SQS `ReceiptHandle`, AMQP `deliveryTag`): never an identity. */
  perDeliveryProperties?: readonly string[];
}

/** Per-delivery handles of every broker: a redelivery carries a new one, so they identify nothing. */
const PER_DELIVERY = [
  'ReceiptHandle',
  'receiptHandle',
  'deliveryTag',
  'redelivered',
  'deliverySequence',
  'deliveryCount',
  'deliveryAttempt',
  'attemptsMade',
  'lockToken',
  'ackId',
];

/** Judges a guard's key against the caller's message values and the identity config. */
export function judgeGuardKey(
  signal: GuardSignal,
  values: MessageValues,
  config: ResolvedConfig,
  checker: ts.TypeChecker,
  identity: IdentityRules,
): GuardJudgement {
  if (signal.invalidReason) return { keyedByIdentity: false, invalidReason: signal.invalidReason };
  const key = signal.key;
  if (!key) return { keyedByIdentity: false, invalidReason: 'its key could not be read' };
  if (containsFreshValue(key, checker)) {
    return {
      keyedByIdentity: false,
      invalidReason:
        'its key is made fresh on every delivery (randomUUID(), Date.now(), a counter), so a redelivery never matches it',
    };
  }
  if (!values.derivesFrom(key))
    return {
      keyedByIdentity: false,
      invalidReason: 'its key does not come from the message, so it cannot recognise a redelivery',
    };
  const perDelivery = [...PER_DELIVERY, ...(identity.perDeliveryProperties ?? [])];
  if (!values.derivesExcluding(key, new Set(perDelivery))) {
    return {
      keyedByIdentity: false,
      invalidReason:
        'its key is a per-delivery handle (receipt handle, delivery tag), which a redelivery replaces, so it never matches',
    };
  }
  const nonUnique = identity.nonUniqueProperties.filter((property) => !(property === 'key' && config.kafkaKeysUnique));
  if (nonUnique.length && !values.derivesExcluding(key, new Set(nonUnique))) {
    return {
      keyedByIdentity: false,
      invalidReason: `its key is the message's ${nonUnique.join('/')}, which many events share (a partition key); set "kafkaKeysUnique": true if yours are unique per event`,
    };
  }
  if (
    config.identity === 'message-id' &&
    !mentionsIdentityProperty(key, [...identity.idProperties, ...config.identityFields], checker)
  ) {
    return {
      keyedByIdentity: false,
      invalidReason: 'its key is not the broker message ID or a configured identity field ("identity": "message-id")',
    };
  }
  return { keyedByIdentity: true };
}

/** A check against process memory (`seen.has(id)`): lost on the restart that causes the redelivery. */
function inMemoryCheck(call: ts.CallExpression, checker: ts.TypeChecker): GuardSignal | undefined {
  const method = calledName(call);
  if (method !== 'has' && method !== 'includes' && method !== 'get') return undefined;
  const receiver = receiverOf(call);
  if (!receiver) return undefined;
  const type = typeName(receiver, checker);
  let inMemory = type === 'Set' || type === 'Map' || type === 'WeakSet' || type === 'WeakMap' || type === 'Array';
  if (!inMemory) {
    try {
      const declaration = checker.getSymbolAtLocation(
        ts.isPropertyAccessExpression(receiver) ? receiver.name : receiver,
      )?.valueDeclaration;
      const init =
        declaration && (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration))
          ? declaration.initializer
          : undefined;
      if (init) {
        const value = unwrap(init);
        inMemory =
          (ts.isNewExpression(value) && /^(Set|Map|WeakSet|WeakMap)$/.test(value.expression.getText())) ||
          ts.isArrayLiteralExpression(value);
      }
    } catch {
      inMemory = false;
    }
  }
  if (!inMemory || (method === 'get' && type !== 'Map')) return undefined;
  return {
    kind: 'check',
    key: call.arguments[0],
    truthyMeans: 'seen',
    invalidReason:
      'it checks an in-memory collection, which is empty again after the restart that causes the redelivery',
  };
}

/** A function the config names as a guard. */
function configuredGuard(call: ts.CallExpression, config: ResolvedConfig): GuardSignal | undefined {
  const name = calledName(call);
  const entry = config.guards.find((guard) => guard.name === name);
  if (!entry) return undefined;
  let returns = entry.returns;
  if (returns === 'wrapper') {
    // A guard named without a result sense, used as a condition: read the sense from its name.
    if (/claim|acquire|lock|^try|^mark|^record|^reserve|first/i.test(name ?? '')) returns = 'new';
    else if (/^(is|has|was|already|seen|exists)|processed|duplicate|seen|handled/i.test(name ?? '')) returns = 'seen';
    else return undefined;
  }
  return {
    kind: returns === 'new' ? 'claim' : 'check',
    key: call.arguments[entry.keyArgument],
    truthyMeans: returns === 'new' ? 'new' : 'seen',
  };
}

type GuardSummary = { signal: Omit<GuardSignal, 'key'> & { keyParameter: number }; label: string } | null;

/**
 * Per checker, then per function: what a function resolves to depends on the rest of the program
 * (the server's program changes under unchanged files; the CLI's grows as it loads what it reaches).
 */
const returnsGuardCache = new WeakMap<ts.TypeChecker, WeakMap<ts.Node, GuardSummary>>();

function guardSummaries(checker: ts.TypeChecker): WeakMap<ts.Node, GuardSummary> {
  let summaries = returnsGuardCache.get(checker);
  if (!summaries) {
    summaries = new WeakMap();
    returnsGuardCache.set(checker, summaries);
  }
  return summaries;
}

/**
 * A project function that returns a guard's result, e.g. `isProcessed(id)` returning
 * `(await redis.exists(key(id))) === 1`. Its key is traced to one of its parameters.
 */
function projectGuard(
  call: ts.CallExpression,
  context: MatchContext,
  depth: number,
): { signal: GuardSignal; label: string } | undefined {
  const fn = calledFunction(call, context.checker);
  if (!fn || depth > 3) return undefined;
  const summaries = guardSummaries(context.checker);
  let summary = summaries.get(fn);
  if (summary === undefined) {
    summary = null;
    const values = new MessageValues(context.checker);
    fn.parameters.forEach((parameter) => values.addBinding(parameter.name));
    values.propagateThrough(fn.body);
    const calleeContext: MatchContext = { ...context, values };
    const returned: ts.Expression[] = [];
    if (ts.isBlock(fn.body)) {
      const visit = (node: ts.Node): void => {
        if (ts.isReturnStatement(node) && node.expression) returned.push(node.expression);
        if (!ts.isFunctionLike(node)) ts.forEachChild(node, visit);
      };
      ts.forEachChild(fn.body, visit);
    } else {
      returned.push(fn.body);
    }
    for (const expression of returned) {
      const found = findConditionGuard(expression, calleeContext, depth + 1);
      // A state the helper returns (`return order.status`) says nothing of its sense by itself.
      if (!found?.signal.key || found.stateProperty) continue;
      const keyParameter = fn.parameters.findIndex((parameter) => {
        const single = new MessageValues(context.checker);
        single.addBinding(parameter.name);
        single.propagateThrough(fn.body);
        return single.derivesFrom(found.signal.key!);
      });
      if (keyParameter < 0) continue;
      summary = {
        signal: {
          kind: found.signal.kind,
          truthyMeans: found.thenMeans,
          invalidReason: found.signal.invalidReason,
          keyParameter,
        },
        label: `${calledName(call)}() (${found.label})`,
      };
      break;
    }
    summaries.set(fn, summary);
  }
  if (!summary) return undefined;
  const { keyParameter, ...signal } = summary.signal;
  return { signal: { ...signal, key: call.arguments[keyParameter] }, label: summary.label };
}

/** A method name that says it loads (`findUpload`, `getOrder`, `load`, `fetchState`). */
const LOAD_NAME = /^(get|find|load|fetch|read|lookup|retrieve)([A-Z_$\d]|$)/;

/**
 * A load the analysis cannot see into (docs/model.md, "Guards"): a method call that nothing
 * classifies, that resolves to no function of the project (a client decorated onto a framework
 * object, an untyped parameter) nor to the standard library (`items.find(…)`, `map.get(…)` are
 * memory), whose name says it loads, keyed by an argument derived from the message that is not a
 * callback. It is a check only of a state of what it loaded (`if (upload.notifiedAt) return`):
 * whether such a call found something says nothing of what it does.
 */
function loadOfCall(
  call: ts.CallExpression,
  context: MatchContext,
): { signal: GuardSignal; label: string } | undefined {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !LOAD_NAME.test(callee.name.text)) return undefined;
  const key = call.arguments.find(
    (argument) => !ts.isFunctionLike(unwrap(argument)) && context.values.derivesFrom(argument),
  );
  if (!key) return undefined;
  const declarations = symbolOf(callee.name, context.checker)?.declarations ?? [];
  if (declarations.some((declaration) => declaration.getSourceFile().hasNoDefaultLib)) return undefined;
  if (calledFunction(call, context.checker) || classifyChain(call, context)) return undefined;
  return { signal: { kind: 'check', key, truthyMeans: 'seen' }, label: `${callee.getText().slice(0, 60)}()` };
}

/** The guard signal of a single call, if it is one. */
function guardOfCall(
  call: ts.CallExpression,
  context: MatchContext,
  depth = 0,
): { signal: GuardSignal; label: string } | undefined {
  const configured = configuredGuard(call, context.config);
  if (configured) return { signal: configured, label: `${calledName(call)}()` };
  const memory = inMemoryCheck(call, context.checker);
  if (memory) return { signal: memory, label: `${call.expression.getText()}()` };
  const classified = classifyChain(call, context);
  if (classified?.guard) return { signal: classified.guard, label: classified.description.label };
  return projectGuard(call, context, depth);
}

/**
 * Finds the guard a condition tests and what a truthy condition means. Handles the call inline
 * (`if (await redis.exists(k))`) and through a variable (`const claimed = await redis.set(…NX)`).
 */
export function findConditionGuard(
  condition: ts.Expression,
  context: MatchContext,
  depth = 0,
): ConditionGuard | undefined {
  // `const alreadySent = order.sentAt && order.sentAt >= start; if (!alreadySent) …`: the test the const holds.
  const held = depth < 4 ? heldTest(condition, context.checker) : undefined;
  if (held) {
    const inner = findConditionGuard(held.test, context, depth + 1);
    if (inner) return held.negated ? { ...inner, thenMeans: inner.thenMeans === 'seen' ? 'new' : 'seen' } : inner;
  }
  type Found = { call: ts.CallExpression; signal: GuardSignal; label: string; anchor: ts.Node; loadOnly?: boolean };
  let found: Found | undefined;
  let state: { found: Found; property: string } | undefined;
  // `item && evt.at <= item.sentAt`: a state read of the value wins over the test of its existence.
  const consider = (candidate: Found): boolean => {
    const property = candidate.signal.kind === 'check' ? statePropertyOf(candidate.anchor, condition) : undefined;
    if (property) {
      state = { found: candidate, property };
      return true;
    }
    if (!candidate.loadOnly) found ??= candidate;
    return false;
  };
  const visit = (node: ts.Node): void => {
    if (state || ts.isFunctionLike(node)) return;
    if (ts.isCallExpression(node) && !isInnerChainLink(node)) {
      const guard = guardOfCall(node, context, depth);
      if (guard) {
        consider({ call: node, ...guard, anchor: node });
        return;
      }
      const load = loadOfCall(node, context);
      if (load) {
        consider({ call: node, ...load, anchor: node, loadOnly: true });
        return;
      }
    }
    if (ts.isIdentifier(node)) {
      const fromVariable = guardFromVariable(node, context, depth);
      if (fromVariable) {
        consider({ ...fromVariable, anchor: node });
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(condition);
  // A read's result checked for a state, not for existence: the flow builder reads which side skips.
  if (state)
    return {
      signal: state.found.signal,
      call: state.found.call,
      label: state.found.label,
      thenMeans: 'seen',
      stateProperty: state.property,
    };
  if (!found) return undefined;
  const polarity = polarityOf(found.anchor, condition);
  if (polarity === undefined) return undefined;
  const truthyIsSeen = found.signal.truthyMeans === 'seen';
  return {
    signal: found.signal,
    call: found.call,
    label: found.label,
    thenMeans: polarity > 0 === truthyIsSeen ? 'seen' : 'new',
  };
}

/** A condition that is a `const` (negated or not) holding a test (`&&`, `||`, a comparison, a `!`) or a state read (`row.sentAt`). */
function heldTest(
  condition: ts.Expression,
  checker: ts.TypeChecker,
): { test: ts.Expression; negated: boolean } | undefined {
  let value = unwrap(condition);
  let negated = false;
  while (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.ExclamationToken) {
    negated = !negated;
    value = unwrap(value.operand);
  }
  const initializer = ts.isIdentifier(value) ? constInitializer(value, checker) : undefined;
  if (!initializer) return undefined;
  const test = unwrap(initializer);
  // `const sent = row.Item?.SentAt ?? false`: a state read, whatever falsy default it falls back to.
  const read = falsyDefault(test) ? unwrap(test.left) : test;
  const isTest =
    (ts.isBinaryExpression(test) && TEST_OPERATORS.has(test.operatorToken.kind)) ||
    (ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken) ||
    ts.isPropertyAccessExpression(read) ||
    ts.isElementAccessExpression(read);
  return isTest ? { test, negated } : undefined;
}

const TEST_OPERATORS: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.AmpersandAmpersandToken,
  ts.SyntaxKind.BarBarToken,
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
]);

function guardFromVariable(
  identifier: ts.Identifier,
  context: MatchContext,
  depth: number,
): { call: ts.CallExpression; signal: GuardSignal; label: string; loadOnly?: boolean } | undefined {
  let declaration: ts.Declaration | undefined;
  try {
    declaration = context.checker.getSymbolAtLocation(identifier)?.valueDeclaration;
  } catch {
    return undefined;
  }
  if (!declaration) return undefined;
  let holder: ts.Node = declaration;
  // const { rowCount } = await client.query(...); const [existing] = await …
  while (ts.isBindingElement(holder)) holder = holder.parent.parent;
  if (!ts.isVariableDeclaration(holder)) return undefined;
  // for (const alert of org.alerts): an item of what was loaded is loaded too.
  const loop = holder.parent.parent;
  const source = holder.initializer ?? (ts.isForOfStatement(loop) ? loop.expression : undefined);
  if (!source) return undefined;
  let value = unwrapAwait(source);
  // const item = (await ddb.send(new GetCommand(…))).Item; const row = result.rows[0];
  // const upload = JSON.parse(stored ?? '{}'): what was loaded, decoded (the fallback is a default text).
  for (;;) {
    // `org.alerts` of `const org = { ...toOrg(row), alerts: row.alerts }`: the property's value.
    const assigned = ts.isPropertyAccessExpression(value) ? literalProperty(value, context.checker) : undefined;
    if (assigned) value = unwrapAwait(assigned);
    else if (ts.isPropertyAccessExpression(value) || ts.isElementAccessExpression(value)) {
      value = unwrapAwait(value.expression);
    } else if (falsyDefault(value)) {
      // `row.Item?.Processed ?? false`: a falsy default tests as the value it stands in for.
      value = unwrapAwait(value.left);
    } else if (isJsonParse(value)) {
      value = unwrapAwait(value.arguments[0]);
      if (
        ts.isBinaryExpression(value) &&
        (value.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
          value.operatorToken.kind === ts.SyntaxKind.BarBarToken)
      )
        value = unwrapAwait(value.left);
    } else break;
  }
  if (ts.isIdentifier(value) && value !== identifier && depth < 4) return guardFromVariable(value, context, depth + 1);
  if (!ts.isCallExpression(value)) return undefined;
  const guard = guardOfCall(value, context, depth);
  if (guard) return { call: value, ...guard };
  const load = loadOfCall(value, context);
  return load && { call: value, ...load, loadOnly: true };
}

/** What a `const` is initialised with. */
function constInitializer(name: ts.Identifier, checker: ts.TypeChecker): ts.Expression | undefined {
  let declaration: ts.Declaration | undefined;
  try {
    declaration = checker.getSymbolAtLocation(name)?.valueDeclaration;
  } catch {
    return undefined;
  }
  if (!declaration || !ts.isVariableDeclaration(declaration)) return undefined;
  return ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const ? declaration.initializer : undefined;
}

/** The value a `const`'s object literal gives a property (`org.alerts` of `const org = { alerts: … }`). */
function literalProperty(access: ts.PropertyAccessExpression, checker: ts.TypeChecker): ts.Expression | undefined {
  const holder = unwrap(access.expression);
  const initializer = ts.isIdentifier(holder) ? constInitializer(holder, checker) : undefined;
  if (!initializer) return undefined;
  const literal = unwrap(initializer);
  if (!ts.isObjectLiteralExpression(literal)) return undefined;
  const property = literal.properties.find(
    (candidate): candidate is ts.PropertyAssignment =>
      ts.isPropertyAssignment(candidate) && candidate.name.getText() === access.name.text,
  );
  return property?.initializer;
}

/** `x ?? false`, `x || null`: a default that is falsy, so the whole is truthy exactly when `x` is. */
function falsyDefault(node: ts.Expression): node is ts.BinaryExpression {
  if (!ts.isBinaryExpression(node)) return false;
  const operator = node.operatorToken.kind;
  if (operator !== ts.SyntaxKind.QuestionQuestionToken && operator !== ts.SyntaxKind.BarBarToken) return false;
  const fallback = unwrap(node.right);
  return (
    fallback.kind === ts.SyntaxKind.FalseKeyword ||
    fallback.kind === ts.SyntaxKind.NullKeyword ||
    (ts.isIdentifier(fallback) && fallback.text === 'undefined') ||
    (ts.isNumericLiteral(fallback) && Number(fallback.text) === 0) ||
    (ts.isStringLiteral(fallback) && fallback.text === '')
  );
}

/** `JSON.parse(text)`, with its text. */
function isJsonParse(node: ts.Expression): node is ts.CallExpression & { arguments: [ts.Expression] } {
  return (
    ts.isCallExpression(node) &&
    node.arguments.length >= 1 &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === 'parse' &&
    ts.isIdentifier(node.expression.expression) &&
    node.expression.expression.text === 'JSON'
  );
}

/**
 * +1 when `condition` is truthy exactly when the guard value is truthy, -1 when inverted,
 * undefined when the relation cannot be read.
 */
function polarityOf(anchor: ts.Node, condition: ts.Expression): number | undefined {
  let sign = 1;
  let node: ts.Node = anchor;
  while (node !== condition) {
    const parent: ts.Node | undefined = node.parent;
    if (!parent) return undefined;
    if (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) {
      sign = -sign;
    } else if (ts.isBinaryExpression(parent)) {
      const operator = parent.operatorToken.kind;
      const other = parent.left === node ? parent.right : parent.left;
      if (
        operator === ts.SyntaxKind.AmpersandAmpersandToken ||
        operator === ts.SyntaxKind.BarBarToken ||
        operator === ts.SyntaxKind.QuestionQuestionToken
      ) {
        // `!msg || seen` keeps the guard's sense on its side of the operator.
      } else {
        const comparison = compareSign(operator, parent.left === node ? other : other, parent.left !== node);
        if (comparison === undefined) return undefined;
        sign *= comparison;
      }
    } else if (
      !ts.isParenthesizedExpression(parent) &&
      !ts.isAwaitExpression(parent) &&
      !ts.isPropertyAccessExpression(parent) &&
      !ts.isElementAccessExpression(parent) &&
      !ts.isNonNullExpression(parent) &&
      !ts.isAsExpression(parent) &&
      !(ts.isCallExpression(parent) && ts.isIdentifier(parent.expression) && parent.expression.text === 'Boolean')
    ) {
      if (ts.isCallExpression(parent) && parent.expression === node) {
        // calling a property of the value, e.g. rows.some(...): keeps the sense
      } else {
        return undefined;
      }
    }
    node = parent;
  }
  return sign;
}

/** Sign of `value <op> other`: +1 if truthy when value is truthy (non-empty, 'OK', > 0). */
function compareSign(operator: ts.SyntaxKind, other: ts.Expression, valueOnRight: boolean): number | undefined {
  const literal = unwrap(other);
  const falsy =
    literal.kind === ts.SyntaxKind.NullKeyword ||
    literal.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isIdentifier(literal) && literal.text === 'undefined') ||
    (ts.isNumericLiteral(literal) && Number(literal.text) === 0) ||
    (ts.isStringLiteralLike(literal) && literal.text === '');
  const truthy =
    literal.kind === ts.SyntaxKind.TrueKeyword ||
    (ts.isNumericLiteral(literal) && Number(literal.text) > 0) ||
    (ts.isStringLiteralLike(literal) && literal.text !== '');
  switch (operator) {
    case ts.SyntaxKind.EqualsEqualsEqualsToken:
    case ts.SyntaxKind.EqualsEqualsToken:
      return falsy ? -1 : truthy ? 1 : undefined;
    case ts.SyntaxKind.ExclamationEqualsEqualsToken:
    case ts.SyntaxKind.ExclamationEqualsToken:
      return falsy ? 1 : truthy ? -1 : undefined;
    case ts.SyntaxKind.GreaterThanToken:
    case ts.SyntaxKind.GreaterThanEqualsToken:
      return valueOnRight ? -1 : ts.isNumericLiteral(literal) ? 1 : undefined;
    case ts.SyntaxKind.LessThanToken:
    case ts.SyntaxKind.LessThanEqualsToken:
      return valueOnRight ? 1 : ts.isNumericLiteral(literal) ? -1 : undefined;
    default:
      return undefined;
  }
}

/** The callback a wrapper guard runs at most once per key: config wrappers and Powertools. */
export function wrapperGuard(
  call: ts.CallExpression,
  config: ResolvedConfig,
): { key?: ts.Expression; callback: ts.Node; label: string } | undefined {
  const name = calledName(call);
  const entry = config.guards.find((guard) => guard.name === name && guard.returns === 'wrapper');
  if (!entry) return undefined;
  const callback = call.arguments.find(
    (argument, index) => index !== entry.keyArgument && isFunctionWithBody(unwrap(argument)),
  );
  if (!callback) return undefined;
  return { key: call.arguments[entry.keyArgument], callback: unwrap(callback), label: `${name}()` };
}
