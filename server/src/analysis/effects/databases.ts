/** ORMs and document stores: Prisma, TypeORM, Sequelize, knex, Drizzle, MongoDB, Mongoose. */
import { ts } from 'ts-morph';
import { calledName, unwrap } from '../source/ast';
import { classOfExpression, entityKeys, entityOfHandle, entityValue, keyedByEntityKeys } from './entities';
import {
  KEY_NAMES,
  conditionalClaimKey,
  findProperty,
  hasProperty,
  keyedByMessage,
  keyedFresh,
  objectLiteral,
  resolveValue,
} from './objects';
import { CallLink, ClassifiedCall, DEDUP_STORE_NAME, MatchContext, effect } from './matcher';

const PRISMA_RELATIVE = ['increment', 'decrement', 'multiply', 'divide', 'push'];
const MONGO_RELATIVE = ['$inc', '$push', '$mul'];
const READS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'count',
  'findOne',
  'findOneBy',
  'findById',
  'findByPk',
  'exists',
  'exist',
  'existsBy',
  'countBy',
  'countDocuments',
  'first',
]);

function isPrisma(link: CallLink): boolean {
  const names = link.receiverNames.filter((name) => name !== 'this');
  // prisma.order.create, this.prisma.order.create, tx.order.create inside $transaction; the names
  // are read first because they are cheap, the value's origin (through declarations) is not.
  const named =
    names.length >= 2 && (/prisma/.test(names[0]) || ((names[0] === 'tx' || names[0] === 'trx') && names.length === 2));
  if (named) return true;
  const origin = link.origin();
  return origin === '@prisma/client' || !!origin?.startsWith('.prisma');
}

function checkSignal(link: CallLink, context: MatchContext, where: ts.Expression | undefined): ClassifiedCall['guard'] {
  const key = where && findProperty(where, () => true, context);
  return key && context.values.isIdentityKey(where) ? { kind: 'check', key: where, truthyMeans: 'seen' } : undefined;
}

export function matchPrisma(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method || !isPrisma(link)) return undefined;
  const model = link.path[link.path.length - 2] ?? 'model';
  const label = `prisma.${model}.${link.method}`;
  const args = link.argument(0);
  const dedupStore = DEDUP_STORE_NAME.test(model);
  switch (link.method) {
    case 'create':
    case 'createMany':
    case 'createManyAndReturn': {
      const data = findProperty(args, (name) => name === 'data', context);
      const keyed = keyedByMessage(data, context);
      const skipsDuplicates = hasProperty(args, ['skipDuplicates'], context);
      if (keyed)
        return effect(link, dedupStore ? 'dedup-record' : 'idempotent', 'orm', label, {
          keyedByMessage: true,
          record: dedupStore,
          uniqueInsert: true,
        });
      // createMany({ skipDuplicates: true }) is a conflict-ignoring insert (ON CONFLICT DO NOTHING).
      if (skipsDuplicates) return effect(link, 'idempotent', 'orm', `${label} (skipDuplicates)`);
      const fresh = keyedFresh(data, context);
      return effect(link, 'duplicate-unsafe', 'orm', label, {
        onDuplicate: fresh ? `creates another ${model} record with a fresh key` : `creates a second ${model} record`,
        effectFix: 'conflict-ignoring-insert',
      });
    }
    case 'update':
    case 'updateMany':
    case 'upsert': {
      const relative = hasProperty(args, PRISMA_RELATIVE, context);
      if (relative)
        return effect(link, 'duplicate-unsafe', 'orm', `${label} (increment)`, {
          onDuplicate: `applies the ${model} increment twice`,
        });
      // updateMany({ where: { id, status: 'PENDING' }, data: { status: 'SENDING' } }) and its count.
      const claimKey =
        link.method === 'updateMany'
          ? conditionalClaimKey(
              findProperty(args, (name) => name === 'where', context),
              findProperty(args, (name) => name === 'data', context),
              context,
            )
          : undefined;
      if (claimKey)
        return effect(link, 'dedup-record', 'orm', `${label} (claim)`, {
          keyedByMessage: true,
          guard: { kind: 'claim', key: claimKey, truthyMeans: 'new' },
          record: true,
        });
      return effect(link, 'idempotent', 'orm', label);
    }
    case 'delete':
    case 'deleteMany':
      return effect(link, 'idempotent', 'orm', label);
    default:
      if (READS.has(link.method)) {
        return effect(link, 'read', 'orm', label, {
          guard: checkSignal(
            link,
            context,
            findProperty(args, (name) => name === 'where', context),
          ),
        });
      }
      return undefined;
  }
}

