/**
 * Message identity (docs/model.md, "Message identity"): which values in a handler come from the message, and so stay
 * the same across redeliveries, and which keys are made fresh on every delivery and dedup nothing.
 */
import { ts } from 'ts-morph';
import { forEachDescendant, unwrap } from './ast';

/** Calls whose result is new on every delivery. */
const FRESH_CALLS =
  /^(randomUUID|uuid|uuidv4|v4|v1|v7|nanoid|cuid|cuid2|createId|ulid|randomBytes|randomInt|random|now|generateId|newId|objectId|ObjectId)$/;

export class MessageValues {
  private readonly symbols = new Set<ts.Symbol>();
  /** What the caller passed for each parameter of the function these values are about (bindCallee). */
  private readonly passed = new Map<ts.Symbol, ts.Expression>();
  /** The parameters bindCallee bound, passed an argument or not: reading one reads the call. */
  private readonly parameters = new Set<ts.Symbol>();
  /**
   * Told when what the call passed for one of `parameters` is read (or found missing): what was
   * built from these values then holds for this call only (handler/flow.ts, `summary`).
   */
  onArgumentRead?: () => void;
  /** Names holding the message object itself (or a wrapper around it): what a settle needs. */
  private readonly carriers = new Set<ts.Symbol>();
  /**
   * The names the marked symbols are declared with. A name read in the code is one of them when it
   * refers to one: the checker is asked only about those (every other name of a body it would
   * have to resolve, `job.data.payload` member by member, for nothing).
   */
  private readonly names = new Set<string>();

