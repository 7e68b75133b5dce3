/**
 * ORM entities (docs/model.md, "Effects"): which columns of an entity are a primary or unique key
 * (read from the entity's decorators or its Sequelize `init`), and where a saved entity value comes
 * from: made new in the handler (an insert, keyed when a key column receives the message identity),
 * or loaded from the database (an update: idempotent when its fields are set to absolute values,
 * a read-modify-write when they are changed relative to what was loaded).
 *
 * Evidence only: an entity class the analysis cannot see says nothing, and callers fall back to
 * their name-based defaults.
 */
import { ts } from 'ts-morph';
import { calledName, isFunctionWithBody, returnedExpressions, unwrap, unwrapAwait } from '../source/ast';
import { calledFunction, letAssignments } from '../source/symbols';
import { resolveValue, type ObjectReader } from './objects';

/** The primary and unique keys of an entity class: each a set of property names. */
export interface EntityKeys {
  keys: string[][];
  /** The primary key's columns. */
  primary: string[];
}

const PRIMARY_DECORATORS = /^(PrimaryColumn|PrimaryGeneratedColumn|ObjectIdColumn|PrimaryKey)$/;
const ENTITY_DECORATORS = /^(Entity|Table|Schema|ViewEntity|ChildEntity)$/;
const COLUMN_DECORATORS =
  /Column$|^(PrimaryKey|Unique|Index|Prop|Field|CreatedAt|UpdatedAt|ForeignKey|BelongsTo|HasMany)$/;

function decoratorsOf(node: ts.Node): ts.Decorator[] {
  return (ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined)?.slice() ?? [];
}

function decoratorName(decorator: ts.Decorator): string | undefined {
  const expression = decorator.expression;
  const callee = ts.isCallExpression(expression) ? expression.expression : expression;
  return ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
}

function decoratorArguments(decorator: ts.Decorator): readonly ts.Expression[] {
  return ts.isCallExpression(decorator.expression) ? decorator.expression.arguments : [];
}