/** Handles whose origin names the ORM: TypeORM repositories and managers, Sequelize models. */
const SEQUELIZE_MODULES = new Set(['sequelize', 'sequelize-typescript', '@nestjs/sequelize']);
/** A TypeORM query builder's terminal reads: a `getCount()` or `getOne()` keyed by the message is a check. */
const QUERY_BUILDER_READS = new Set([
  'getOne',
  'getOneOrFail',
  'getCount',
  'getExists',
  'getRawOne',
  'getMany',
  'getRawMany',
]);

/** The calls of a chain before this link, innermost first: `createQueryBuilder()`, `where()`, `andWhere()`. */
function earlierCalls(link: CallLink): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  let receiver = link.receiver && unwrap(link.receiver);
  while (receiver && ts.isCallExpression(receiver)) {
    calls.unshift(receiver);
    const callee = unwrap(receiver.expression);
    receiver = ts.isPropertyAccessExpression(callee) ? unwrap(callee.expression) : undefined;
  }
  return calls;
}

export function matchTypeOrmSequelize(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin();
  const receiver = link.receiverNames[link.receiverNames.length - 1] ?? '';
  const sequelize = !!origin && SEQUELIZE_MODULES.has(origin);
  const typeorm = origin === 'typeorm' || (!sequelize && /(repo|repository|manager)$/.test(receiver));
  if (!typeorm && !sequelize) return undefined;
  const label = `${link.path.filter((name) => name !== 'this').join('.')}`;
  const first = link.argument(0);
  // manager.save(Order, entity), manager.insert(Order, values): the entity class comes first.
  const target = typeorm ? classOfExpression(first, context.checker) : undefined;
  const value = target ? link.argument(1) : first;
  const handle = target ?? entityOfHandle(link.receiver, context.checker);
  switch (link.method) {
    case 'create':
    case 'build':
      // TypeORM repository.create() and Sequelize build() make an entity in memory: the save writes it.
      if (typeorm || link.method === 'build') return undefined;
      return insertEffect(link, value, handle, context, label);
    case 'insert': {
      const valuesLink = link.later.find((later) => later.method === 'values');
      if (valuesLink) {
        // createQueryBuilder().insert().into(T).values({…}).orIgnore() / .orUpdate(…)
        if (link.laterMethods().some((method) => /^(orIgnore|orUpdate|onConflict)$/.test(method)))
          return effect(link, 'idempotent', 'orm', `${label} … on conflict`);
        return insertEffect(link, valuesLink.argument(0), handle, context, label);
      }
      return insertEffect(link, value, handle, context, label);
    }
    case 'bulkCreate':
      return insertEffect(link, value, handle, context, label);
    case 'save': {
      // entity.save(): the receiver is the entity (Sequelize instances, TypeORM BaseEntity, Mongoose documents).
      const onHandle = /(repo|repository|manager)$/.test(receiver) || !!target;
      if (!link.call.arguments.length || (!onHandle && value && ts.isObjectLiteralExpression(unwrap(value)))) {
        // `ticket.set({ … }).save()`: Sequelize's `set` returns the instance it changes.
        const changes = setChanges(link.receiver);
        const instance = entityValue(changes?.instance ?? link.receiver, context);
        if (instance.kind === 'loaded')
          return updateOfLoaded(
            link,
            changes ? `${unwrap(changes.instance).getText()}.set(…).save` : label,
            instance.relative || (!!changes && changesRelatively(changes)),
          );
        if (instance.kind === 'new')
          return insertOfFields(link, instance.fields, instance.entity, context, label, true);
        return undefined;
      }
      return insertEffect(link, value, handle, context, label, true);
    }
    case 'findOrCreate': {
      // A get-or-create in one call: a sequential redelivery finds the row.
      const where = findProperty(first, (name) => name === 'where', context);
      return effect(link, 'idempotent', 'orm', label, {
        keyedByMessage: !!where && context.values.isIdentityKey(where),
      });
    }
    case 'increment':
    case 'decrement':
      return effect(link, 'duplicate-unsafe', 'orm', label, { onDuplicate: 'applies the increment twice' });
    case 'update': {
      // createQueryBuilder().update(T).set({ stock: () => 'stock - 1' }): raw SQL that is relative.
      const setLink = link.later.find((later) => later.method === 'set');
      if (setLink && relativeRawSet(setLink.argument(0), context)) {
        return effect(link, 'duplicate-unsafe', 'orm', `${label} (relative set)`, {
          onDuplicate: 'applies the relative update twice',
        });
      }
      return effect(link, 'idempotent', 'orm', label);
    }
    case 'upsert':
    case 'delete':
    case 'destroy':
    case 'remove':
    case 'softDelete':
    case 'restore':
      return effect(link, 'idempotent', 'orm', label);
    default:
      if (READS.has(link.method)) {
        const where = findProperty(first, (name) => name === 'where', context) ?? first;
        return effect(link, 'read', 'orm', label, {
          guard:
            where && context.values.isIdentityKey(where)
              ? { kind: 'check', key: where, truthyMeans: 'seen' }
              : undefined,
        });
      }
      if (typeorm && QUERY_BUILDER_READS.has(link.method)) {
        // qb.where('e.eventId = :eventId', { eventId }).getCount(): the parameters are the key.
        const key = earlierCalls(link)
          .filter((call) => /^(where|andWhere|orWhere|setParameter|setParameters)$/.test(calledName(call) ?? ''))
          .flatMap((call) => call.arguments.slice(call.arguments.length > 1 ? 1 : 0))
          .find((argument) => context.values.isIdentityKey(argument));
        const checks = link.method !== 'getMany' && link.method !== 'getRawMany';
        return effect(link, 'read', 'orm', label, {
          guard: key && checks ? { kind: 'check', key, truthyMeans: 'seen' } : undefined,
        });
      }
      return undefined;
  }
}