  /**
   * `caller`: the values of the function that called this one. Code from the caller's scope (a
   * closure, or an argument a parameter stands for) is judged with what the caller knows.
   */
  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly caller?: MessageValues,
  ) {}

  /** Marks a binding as holding the message object the library settles (also message-derived). */
  addCarrier(name: ts.BindingName): void {
    this.addBinding(name);
    if (!ts.isIdentifier(name)) return;
    const symbol = this.safeSymbol(name);
    if (symbol) this.carriers.add(symbol);
  }

  /**
   * Whether an expression hands over the message object itself: a name holding it, an object or
   * array literal with it as a value, or `new Wrapper(message)` (not `message.content`, a property
   * of it).
   */
  carriesMessage(expression: ts.Node): boolean {
    if (!this.hasCarriers) return false;
    let node: ts.Node = expression;
    while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node))
      node = node.expression;
    if (ts.isIdentifier(node)) {
      if (!this.mayName(node)) return false;
      const symbol = this.safeSymbol(node);
      return !!symbol && this.isCarrier(symbol);
    }
    if (ts.isObjectLiteralExpression(node))
      return node.properties.some((property) =>
        ts.isShorthandPropertyAssignment(property)
          ? this.carriesMessage(property.name)
          : ts.isPropertyAssignment(property)
            ? this.carriesMessage(property.initializer)
            : ts.isSpreadAssignment(property) && this.carriesMessage(property.expression),
      );
    if (ts.isArrayLiteralExpression(node)) return node.elements.some((element) => this.carriesMessage(element));
    if (ts.isNewExpression(node)) return (node.arguments ?? []).some((argument) => this.carriesMessage(argument));
    return false;
  }

  private get hasCarriers(): boolean {
    return this.carriers.size > 0 || (this.caller?.hasCarriers ?? false);
  }

  private isCarrier(symbol: ts.Symbol): boolean {
    return this.carriers.has(symbol) || (this.caller?.isCarrier(symbol) ?? false);
  }

  /** Marks a parameter or variable (and every name bound in its pattern) as message-derived. */
  addBinding(name: ts.BindingName): void {
    if (ts.isIdentifier(name)) {
      this.names.add(name.text);
      const symbol = this.safeSymbol(name);
      if (symbol) this.symbols.add(symbol);
      return;
    }
    for (const element of name.elements) {
      if (ts.isBindingElement(element)) this.addBinding(element.name);
    }
  }

  /** Marks everything `other` marks (a callback's closure reads its caller's values). */
  include(other: MessageValues): void {
    for (const symbol of other.symbols) this.symbols.add(symbol);
    for (const symbol of other.carriers) this.carriers.add(symbol);
    for (const name of other.names) this.names.add(name);
  }

  /** Whether an identifier may refer to a marked symbol: it has the name of one. */
  private mayName(identifier: ts.Identifier): boolean {
    return this.names.has(identifier.text) || (this.caller?.mayName(identifier) ?? false);
  }

  /** Marks the symbol a name refers to (an assignment's target, a list pushed to). */
  private markReferenced(identifier: ts.Identifier): void {
    const symbol = this.safeSymbol(identifier);
    if (!symbol) return;
    this.symbols.add(symbol);
    this.names.add(identifier.text);
  }

  get isEmpty(): boolean {
    return this.symbols.size === 0 && (this.caller?.isEmpty ?? true);
  }

  private has(symbol: ts.Symbol): boolean {
    return this.symbols.has(symbol) || (this.caller?.has(symbol) ?? false);
  }

  /**
   * The argument a parameter stands for, when the function was reached through a call the flow
   * followed (`createOrder(args)` forwarding its `args` to `prisma.order.create(args)`).
   */
  argumentFor(identifier: ts.Identifier): ts.Expression | undefined {
    const symbol = this.safeSymbol(identifier);
    if (!symbol) return undefined;
    return this.lookupArgument(symbol);
  }

  private lookupArgument(symbol: ts.Symbol): ts.Expression | undefined {
    if (this.parameters.has(symbol)) this.onArgumentRead?.();
    return this.passed.get(symbol) ?? this.caller?.lookupArgument(symbol);
  }

  /**
   * Scans a function body in source order and marks variables whose initializer (or a later
   * assignment) reads a message-derived value: `const event = JSON.parse(message.value)`.
   */
  propagateThrough(body: ts.Node): void {
    // Two passes reach chains declared out of order (rare, but cheap).
    for (let pass = 0; pass < 2; pass++) {
      forEachDescendant(
        body,
        (node) => {
          if (ts.isVariableDeclaration(node) && node.initializer && this.derivesFrom(node.initializer)) {
            if (this.carriesMessage(node.initializer)) this.addCarrier(node.name);
            else this.addBinding(node.name);
          }
          if (ts.isForOfStatement(node) && this.derivesFrom(node.expression)) {
            const init = node.initializer;
            if (ts.isVariableDeclarationList(init))
              for (const declaration of init.declarations) this.addBinding(declaration.name);
          }
          if (
            ts.isBinaryExpression(node) &&
            node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
            ts.isIdentifier(node.left) &&
            this.derivesFrom(node.right)
          )
            this.markReferenced(node.left);
          // A list the key is assembled in: `parts.push(event.tenantId, event.id); parts.join(':')`.
          if (
            ts.isCallExpression(node) &&
            ts.isPropertyAccessExpression(node.expression) &&
            ts.isIdentifier(node.expression.expression) &&
            (node.expression.name.text === 'push' || node.expression.name.text === 'unshift') &&
            node.arguments.some((argument) => this.derivesFrom(argument))
          )
            this.markReferenced(node.expression.expression);
          // Callback parameters of array methods over message values: event.items.map((item) => …)
          if (
            ts.isCallExpression(node) &&
            ts.isPropertyAccessExpression(node.expression) &&
            this.derivesFrom(node.expression.expression)
          ) {
            for (const argument of node.arguments) {
              if (ts.isArrowFunction(argument) || ts.isFunctionExpression(argument)) {
                for (const parameter of argument.parameters) this.addBinding(parameter.name);
              }
            }
          }
        },
        true,
      );
    }
  }

  /** Whether an expression reads any message-derived value. */
  derivesFrom(expression: ts.Node): boolean {
    let found = false;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isIdentifier(node)) {
        if (!this.mayName(node)) return;
        const symbol = this.safeSymbol(node);
        if (symbol && this.has(symbol)) found = true;
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(expression);
    return found;
  }

  /**
   * Whether a key identifies the message: derived from it and with nothing made fresh per
   * delivery in it (`${msg.id}-${Date.now()}` changes on every redelivery).
   */
  isIdentityKey(expression: ts.Node | undefined): boolean {
    if (!expression) return false;
    return this.derivesFrom(expression) && !containsFreshValue(expression, this.checker);
  }

  /**
   * Like `derivesFrom`, but reading `x.<excluded>` of a message value does not count, through
   * local variables too: with Kafka, `message.key` is a partition key, not an event ID.
   */
  derivesExcluding(expression: ts.Node, excluded: ReadonlySet<string>, depth = 0): boolean {
    let found = false;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isPropertyAccessExpression(node) && excluded.has(node.name.text) && this.derivesFrom(node.expression))
        return;
      if (ts.isIdentifier(node)) {
        if (!this.mayName(node)) return;
        const symbol = this.safeSymbol(node);
        if (!symbol || !this.has(symbol)) return;
        const declaration = symbol.valueDeclaration;
        // Marked by its initializer: read through it. Marked by a later assignment or push: it holds the message's values.
        if (
          declaration &&
          ts.isVariableDeclaration(declaration) &&
          declaration.initializer &&
          depth < 4 &&
          this.derivesFrom(declaration.initializer)
        ) {
          found = this.derivesExcluding(declaration.initializer, excluded, depth + 1);
        } else {
          found = true; // a parameter or binding that holds the message itself
        }
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(expression);
    return found;
  }

  /**
   * Binds the parameters of `callee` that receive a message-derived argument at `call`; per
   * parameter 0 (not derived), 1 (derived) or 2 (the message object itself).
   */
  bindCallee(call: ts.CallExpression, callee: ts.FunctionLikeDeclaration, calleeValues: MessageValues): number[] {
    const flags: number[] = [];
    callee.parameters.forEach((parameter, index) => {
      const argument = call.arguments[index];
      const derived = !!argument && this.derivesFrom(argument);
      const carried = derived && this.carriesMessage(argument);
      flags.push(carried ? 2 : derived ? 1 : 0);
      if (carried) calleeValues.addCarrier(parameter.name);
      else if (derived) calleeValues.addBinding(parameter.name);
      if (ts.isIdentifier(parameter.name) && !parameter.dotDotDotToken) {
        const symbol = calleeValues.safeSymbol(parameter.name);
        if (symbol) calleeValues.parameters.add(symbol);
        if (symbol && argument) calleeValues.passed.set(symbol, argument);
      }
    });
    // `this.handle(message)` where the callee reads `this` state seeded from the message is not tracked.
    return flags;
  }

  private safeSymbol(node: ts.Identifier): ts.Symbol | undefined {
    try {
      const symbol = this.checker.getSymbolAtLocation(node);
      if (symbol && ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node) {
        return this.checker.getShorthandAssignmentValueSymbol(node.parent) ?? symbol;
      }
      return symbol;
    } catch {
      return undefined;
    }
  }
}

