/** Key-value and document stores: Redis, DynamoDB, Firestore, Elasticsearch. */
import { ts } from 'ts-morph';
import { containsFreshValue } from '../source/message-values';
import { staticText } from '../source/ast';
import { commandOf, findProperty, hasNxOption, hasProperty, keyedByMessage, keyedFresh, topProperty } from './objects';
import { CallLink, ClassifiedCall, DEDUP_STORE_NAME, MatchContext, effect } from './matcher';

const REDIS_MODULES = new Set(['ioredis', 'redis', '@redis/client', '@upstash/redis', 'ioredis-mock']);
/** Packages named after Redis that wrap its client (pools, framework modules): their clients are Redis's. */
const REDIS_WRAPPER = /(^|[/-])(io)?redis([/-]|$)/;
const REDIS_RELATIVE = new Set([
  'incr',
  'incrby',
  'incrbyfloat',
  'decr',
  'decrby',
  'hincrby',
  'hincrbyfloat',
  'zincrby',
  'lpush',
  'rpush',
  'lpushx',
  'rpushx',
  'xadd',
  'append',
  'linsert',
]);
const REDIS_ABSOLUTE = new Set([
  'set',
  'setex',
  'psetex',
  'mset',
  'hset',
  'hmset',
  'hsetnx',
  'sadd',
  'srem',
  'zadd',
  'zrem',
  'del',
  'unlink',
  'expire',
  'pexpire',
  'hdel',
  'setnx',
  'getdel',
  'getset',
  'persist',
  'lrem',
]);
const REDIS_READS = new Set([
  'get',
  'exists',
  'sismember',
  'smismember',
  'hget',
  'hexists',
  'mget',
  'hgetall',
  'ttl',
  'pttl',
  'smembers',
  'zscore',
]);

function isRedis(link: CallLink): boolean {
  const origin = link.origin();
  if (origin && (REDIS_MODULES.has(origin) || REDIS_WRAPPER.test(origin))) return true;
  if (origin) return false;
  const receiver = link.receiverNames[link.receiverNames.length - 1] ?? '';
  return /redis/.test(receiver);
}

/** A receiver the code names a cache: `this.cache`, `redisCacheService`, `quoteCache`. */
function isCacheReceiver(link: CallLink): boolean {
  const receiver = link.receiverNames[link.receiverNames.length - 1] ?? '';
  return /cache/i.test(receiver);
}

function redisMethod(method: string): string {
  // node-redis v4 uses camelCase (hIncrBy, setNX); ioredis lower-case.
  return method.toLowerCase();
}

export function matchRedis(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method || !isRedis(link)) return undefined;
  const method = redisMethod(link.method);
  const key = link.argument(0);
  const keyed = !!key && context.values.isIdentityKey(key);
  const keyText = staticText(key, context.checker) ?? '';
  const label = `redis ${method}`;
  if (REDIS_RELATIVE.has(method)) {
    return effect(link, 'duplicate-unsafe', 'redis', label, {
      onDuplicate: method.includes('push') || method === 'xadd' ? 'appends the entry twice' : 'counts it twice',
    });
  }
  if (method === 'publish')
    return effect(link, 'duplicate-unsafe', 'publish', 'redis publish', { onDuplicate: 'publishes the event twice' });
  if (method === 'set' && hasNxOption(link.call.arguments.slice(2), context.checker)) {
    return effect(link, 'dedup-record', 'redis', 'redis SET NX', {
      keyedByMessage: keyed,
      guard: key ? { kind: 'claim', key, truthyMeans: 'new' } : undefined,
      record: true,
    });
  }
  if (method === 'setnx' || method === 'sadd' || method === 'hsetnx') {
    const member = method === 'setnx' ? key : (link.argument(1) ?? key);
    const memberKeyed = !!member && context.values.isIdentityKey(member);
    // SADD into `active-customers` is plain state; into `processed-events` it records the message.
    const record = memberKeyed && (method === 'setnx' || DEDUP_STORE_NAME.test(keyText) || method === 'hsetnx');
    return effect(link, record ? 'dedup-record' : 'idempotent', 'redis', label, {
      keyedByMessage: memberKeyed,
      guard: member ? { kind: 'claim', key: member, truthyMeans: 'new' } : undefined,
      record,
    });
  }
  if (REDIS_ABSOLUTE.has(method)) {
    const valueText = staticText(link.argument(1), context.checker) ?? '';
    const record =
      keyed &&
      method !== 'del' &&
      (DEDUP_STORE_NAME.test(keyText) ||
        /^(1|true|done|processed|seen)$/i.test(valueText) ||
        /\b(done|seen)\b/i.test(keyText));
    // A cache fill (`cache.set`, `redisCacheService.set`): losing it costs a recomputation, so it
    // is not work an early ack can lose (docs/model.md, "Effects").
    if (!record && method !== 'del' && isCacheReceiver(link))
      return effect(link, 'idempotent', 'cache', `${label} (cache)`, { keyedByMessage: keyed, processing: false });
    return effect(link, record ? 'dedup-record' : 'idempotent', 'redis', label, { keyedByMessage: keyed, record });
  }
  if (REDIS_READS.has(method)) {
    const checked = method === 'sismember' || method === 'hexists' ? (link.argument(1) ?? key) : key;
    return effect(link, 'read', 'redis', label, {
      guard: checked ? { kind: 'check', key: checked, truthyMeans: 'seen' } : undefined,
    });
  }
  return undefined;
}

