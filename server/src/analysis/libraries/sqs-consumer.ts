/**
 * sqs-consumer: `Consumer.create({ queueUrl, handleMessage | handleMessageBatch })` or
 * `new Consumer({...})`. The library deletes the message when the handler resolves.
 */
import { ts } from 'ts-morph';
import { propertyFunctionNode, propertyOf, propertyValue, unwrap } from '../source';
import { resolveFunction } from '../symbols';
import { callsNamed, firstParameterName, newExpressions, refersToImport, shortName } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './types';

const PACKAGES = ['sqs-consumer'];

export const sqsConsumer: LibraryModule = {
  info: {
    id: 'sqs-consumer',
    displayName: 'sqs-consumer',
    packages: PACKAGES,
    registration: '`Consumer.create({ handleMessage })`, `new Consumer({ handleMessageBatch })`',
    ackModes: 'implicit-after-return (deleted when the handler resolves)',
    identity: '`message.MessageId`',
  },
  identity: { idProperties: ['MessageId', 'MessageDeduplicationId'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const registrations: { node: ts.CallExpression | ts.NewExpression; options: ts.Expression | undefined }[] = [];
    const isConsumerClass = (expression: ts.Expression): boolean =>
      refersToImport(expression, PACKAGES, 'Consumer', context.checker) || (unwrap(expression).getText() === 'Consumer' && PACKAGES.some((name) => context.imports.has(name)));
    for (const call of callsNamed(sourceFile, ['create'])) {
      const callee = unwrap(call.expression);
      if (ts.isPropertyAccessExpression(callee) && isConsumerClass(callee.expression)) registrations.push({ node: call, options: call.arguments[0] });
    }
    for (const created of newExpressions(sourceFile)) {
      if (isConsumerClass(created.expression)) registrations.push({ node: created, options: created.arguments?.[0] });
    }

    const sites: ConsumerSite[] = [];
    for (const { node, options } of registrations) {
      const object = options && unwrap(options);
      if (!object || !ts.isObjectLiteralExpression(object)) continue;
      const form = propertyOf(object, 'handleMessage') ? 'handleMessage' : propertyOf(object, 'handleMessageBatch') ? 'handleMessageBatch' : undefined;
      if (!form) continue;
      const handler = resolveFunction(propertyFunctionNode(object, form), context.checker);
      if (!handler) continue;
      const message = firstParameterName(handler);
      sites.push({
        library: sqsConsumer,
        form,
        registrationNode: node,
        handler,
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
