/**
 * sqs-consumer: `Consumer.create({ queueUrl, handleMessage | handleMessageBatch })` or
 * `new Consumer({...})`. The library deletes the message when the handler resolves; from version
 * 14 only what the handler returns (the message, or for a batch the messages), unless
 * `alwaysAcknowledge: true`. The version is read from the nearest package.json that declares it.
 * With `shouldDeleteMessages: false` it deletes nothing: the handler deletes the message itself
 * (`DeleteMessageCommand`, as in a receive loop), and one it leaves comes back after the visibility
 * timeout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import { booleanValue, propertyFunctionNode, propertyOf, propertyValue, unwrap } from '../source/ast';
import { resolveFunction } from '../source/symbols';
import { clientSqs } from './client-sqs';
import { callsNamed, firstParameterName, newExpressions, refersToImport, shortName, SQS_DEAD_LETTER } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const PACKAGES = ['sqs-consumer'];

export const sqsConsumer: LibraryModule = {
  info: {
    id: 'sqs-consumer',
    displayName: 'sqs-consumer',
    packages: PACKAGES,
    registration: '`Consumer.create({ handleMessage })`, `new Consumer({ handleMessageBatch })`',
    ackModes:
      'implicit-after-return (deleted when the handler resolves); explicit with `shouldDeleteMessages: false` (the handler deletes it)',
    identity: '`message.MessageId`',
  },
  traits: {
    sourceNoun: 'queue',
    redeliveryCause: {
      default: 'a crash, a thrown error or a visibility timeout before the delete makes SQS deliver it again',
    },
    settleMeaning: 'sqs-consumer deletes the message',
    failureOutcome: 'sqs-consumer leaves the message for redelivery',
    deadLetter: SQS_DEAD_LETTER,
    holdsUnsettled: {
      kind: 'until-returned',
      explanation:
        'sqs-consumer 14+ deletes only what the handler returns, so the message is never deleted and comes back after every visibility timeout, forever (or until a redrive policy moves it)',
    },
    code: { guardReturnsMessage: true, identityUniquePerQueue: true },
  },
  identity: { idProperties: ['MessageId', 'MessageDeduplicationId'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const registrations: { node: ts.CallExpression | ts.NewExpression; options: ts.Expression | undefined }[] = [];
    const isConsumerClass = (expression: ts.Expression): boolean =>
      refersToImport(expression, PACKAGES, 'Consumer', context.checker) ||
      (unwrap(expression).getText() === 'Consumer' && PACKAGES.some((name) => context.imports.has(name)));
    for (const call of callsNamed(sourceFile, ['create'])) {
      const callee = unwrap(call.expression);
      if (ts.isPropertyAccessExpression(callee) && isConsumerClass(callee.expression))
        registrations.push({ node: call, options: call.arguments[0] });
    }
    for (const created of newExpressions(sourceFile)) {
      if (isConsumerClass(created.expression)) registrations.push({ node: created, options: created.arguments?.[0] });
    }

    const sites: ConsumerSite[] = [];
    for (const { node, options } of registrations) {
      const object = options && unwrap(options);
      if (!object || !ts.isObjectLiteralExpression(object)) continue;
      const form = propertyOf(object, 'handleMessage')
        ? 'handleMessage'
        : propertyOf(object, 'handleMessageBatch')
          ? 'handleMessageBatch'
          : undefined;
      if (!form) continue;
      const handler = resolveFunction(propertyFunctionNode(object, form), context.checker);
      if (!handler) continue;
      const message = firstParameterName(handler);
      const declared = declaredMajorVersion(node.getSourceFile().fileName, 'sqs-consumer');
      // `>=13` admits 14 and later too: only a lower bound of 14 or more says the handler must return.
      const major = declared && declared.lowerBoundOnly && declared.major < 14 ? undefined : declared?.major;
      const alwaysAcknowledge = booleanValue(propertyValue(object, 'alwaysAcknowledge'));
      const shouldDelete = propertyValue(object, 'shouldDeleteMessages');
      if (booleanValue(shouldDelete) === false) {
        sites.push({
          library: sqsConsumerManualDelete,
          form,
          ...(form === 'handleMessageBatch' ? { batch: true } : {}),
          registrationNode: node,
          handler,
          messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
          ackMode: 'explicit',
          ackModeNode: shouldDelete?.parent,
          source: shortName(propertyValue(object, 'queueUrl'), context.checker),
          identityHint: 'message.MessageId',
          identityExpression: message && form === 'handleMessage' ? `${message}.MessageId` : undefined,
        });
        continue;
      }
      sites.push({
        library: sqsConsumer,
        form,
        ...(form === 'handleMessageBatch' ? { batch: true } : {}),
        registrationNode: node,
        handler,
        settlesByReturn: major === undefined ? undefined : major >= 14 && alwaysAcknowledge !== true,
        messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
        ackMode: 'implicit-after-return',
        source: shortName(propertyValue(object, 'queueUrl'), context.checker),
        identityHint: 'message.MessageId',
        identityExpression: message && form === 'handleMessage' ? `${message}.MessageId` : undefined,
      });
    }
    return sites;
  },

  settleOf() {
    return undefined; // deletion is the library's, after the handler resolves
  },
};

const manifestCache = new Map<string, { mtimeMs: number; dependencies: Record<string, string> | undefined }>();

/** The dependencies a package.json declares (cached by modification time), or undefined without one. */
function declaredDependencies(manifest: string): Record<string, string> | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(manifest).mtimeMs;
  } catch {
    return undefined;
  }
  const cached = manifestCache.get(manifest);
  if (cached && cached.mtimeMs === mtimeMs) return cached.dependencies;
  let dependencies: Record<string, string> | undefined;
  try {
    const json = JSON.parse(fs.readFileSync(manifest, 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    dependencies = { ...(json.devDependencies ?? {}), ...(json.dependencies ?? {}) };
  } catch {
    dependencies = undefined;
  }
  manifestCache.set(manifest, { mtimeMs, dependencies });
  return dependencies;
}

/**
 * The major version of a package from the range declared in the nearest package.json (walking up
 * from the file) that lists it: `^14.2.8`, `>=14`, `15.x`, `~14.0.0`, `14`. Undefined when no
 * package.json declares it, or the range does not name one major (`*`, `latest`, `<15`, `^13 || ^14`).
 */
export function declaredMajorVersion(
  fileName: string,
  packageName: string,
): { major: number; lowerBoundOnly: boolean } | undefined {
  let directory = path.dirname(fileName);
  for (;;) {
    const range = declaredDependencies(path.join(directory, 'package.json'))?.[packageName];
    if (range !== undefined) return majorOf(range);
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

function majorOf(range: string): { major: number; lowerBoundOnly: boolean } | undefined {
  const text = range.trim().replace(/^npm:.+@(?=[\^~>=v\d])/, '');
  if (text.includes('||') || text.includes('<') || / - /.test(text)) return undefined;
  const match = /^(\^|~|>=?|=)?\s*v?(\d+)(?:\.(?:\d+|x|\*))*(?:[-+].*)?$/i.exec(text);
  if (!match) return undefined;
  return { major: Number(match[2]), lowerBoundOnly: !!match[1]?.startsWith('>') };
}

/**
 * sqs-consumer with `shouldDeleteMessages: false`: the handler deletes the message
 * (`DeleteMessageCommand` with its receipt handle) or leaves it to come back after the visibility
 * timeout, SQS's timed retry, as in a receive loop.
 */
const sqsConsumerManualDelete: LibraryModule = {
  ...sqsConsumer,
  traits: {
    sourceNoun: 'queue',
    redeliveryCause: {
      default:
        'a crash, a failed step or an expired visibility timeout before DeleteMessage makes SQS deliver it again',
    },
    settleMeaning: 'the handler deletes the message',
    failureOutcome: 'sqs-consumer leaves the message for redelivery',
    deadLetter: SQS_DEAD_LETTER,
    code: { identityUniquePerQueue: true },
  },
  settleOf: (call, values, checker) => clientSqs.settleOf(call, values, checker),
};