/** An update of an entity loaded from the database: absolute, unless changed relative to what was loaded. */
/** `instance.set({ … })`, the receiver of a chained `save()`: the instance and the fields it sets. */
function setChanges(
  receiver: ts.Expression | undefined,
): { instance: ts.Expression; fields: ts.ObjectLiteralExpression } | undefined {
  const call = receiver && unwrap(receiver);
  if (!call || !ts.isCallExpression(call) || call.arguments.length !== 1) return undefined;
  const callee = unwrap(call.expression);
  const fields = unwrap(call.arguments[0]);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'set' || !ts.isObjectLiteralExpression(fields))
    return undefined;
  return { instance: callee.expression, fields };
}

/** Whether a field is set from its own old value (`count: ticket.count + 1`): a read-modify-write. */
function changesRelatively(changes: { instance: ts.Expression; fields: ts.ObjectLiteralExpression }): boolean {
  const instance = unwrap(changes.instance).getText();
  return changes.fields.properties.some((property) => {
    if (!ts.isPropertyAssignment(property)) return false;
    const field = property.name.getText();
    let reads = false;
    const visit = (node: ts.Node): void => {
      if (
        ts.isPropertyAccessExpression(node) &&
        node.name.text === field &&
        unwrap(node.expression).getText() === instance
      )
        reads = true;
      else ts.forEachChild(node, visit);
    };
    visit(property.initializer);
    return reads;
  });
}

function updateOfLoaded(link: CallLink, label: string, relative: boolean): ClassifiedCall {
  if (relative)
    return effect(link, 'duplicate-unsafe', 'orm', `${label} (read-modify-write)`, {
      onDuplicate: 'applies the change to the loaded value a second time',
    });
  return effect(link, 'idempotent', 'orm', `${label} (update of a loaded entity)`);
}

/**
 * An insert (or a save of a new entity): keyed when a primary or unique key of the entity receives
 * the message identity (read from the entity's declaration when it is visible, else from key-like
 * names), idempotent with a conflict option, duplicate-unsafe otherwise.
 */
function insertEffect(
  link: CallLink,
  value: ts.Expression | undefined,
  handle: ts.ClassLikeDeclaration | undefined,
  context: MatchContext,
  label: string,
  save = false,
): ClassifiedCall {
  const options = link.argument(handle && value === link.argument(1) ? 2 : 1);
  if (
    hasProperty(
      options,
      ['ignoreDuplicates', 'updateOnDuplicate', 'conflictPaths', 'skipUpdateIfNoValuesChanged'],
      context,
    )
  )
    return effect(link, 'idempotent', 'orm', label);
  const resolved = resolveValue(value, context);
  const items = resolved && ts.isArrayLiteralExpression(resolved) ? resolved.elements : value ? [value] : [];
  const judged = items.map((item) => {
    const origin = entityValue(item, context);
    if (origin.kind === 'loaded' && save) return updateOfLoaded(link, label, origin.relative);
    if (origin.kind === 'new')
      return insertOfFields(link, origin.fields, origin.entity ?? handle, context, label, save);
    return undefined;
  });
  // Every item judged: the most unsafe one decides.
  if (judged.length && judged.every((item): item is ClassifiedCall => !!item))
    return judged.find((item) => item.description.class === 'duplicate-unsafe') ?? judged[0];
  if (keyedByMessage(value, context))
    return effect(link, 'idempotent', 'orm', label, { keyedByMessage: true, uniqueInsert: !save });
  return effect(link, 'duplicate-unsafe', 'orm', label, {
    onDuplicate: 'inserts a second row',
    effectFix: 'conflict-ignoring-insert',
  });
}