function booleanOption(object: ts.Expression | undefined, name: string): boolean {
  const value = object && unwrap(object);
  if (!value || !ts.isObjectLiteralExpression(value)) return false;
  return value.properties.some(
    (property) =>
      ts.isPropertyAssignment(property) &&
      property.name.getText().replace(/['"]/g, '') === name &&
      (property.initializer.kind === ts.SyntaxKind.TrueKeyword ||
        (ts.isStringLiteralLike(property.initializer) && property.initializer.text.length > 0)),
  );
}

function stringList(expression: ts.Expression | undefined): string[] | undefined {
  const value = expression && unwrap(expression);
  if (!value || !ts.isArrayLiteralExpression(value)) return undefined;
  const names = value.elements.flatMap((element) => (ts.isStringLiteralLike(element) ? [element.text] : []));
  return names.length === value.elements.length ? names : undefined;
}

const keysCache = new WeakMap<ts.Node, EntityKeys | null>();

/**
 * The keys of an entity class, from TypeORM (`@PrimaryColumn`, `@Column({ unique: true })`,
 * `@Unique([...])`, `@Index([...], { unique: true })`), sequelize-typescript (`@PrimaryKey`,
 * `@Unique`, `@Column({ unique: true })`) and Sequelize's `Model.init({ col: { unique: true } })`.
 * Undefined when the class shows no entity evidence at all.
 */
export function entityKeys(cls: ts.ClassLikeDeclaration): EntityKeys | undefined {
  const cached = keysCache.get(cls);
  if (cached !== undefined) return cached ?? undefined;
  const keys: string[][] = [];
  const primary: string[] = [];
  let evidence = decoratorsOf(cls).some((decorator) => ENTITY_DECORATORS.test(decoratorName(decorator) ?? ''));
  for (const decorator of decoratorsOf(cls)) {
    const name = decoratorName(decorator);
    const args = decoratorArguments(decorator);
    if (name === 'Unique') {
      const columns = stringList(args[0]) ?? stringList(args[1]);
      if (columns) keys.push(columns);
    }
    if (name === 'Index') {
      const columns = stringList(args[0]) ?? stringList(args[1]);
      const options = args.find((argument) => ts.isObjectLiteralExpression(unwrap(argument)));
      if (columns && booleanOption(options, 'unique')) keys.push(columns);
    }
  }
  for (const member of cls.members) {
    if (!ts.isPropertyDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
    const property = member.name.text;
    for (const decorator of decoratorsOf(member)) {
      const name = decoratorName(decorator) ?? '';
      if (COLUMN_DECORATORS.test(name)) evidence = true;
      const [first, second] = decoratorArguments(decorator);
      const options = first && ts.isObjectLiteralExpression(unwrap(first)) ? first : second;
      if (PRIMARY_DECORATORS.test(name) || booleanOption(options, 'primary') || booleanOption(options, 'primaryKey'))
        primary.push(property);
      if (
        PRIMARY_DECORATORS.test(name) ||
        (name === 'Unique' && (!first || !ts.isObjectLiteralExpression(unwrap(first)))) ||
        (/Column$|^Index$/.test(name) &&
          (booleanOption(options, 'unique') ||
            booleanOption(options, 'primary') ||
            booleanOption(options, 'primaryKey')))
      )
        keys.push([property]);
    }
  }
  const init = sequelizeInit(cls);
  if (init) {
    evidence = true;
    let hasPrimary = false;
    for (const property of init.properties) {
      if (!ts.isPropertyAssignment(property)) continue;
      const column = property.name.getText().replace(/['"]/g, '');
      if (booleanOption(property.initializer, 'primaryKey')) {
        hasPrimary = true;
        primary.push(column);
      }
      if (booleanOption(property.initializer, 'unique') || booleanOption(property.initializer, 'primaryKey'))
        keys.push([column]);
    }
    if (!hasPrimary) {
      keys.push(['id']); // Sequelize adds an auto-increment `id` primary key
      primary.push('id');
    }
  }
  const result = evidence ? { keys, primary } : undefined;
  keysCache.set(cls, result ?? null);
  return result;
}

/** `Order.init({ … }, { sequelize })` in the class's file: the attributes object. */
function sequelizeInit(cls: ts.ClassLikeDeclaration): ts.ObjectLiteralExpression | undefined {
  const name = cls.name?.text;
  if (!name) return undefined;
  let found: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'init' &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === name
    ) {
      const attributes = node.arguments[0] && unwrap(node.arguments[0]);
      if (attributes && ts.isObjectLiteralExpression(attributes)) found = attributes;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(cls.getSourceFile());
  return found;
}

function classOfSymbol(symbol: ts.Symbol | undefined, checker: ts.TypeChecker): ts.ClassLikeDeclaration | undefined {
  if (!symbol) return undefined;
  let target = symbol;
  if (target.flags & ts.SymbolFlags.Alias) {
    try {
      target = checker.getAliasedSymbol(target);
    } catch {
      return undefined;
    }
  }
  return target.declarations?.find((declaration): declaration is ts.ClassDeclaration =>
    ts.isClassDeclaration(declaration),
  );
}

/** The entity class an expression names: `Order` (a class), or `typeof Order`. */
export function classOfExpression(
  expression: ts.Expression | undefined,
  checker: ts.TypeChecker,
): ts.ClassLikeDeclaration | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  if (!ts.isIdentifier(value) && !ts.isPropertyAccessExpression(value)) return undefined;
  try {
    return classOfSymbol(checker.getSymbolAtLocation(ts.isIdentifier(value) ? value : value.name), checker);
  } catch {
    return undefined;
  }
}

function classOfTypeNode(type: ts.TypeNode | undefined, checker: ts.TypeChecker): ts.ClassLikeDeclaration | undefined {
  if (!type) return undefined;
  if (ts.isUnionTypeNode(type)) {
    for (const member of type.types) {
      const found = classOfTypeNode(member, checker);
      if (found) return found;
    }
    return undefined;
  }
  if (ts.isTypeQueryNode(type)) {
    const name = ts.isIdentifier(type.exprName) ? type.exprName : type.exprName.right;
    return classOfSymbol(checker.getSymbolAtLocation(name), checker);
  }
  if (ts.isTypeReferenceNode(type)) {
    // Repository<Order>, Model<Order>, ModelStatic<Order>: the entity is the type argument.
    const [argument] = type.typeArguments ?? [];
    if (argument) return classOfTypeNode(argument, checker);
    const name = ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.right;
    return classOfSymbol(checker.getSymbolAtLocation(name), checker);
  }
  return undefined;
}

/**
 * The entity a repository or model handle is for: `Repository<Order>` or `typeof Order` in its
 * declared type, `@InjectRepository(Order)` / `@InjectModel(Order)`, `getRepository(Order)`, or a
 * model class used directly (`Order.create(…)`).
 */
export function entityOfHandle(
  expression: ts.Expression | undefined,
  checker: ts.TypeChecker,
  depth = 0,
): ts.ClassLikeDeclaration | undefined {
  if (!expression || depth > 4) return undefined;
  const value = unwrapAwait(expression);
  if (ts.isCallExpression(value)) {
    if (/^get(Custom)?Repository$|^getMongoRepository$|^getTreeRepository$/.test(calledName(value) ?? ''))
      return classOfExpression(value.arguments[0], checker);
    return undefined;
  }
  const direct = classOfExpression(value, checker);
  if (direct) return direct;
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(value) ? value.name : value);
  } catch {
    return undefined;
  }
  for (const declaration of symbol?.declarations ?? []) {
    if (
      !ts.isParameter(declaration) &&
      !ts.isPropertyDeclaration(declaration) &&
      !ts.isVariableDeclaration(declaration)
    )
      continue;
    for (const decorator of decoratorsOf(declaration)) {
      if (/^Inject(Repository|Model)$/.test(decoratorName(decorator) ?? '')) {
        const found = classOfExpression(decoratorArguments(decorator)[0], checker);
        if (found) return found;
      }
    }
    const fromType = classOfTypeNode(declaration.type, checker);
    if (fromType) return fromType;
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) {
      const fromInit = entityOfHandle(declaration.initializer, checker, depth + 1);
      if (fromInit) return fromInit;
    }
  }
  return undefined;
}

/** Whether the keys of an entity are given message-derived values in these fields. */
export function keyedByEntityKeys(
  keys: Pick<EntityKeys, 'keys'>,
  fields: ReadonlyMap<string, ts.Expression>,
  isIdentity: (value: ts.Expression) => boolean,
): boolean {
  return keys.keys.some(
    (key) =>
      key.length > 0 &&
      key.every((column) => {
        const value = fields.get(column);
        return !!value && isIdentity(value);
      }),
  );
}

/** Where a saved entity value comes from (see the module comment). */
export type EntityValue =
  | { kind: 'new'; fields: Map<string, ts.Expression>; entity?: ts.ClassLikeDeclaration }
  | { kind: 'loaded'; relative: boolean }
  | { kind: 'unknown' };

const LOADS =
  /^(findOne|findOneBy|findOneOrFail|findOneByOrFail|findById|findByPk|findUnique|findUniqueOrThrow|findFirst|findFirstOrThrow|getOne|getOneOrFail|preload|reload|findOneAndUpdate)$/;
const FACTORIES = /^(create|build|merge)$/;

/** The top-level fields of an object literal (spreads of literals included). */
export function literalFields(
  expression: ts.Expression | undefined,
  reader: ObjectReader,
  fields = new Map<string, ts.Expression>(),
  depth = 0,
): Map<string, ts.Expression> {
  const object = resolveValue(expression, reader);
  if (!object || !ts.isObjectLiteralExpression(object) || depth > 4) return fields;
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property) && !ts.isComputedPropertyName(property.name))
      fields.set(property.name.getText().replace(/['"]/g, ''), property.initializer);
    else if (ts.isShorthandPropertyAssignment(property)) fields.set(property.name.text, property.name);
    else if (ts.isSpreadAssignment(property)) literalFields(property.expression, reader, fields, depth + 1);
  }
  return fields;
}

/** Assignments to `name.field` in a function body: what they set, and whether any is relative. */
function fieldAssignments(
  body: ts.Node,
  name: string,
): { fields: Map<string, ts.Expression>; relative: boolean; objectAssigned: ts.Expression[] } {
  const fields = new Map<string, ts.Expression>();
  const objectAssigned: ts.Expression[] = [];
  let relative = false;
  const isField = (node: ts.Node): node is ts.PropertyAccessExpression =>
    ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name;
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && isField(node.left)) {
      const field = node.left.name.text;
      const operator = node.operatorToken.kind;
      if (operator === ts.SyntaxKind.EqualsToken) {
        fields.set(field, node.right);
        // x.total = x.total + amount, x.items = [...x.items, item]
        if (mentionsField(node.right, name, field)) relative = true;
      } else if (
        operator >= ts.SyntaxKind.FirstCompoundAssignment &&
        operator <= ts.SyntaxKind.LastCompoundAssignment &&
        operator !== ts.SyntaxKind.QuestionQuestionEqualsToken &&
        operator !== ts.SyntaxKind.BarBarEqualsToken &&
        operator !== ts.SyntaxKind.AmpersandAmpersandEqualsToken
      )
        relative = true;
    }
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && isField(node.operand)) {
      if (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
        relative = true;
    }
    // x.items.push(item): appends to what was loaded
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      /^(push|unshift|splice)$/.test(node.expression.name.text) &&
      isField(node.expression.expression)
    )
      relative = true;
    // Object.assign(x, { … })
    if (
      ts.isCallExpression(node) &&
      node.expression.getText() === 'Object.assign' &&
      node.arguments[0] &&
      ts.isIdentifier(node.arguments[0]) &&
      node.arguments[0].text === name
    )
      objectAssigned.push(...node.arguments.slice(1));
    ts.forEachChild(node, visit);
  };
  visit(body);
  return { fields, relative, objectAssigned };
}