const DYNAMO_COMMANDS =
  /^(PutItem|Put|UpdateItem|Update|GetItem|Get|DeleteItem|Delete|TransactWriteItems|TransactWrite|BatchWriteItem|BatchWrite)Command$/;

/** DynamoDB through `client.send(new XCommand(input))` or the v2 DocumentClient `put/update/get`. */
export function matchDynamo(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  let operation: string | undefined;
  let input: ts.Expression | undefined;
  if (link.method === 'send') {
    const command = commandOf(link.argument(0), context);
    if (!command || !DYNAMO_COMMANDS.test(command.name)) return undefined;
    operation = command.name.replace(/(Item)?Command$/, '');
    input = command.input;
  } else {
    const origin = link.origin();
    if (origin !== 'aws-sdk' && !/dynamo|docclient|documentclient/i.test(link.receiverNames.join('.')))
      return undefined;
    const v2 = {
      put: 'Put',
      update: 'Update',
      get: 'Get',
      delete: 'Delete',
      transactWrite: 'TransactWrite',
      putItem: 'Put',
      updateItem: 'Update',
      getItem: 'Get',
    } as Record<string, string>;
    operation = v2[link.method];
    input = link.argument(0);
  }
  if (!operation) return undefined;
  const table = staticText(topProperty(input, 'TableName', context), context.checker) ?? 'table';
  const label = `DynamoDB ${operation} ${table}`;
  const condition = staticText(topProperty(input, 'ConditionExpression', context), context.checker) ?? '';
  switch (operation) {
    case 'Update': {
      const expression = (staticText(topProperty(input, 'UpdateExpression', context), context.checker) ?? '').replace(
        /\s+/g,
        ' ',
      );
      const relative =
        /^\s*ADD\b|\bADD\s/i.test(expression) ||
        /\b(#?\w+)\s*=\s*(if_not_exists\(\s*)?\1\b[^,]*?[+-]/i.test(expression);
      if (relative && !/attribute_not_exists|<>|=/.test(condition)) {
        return effect(link, 'duplicate-unsafe', 'dynamodb', `${label} (ADD / x = x + :v)`, {
          onDuplicate: `applies the ${table} update twice`,
        });
      }
      return effect(link, 'idempotent', 'dynamodb', label);
    }
    case 'Put': {
      const item = topProperty(input, 'Item', context);
      const conditional = /attribute_not_exists/i.test(condition);
      if (conditional && keyedByMessage(item, context)) {
        return effect(
          link,
          DEDUP_STORE_NAME.test(table) ? 'dedup-record' : 'idempotent',
          'dynamodb',
          `${label} if absent`,
          { keyedByMessage: true, record: DEDUP_STORE_NAME.test(table), uniqueInsert: true },
        );
      }
      if (keyedFresh(item, context) && !keyedByMessage(item, context)) {
        return effect(link, 'duplicate-unsafe', 'dynamodb', label, {
          onDuplicate: `puts another ${table} item under a fresh key`,
        });
      }
      return effect(link, 'idempotent', 'dynamodb', label, { keyedByMessage: keyedByMessage(item, context) });
    }
    case 'Get': {
      const key = topProperty(input, 'Key', context);
      return effect(link, 'read', 'dynamodb', label, {
        guard: key && context.values.isIdentityKey(key) ? { kind: 'check', key, truthyMeans: 'seen' } : undefined,
      });
    }
    default:
      return effect(link, 'idempotent', 'dynamodb', label);
  }
}

/**
 * The `doc(key)` a Firestore call acts on, in its chain or through the variable that holds the
 * reference (`const ref = db.collection('processed').doc(id); await ref.get()`), with the static
 * name of its collection.
 */
function firestoreDoc(
  link: CallLink,
  context: MatchContext,
): { key: ts.Expression | undefined; collection: string } | undefined {
  if (!ts.isPropertyAccessExpression(link.call.expression)) return undefined;
  let target: ts.Expression = link.call.expression.expression;
  for (let depth = 0; depth < 3 && ts.isIdentifier(target); depth++) {
    const declaration = context.checker.getSymbolAtLocation(target)?.valueDeclaration;
    if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return undefined;
    target = declaration.initializer;
    while (ts.isAwaitExpression(target) || ts.isParenthesizedExpression(target)) target = target.expression;
  }
  if (
    !ts.isCallExpression(target) ||
    !ts.isPropertyAccessExpression(target.expression) ||
    target.expression.name.text !== 'doc'
  )
    return undefined;
  let collection = '';
  for (let node: ts.Expression = target.expression.expression; ts.isCallExpression(node);) {
    if (!ts.isPropertyAccessExpression(node.expression)) break;
    if (node.expression.name.text === 'collection')
      collection = staticText(node.arguments[0], context.checker) ?? collection;
    node = node.expression.expression;
  }
  return { key: target.arguments[0], collection };
}

/** Firestore: FieldValue.increment is relative; add() and doc() without a path create new documents. */
export function matchFirestore(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (!link.method) return undefined;
  const origin = link.origin() ?? '';
  const firestore =
    /firebase|firestore/.test(origin) ||
    link.receiverNames.includes('collection') ||
    link.path.some((name) => /firestore/i.test(name));
  if (!firestore) return undefined;
  const label = `Firestore ${link.method}`;
  if (
    ['update', 'set'].includes(link.method) &&
    link.call.arguments.some((argument) => /FieldValue\.increment\(|\bincrement\(/.test(argument.getText()))
  ) {
    return effect(link, 'duplicate-unsafe', 'firestore', `${label} (FieldValue.increment)`, {
      onDuplicate: 'applies the increment twice',
    });
  }
  if (link.method === 'add' && link.receiverNames.includes('collection')) {
    return effect(link, 'duplicate-unsafe', 'firestore', 'Firestore collection.add', {
      onDuplicate: 'adds a second document',
    });
  }
  if (link.method === 'set' || link.method === 'create') {
    const docCall = ts.isPropertyAccessExpression(link.call.expression) ? link.call.expression.expression : undefined;
    if (
      docCall &&
      ts.isCallExpression(docCall) &&
      ts.isPropertyAccessExpression(docCall.expression) &&
      docCall.expression.name.text === 'doc' &&
      docCall.arguments.length === 0
    ) {
      return effect(link, 'duplicate-unsafe', 'firestore', 'Firestore doc().set', {
        onDuplicate: 'creates a second document under a fresh ID',
      });
    }
    // A document whose ID is the message's: set() twice writes the same document; in a dedup
    // collection (`processed_events`) it records the message.
    const doc = firestoreDoc(link, context);
    const keyed = !!doc?.key && context.values.isIdentityKey(doc.key);
    const record = keyed && DEDUP_STORE_NAME.test(doc.collection);
    return effect(link, record ? 'dedup-record' : 'idempotent', 'firestore', label, { keyedByMessage: keyed, record });
  }
  if (['update', 'delete'].includes(link.method)) return effect(link, 'idempotent', 'firestore', label);
  // `doc(key).get()` then `snapshot.exists`: a check of the key.
  if (link.method === 'get') {
    const doc = firestoreDoc(link, context);
    if (!doc?.key) return undefined;
    return effect(link, 'read', 'firestore', label, {
      guard: context.values.isIdentityKey(doc.key) ? { kind: 'check', key: doc.key, truthyMeans: 'seen' } : undefined,
    });
  }
  return undefined;
}

/** Elasticsearch/OpenSearch `index`: idempotent with an `id`, a second document without one. */
export function matchSearchIndex(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  if (link.method !== 'index') return undefined;
  const origin = link.origin() ?? '';
  if (!/elastic|opensearch/.test(origin) && !/elastic|search|opensearch|^es$/.test(link.receiverNames.join('.')))
    return undefined;
  const options = link.argument(0);
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  const id = findProperty(options, (name) => name === 'id', context);
  if (id && context.values.isIdentityKey(id))
    return effect(link, 'idempotent', 'search-index', 'Elasticsearch index (id from the message)', {
      keyedByMessage: true,
    });
  if (id && !containsFreshValue(id, context.checker))
    return effect(link, 'idempotent', 'search-index', 'Elasticsearch index (with id)');
  if (id)
    return effect(link, 'duplicate-unsafe', 'search-index', 'Elasticsearch index (id made fresh)', {
      onDuplicate: 'indexes a second document under a fresh id',
    });
  if (!hasProperty(options, ['index'], context)) return undefined;
  return effect(link, 'duplicate-unsafe', 'search-index', 'Elasticsearch index (no id)', {
    onDuplicate: 'indexes a second document',
  });
}
