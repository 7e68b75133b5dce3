/** ORMs and document stores: Prisma, TypeORM, Sequelize, knex, Drizzle, MongoDB, Mongoose. */
import { ts } from 'ts-morph';
import { findProperty, hasProperty, keyedByMessage, keyedFresh, objectLiteral } from './objects';
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
  const key = where && findProperty(where, () => true, context.checker);
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
      const data = findProperty(args, (name) => name === 'data', context.checker);
      const keyed = keyedByMessage(data, context);
      const skipsDuplicates = hasProperty(args, ['skipDuplicates'], context.checker);
      if (keyed)
        return effect(link, dedupStore ? 'dedup-record' : 'idempotent', 'orm', label, {
          keyedByMessage: true,
          record: dedupStore,
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
      const relative = hasProperty(args, PRISMA_RELATIVE, context.checker);
      if (relative)
        return effect(link, 'duplicate-unsafe', 'orm', `${label} (increment)`, {
          onDuplicate: `applies the ${model} increment twice`,
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
            findProperty(args, (name) => name === 'where', context.checker),
          ),
        });
      }
      return undefined;
  }
}

export function matchTypeOrmSequelize(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin();
  const receiver = link.receiverNames[link.receiverNames.length - 1] ?? '';
  const typeorm = origin === 'typeorm' || /(repo|repository|manager)$/.test(receiver);
  const sequelize = origin === 'sequelize' || origin === 'sequelize-typescript';
  if (!typeorm && !sequelize) return undefined;
  const label = `${link.path.filter((name) => name !== 'this').join('.')}`;
  const first = link.argument(0);
  switch (link.method) {
    case 'insert':
    case 'create':
    case 'bulkCreate':
    case 'save': {
      if (keyedByMessage(first, context)) return effect(link, 'idempotent', 'orm', label, { keyedByMessage: true });
      const options = link.argument(1);
      if (hasProperty(options, ['ignoreDuplicates', 'updateOnDuplicate', 'conflictPaths'], context.checker))
        return effect(link, 'idempotent', 'orm', label);
      if (link.method === 'save' && !typeorm) return undefined;
      return effect(link, 'duplicate-unsafe', 'orm', label, {
        onDuplicate: 'inserts a second row',
        effectFix: 'conflict-ignoring-insert',
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
      return effect(link, 'idempotent', 'orm', label);
    default:
      if (READS.has(link.method)) {
        const where = findProperty(first, (name) => name === 'where', context.checker) ?? first;
        return effect(link, 'read', 'orm', label, {
          guard:
            where && context.values.isIdentityKey(where)
              ? { kind: 'check', key: where, truthyMeans: 'seen' }
              : undefined,
        });
      }
      return undefined;
  }
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
      return effect(link, 'idempotent', 'orm', 'drizzle insert', { keyedByMessage: true });
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
          { keyedByMessage: true, record: DEDUP_STORE_NAME.test(table) },
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
        return effect(link, 'idempotent', 'mongo', label, { keyedByMessage: true });
      return effect(link, 'duplicate-unsafe', 'mongo', label, { onDuplicate: 'inserts a second document' });
    }
    case 'updateOne':
    case 'updateMany':
    case 'findOneAndUpdate':
    case 'findByIdAndUpdate':
    case 'bulkWrite':
      if (hasProperty(link.argument(1) ?? link.argument(0), MONGO_RELATIVE, context.checker)) {
        return effect(link, 'duplicate-unsafe', 'mongo', `${label} ($inc/$push)`, {
          onDuplicate: 'applies the $inc/$push twice',
        });
      }
      return effect(link, 'idempotent', 'mongo', label);
    case 'replaceOne':
    case 'deleteOne':
    case 'deleteMany':
      return effect(link, 'idempotent', 'mongo', label);
    case 'save': {
      // new Model({...}).save()
      const receiver = link.receiver;
      if (mongoose && receiver && ts.isNewExpression(receiver)) {
        if (keyedByMessage(receiver.arguments?.[0], context))
          return effect(link, 'idempotent', 'mongo', label, { keyedByMessage: true });
        return effect(link, 'duplicate-unsafe', 'mongo', 'new Model(…).save()', {
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
  const object = argument && objectLiteral(argument, context.checker);
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