function mentionsField(expression: ts.Node, name: string, field: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isPropertyAccessExpression(node) &&
      node.name.text === field &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === name
    ) {
      found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(expression);
  return found;
}

function enclosingFunction(node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  for (let current = node.parent; current; current = current.parent) if (isFunctionWithBody(current)) return current;
  return undefined;
}

/**
 * Where the entity saved by a call comes from: `repo.create({...})`, `new Order()` or a literal
 * (new: its fields, with the `x.field = …` assignments that follow), or a load (`findOne`, a
 * query builder's `getOne`, a project function that returns one: an update).
 */
export function entityValue(expression: ts.Expression | undefined, reader: ObjectReader, depth = 0): EntityValue {
  if (!expression || depth > 3) return { kind: 'unknown' };
  const checker = 'getTypeAtLocation' in reader ? reader : reader.checker;
  const original = unwrapAwait(expression);
  const resolved = resolveIdentifier(original, reader);
  const value = resolved.value;
  const assigned = assignmentsToAll(resolved.names);
  if (ts.isObjectLiteralExpression(value)) {
    const fields = literalFields(value, reader);
    for (const [field, right] of assigned?.fields ?? []) fields.set(field, right);
    return { kind: 'new', fields };
  }
  if (ts.isNewExpression(value)) {
    const fields = literalFields(value.arguments?.[0], reader);
    for (const extra of assigned?.objectAssigned ?? []) literalFields(extra, reader, fields);
    for (const [field, right] of assigned?.fields ?? []) fields.set(field, right);
    return { kind: 'new', fields, entity: classOfExpression(value.expression, checker) };
  }
  if (ts.isCallExpression(value)) {
    const method = calledName(value) ?? '';
    if (FACTORIES.test(method) && ts.isPropertyAccessExpression(unwrap(value.expression))) {
      // repo.create({…}), manager.create(Order, {…}), Model.build({…})
      const [first, second] = value.arguments;
      const entity = classOfExpression(first, checker);
      const fields = literalFields(entity ? second : first, reader);
      for (const extra of assigned?.objectAssigned ?? []) literalFields(extra, reader, fields);
      for (const [field, right] of assigned?.fields ?? []) fields.set(field, right);
      return { kind: 'new', fields, entity };
    }
    if (LOADS.test(method)) return { kind: 'loaded', relative: assigned?.relative ?? false };
    const target = calledFunction(value, checker);
    if (target) {
      const returned = returnedExpressions(target);
      for (const expression of returned) {
        const inner = entityValue(expression, checker, depth + 1);
        if (inner.kind === 'loaded') return { kind: 'loaded', relative: assigned?.relative ?? false };
      }
    }
  }
  return { kind: 'unknown' };
}