function insertOfFields(
  link: CallLink,
  fields: ReadonlyMap<string, ts.Expression>,
  entity: ts.ClassLikeDeclaration | undefined,
  context: MatchContext,
  label: string,
  save = false,
): ClassifiedCall {
  const keys = entity && entityKeys(entity);
  const isIdentity = (value: ts.Expression): boolean => context.values.isIdentityKey(value);
  const keyed = keys
    ? keyedByEntityKeys(keys, fields, isIdentity)
    : [...fields].some(([name, value]) => KEY_NAMES.has(name) && isIdentity(value));
  // A save given its primary key updates the row it finds; any other keyed insert fails on a duplicate.
  const uniqueInsert =
    keyed &&
    !(save && (keys ? keyedByEntityKeys({ keys: keys.primary.map((column) => [column]) }, fields, isIdentity) : true));
  if (keyed) return effect(link, 'idempotent', 'orm', label, { keyedByMessage: true, uniqueInsert });
  return effect(link, 'duplicate-unsafe', 'orm', label, {
    onDuplicate: 'inserts a second row',
    effectFix: 'conflict-ignoring-insert',
  });
}

/** knex('t').insert(…) unless .onConflict(…).ignore()/merge(); Drizzle db.insert(t).values(…) unless onConflictDo*. */
export function matchQueryBuilders(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin();
  const later = link.laterMethods();
  const root = link.path[0]?.toLowerCase() ?? '';
  const knex =
    origin === 'knex' ||
    /^(knex|trx)$/.test(root) ||
    (link.receiverNames.includes('()') && /knex|db|trx/.test(root) && !later.includes('values'));
  const drizzle = origin?.startsWith('drizzle-orm') || (later.includes('values') && link.method === 'insert');
  if (drizzle && link.method === 'insert') {
    if (later.some((method) => method === 'onConflictDoNothing' || method === 'onConflictDoUpdate'))
      return effect(link, 'idempotent', 'orm', 'drizzle insert … onConflict');
    const valuesLink = link.later.find((l) => l.method === 'values');
    if (valuesLink && keyedByMessage(valuesLink.argument(0), context))
      return effect(link, 'idempotent', 'orm', 'drizzle insert', { keyedByMessage: true, uniqueInsert: true });
    return effect(link, 'duplicate-unsafe', 'orm', 'drizzle insert', {
      onDuplicate: 'inserts a second row',
      effectFix: 'conflict-ignoring-insert',
    });
  }
  if (!knex) return undefined;
  const table = tableOfKnex(link);
  switch (link.method) {
    case 'insert': {
      if (later.includes('onConflict') && (later.includes('ignore') || later.includes('merge')))
        return effect(link, 'idempotent', 'sql', `knex ${table} insert … onConflict`);
      if (keyedByMessage(link.argument(0), context)) {
        return effect(
          link,
          DEDUP_STORE_NAME.test(table) ? 'dedup-record' : 'idempotent',
          'sql',
          `knex ${table} insert`,
          { keyedByMessage: true, record: DEDUP_STORE_NAME.test(table), uniqueInsert: true },
        );
      }
      return effect(link, 'duplicate-unsafe', 'sql', `knex ${table} insert`, {
        onDuplicate: `inserts a second row into ${table}`,
        effectFix: 'conflict-ignoring-insert',
      });
    }
    case 'increment':
    case 'decrement':
      return effect(link, 'duplicate-unsafe', 'sql', `knex ${table} ${link.method}`, {
        onDuplicate: `applies the ${table} ${link.method} twice`,
      });
    case 'update':
    case 'del':
    case 'delete':
      return effect(link, 'idempotent', 'sql', `knex ${table} ${link.method}`);
    default:
      return undefined;
  }
}

function tableOfKnex(link: CallLink): string {
  let current: ts.Expression = link.call.expression;
  while (ts.isPropertyAccessExpression(current) || ts.isCallExpression(current)) {
    if (ts.isCallExpression(current)) {
      const [first] = current.arguments;
      if (first && ts.isStringLiteralLike(first)) return first.text;
      current = current.expression;
    } else {
      current = current.expression;
    }
  }
  return 'table';
}