/** Whether an expression (or a const it reads) contains a value made fresh on each call. */
export function containsFreshValue(expression: ts.Node, checker: ts.TypeChecker, depth = 0): boolean {
  let fresh = false;
  const visit = (node: ts.Node): void => {
    if (fresh) return;
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = unwrap(node.expression);
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if (FRESH_CALLS.test(name)) {
        fresh = true;
        return;
      }
      if (ts.isNewExpression(node) && name === 'Date' && (node.arguments?.length ?? 0) === 0) {
        fresh = true;
        return;
      }
    }
    if (ts.isIdentifier(node) && depth < 3) {
      try {
        const symbol = checker.getSymbolAtLocation(node);
        const declaration = symbol?.valueDeclaration;
        if (
          declaration &&
          ts.isVariableDeclaration(declaration) &&
          declaration.initializer &&
          declaration.initializer !== expression
        ) {
          if (containsFreshValue(declaration.initializer, checker, depth + 1)) fresh = true;
        }
      } catch {
        /* unresolved names are not fresh */
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(expression);
  return fresh;
}

/**
 * Whether a key expression names one of the broker's ID properties (the library's: `offset`,
 * `messageId`, `MessageId`…) or one of the configured fields, for `identity: "message-id"` mode.
 */
export function mentionsIdentityProperty(
  expression: ts.Node,
  properties: readonly string[],
  checker: ts.TypeChecker,
  depth = 0,
): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isPropertyAccessExpression(node) && properties.includes(node.name.text)) {
      found = true;
      return;
    }
    if (ts.isIdentifier(node) && depth < 3) {
      if (properties.includes(node.text) && ts.isBindingElement(node.parent)) {
        found = true;
        return;
      }
      try {
        const declaration = checker.getSymbolAtLocation(node)?.valueDeclaration;
        if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
          found = mentionsIdentityProperty(declaration.initializer, properties, checker, depth + 1);
        }
      } catch {
        /* ignore */
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(expression);
  return found;
}