/**
 * What a variable holds, through the variables it is copied from (`const order = found!`): the
 * value, and the names it went through (the fields set on any of them are the entity's).
 */
function resolveIdentifier(
  expression: ts.Expression,
  reader: ObjectReader,
): { value: ts.Expression; names: ts.Identifier[] } {
  const checker = 'getTypeAtLocation' in reader ? reader : reader.checker;
  let value = unwrapAwait(expression);
  let names: ts.Identifier[] = [];
  for (let depth = 0; depth < 4 && ts.isIdentifier(value); depth++) {
    let declaration: ts.Declaration | undefined;
    try {
      declaration = checker.getSymbolAtLocation(value)?.valueDeclaration;
    } catch {
      break;
    }
    if (declaration && ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name)) {
      names.push(declaration.name);
      const initial = declaration.initializer && unwrapAwait(declaration.initializer);
      const held = initial && !isEmptyValue(initial) ? initial : soleAssignment(declaration, checker);
      if (!held) break;
      value = unwrapAwait(held);
      continue;
    }
    if (declaration && ts.isParameter(declaration)) {
      const passed = resolveValue(value, reader);
      if (!passed || passed === value) break;
      value = unwrapAwait(passed);
      names = [];
      continue;
    }
    break;
  }
  return { value, names };
}