export function matchMongo(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin();
  const mongoose = origin === 'mongoose';
  const mongo = origin === 'mongodb';
  const distinctive = [
    'insertOne',
    'insertMany',
    'updateOne',
    'updateMany',
    'findOneAndUpdate',
    'bulkWrite',
    'replaceOne',
  ].includes(link.method);
  if (!mongoose && !mongo && !distinctive) return undefined;
  const label = link.path.filter((name) => name !== 'this').join('.');
  switch (link.method) {
    case 'insertOne':
    case 'insertMany':
    case 'create': {
      if (link.method === 'create' && !mongoose) return undefined;
      if (keyedByMessage(link.argument(0), context))
        return effect(link, 'idempotent', 'mongo', label, { keyedByMessage: true, uniqueInsert: true });
      return effect(link, 'duplicate-unsafe', 'mongo', label, { onDuplicate: 'inserts a second document' });
    }
    case 'updateOne':
    case 'updateMany':
    case 'findOneAndUpdate':
    case 'findByIdAndUpdate':
    case 'bulkWrite':
      if (hasProperty(link.argument(1) ?? link.argument(0), MONGO_RELATIVE, context)) {
        return effect(link, 'duplicate-unsafe', 'mongo', `${label} ($inc/$push)`, {
          onDuplicate: 'applies the $inc/$push twice',
        });
      }
      {
        // updateOne({ _id, status: 'pending' }, { $set: { status: 'sending' } }): one delivery matches it.
        const claimKey =
          link.method === 'updateOne' || link.method === 'findOneAndUpdate'
            ? conditionalClaimKey(link.argument(0), link.argument(1), context)
            : undefined;
        if (claimKey)
          return effect(link, 'dedup-record', 'mongo', `${label} (claim)`, {
            keyedByMessage: true,
            guard: { kind: 'claim', key: claimKey, truthyMeans: 'new' },
            record: true,
          });
      }
      return effect(link, 'idempotent', 'mongo', label);
    case 'replaceOne':
    case 'deleteOne':
    case 'deleteMany':
      return effect(link, 'idempotent', 'mongo', label);
    case 'save': {
      // new Model({...}).save(), or a document made new or loaded earlier and saved
      const receiver = link.receiver;
      if (!mongoose || !receiver) return undefined;
      if (ts.isNewExpression(unwrap(receiver))) {
        if (keyedByMessage((unwrap(receiver) as ts.NewExpression).arguments?.[0], context))
          return effect(link, 'idempotent', 'mongo', label, { keyedByMessage: true });
        return effect(link, 'duplicate-unsafe', 'mongo', 'new Model(…).save()', {
          onDuplicate: 'inserts a second document',
        });
      }
      const document = entityValue(receiver, context);
      if (document.kind === 'loaded')
        return document.relative
          ? effect(link, 'duplicate-unsafe', 'mongo', `${label} (read-modify-write)`, {
              onDuplicate: 'applies the change to the loaded document a second time',
            })
          : effect(link, 'idempotent', 'mongo', `${label} (update of a loaded document)`);
      if (document.kind === 'new') {
        const keyed = [...document.fields].some(
          ([name, value]) => KEY_NAMES.has(name) && context.values.isIdentityKey(value),
        );
        return keyed
          ? effect(link, 'idempotent', 'mongo', label, { keyedByMessage: true })
          : effect(link, 'duplicate-unsafe', 'mongo', 'new Model(…).save()', {
              onDuplicate: 'inserts a second document',
            });
      }
      return undefined;
    }
    default:
      if (READS.has(link.method)) {
        const filter = link.argument(0);
        return effect(link, 'read', 'mongo', label, {
          guard:
            filter && context.values.isIdentityKey(filter)
              ? { kind: 'check', key: filter, truthyMeans: 'seen' }
              : undefined,
        });
      }
      return undefined;
  }
}

/** `{ quantity: () => 'quantity - 1' }` (TypeORM raw set): a value computed from the column itself. */
function relativeRawSet(argument: ts.Expression | undefined, context: MatchContext): boolean {
  const object = argument && objectLiteral(argument, context);
  if (!object) return false;
  return object.properties.some((property) => {
    if (
      !ts.isPropertyAssignment(property) ||
      !(ts.isArrowFunction(property.initializer) || ts.isFunctionExpression(property.initializer))
    )
      return false;
    const column = property.name.getText().replace(/['"`]/g, '');
    const body = property.initializer.body.getText();
    return new RegExp(`\\b${column}\\s*[-+*/]`, 'i').test(body);
  });
}