function isEmptyValue(expression: ts.Expression): boolean {
  return (
    expression.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(expression) && expression.text === 'undefined')
  );
}

/**
 * The one value a `let` declared empty is given in its function: `let found; try { found = await
 * Order.findByPk(id) } catch { … }`. None when it is given several (which one holds is a matter of
 * the path), or is not a `let`.
 */
function soleAssignment(declaration: ts.VariableDeclaration, checker: ts.TypeChecker): ts.Expression | undefined {
  const scope = enclosingFunction(declaration)?.body;
  const values = scope
    ? letAssignments(declaration, scope, checker).filter((value) => !isEmptyValue(unwrapAwait(value)))
    : [];
  return values.length === 1 ? values[0] : undefined;
}

/** The fields set on an entity under any of its names, each name in its own function. */
function assignmentsToAll(names: readonly ts.Identifier[]): ReturnType<typeof fieldAssignments> | undefined {
  let merged: ReturnType<typeof fieldAssignments> | undefined;
  for (const name of [...names].reverse()) {
    const body = enclosingFunction(name)?.body;
    if (!body) continue;
    const assigned = fieldAssignments(body, name.text);
    if (!merged) merged = assigned;
    else {
      for (const [field, right] of assigned.fields) merged.fields.set(field, right);
      merged.objectAssigned.push(...assigned.objectAssigned);
      merged.relative ||= assigned.relative;
    }
  }
  return merged;
}
