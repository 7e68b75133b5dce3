/**
 * BullMQ workers, and the NestJS integrations on top of BullMQ and Bull:
 *
 * - `new Worker(queueName, async (job) => {...}, opts)` (bullmq);
 * - `@Processor('queue') class X extends WorkerHost { async process(job) {...} }` (@nestjs/bullmq);
 * - `@Processor('queue') class X { @Process() async handle(job) {...} }`, also `@Process('name')`
 *   and `@Process({ name })` (@nestjs/bull).
 *
 * All are implicit-after-return: the job completes when the processor resolves; a thrown error
 * fails it (retried while attempts remain), and a job whose worker stalls (a crash, a blocked
 * event loop) runs again. Its identity is `job.id`, plus the payload's business keys.
 * A processor given as a file path or URL (a sandboxed processor) is not analysable: skipped.
 */
import { ts } from 'ts-morph';
import { objectLiteral } from '../effects/objects';
import {
  FunctionWithBody,
  forEachDescendant,
  isFunctionWithBody,
  isProjectCode,
  propertyValue,
  staticText,
  symbolOf,
  unwrap,
} from '../source/ast';
import { importModuleOf, resolveFunction } from '../source/symbols';
import { firstParameterName, newExpressions, refersToImport } from './shared';
import type { ConsumerSite, LibraryContext, LibraryModule } from './module';

const BULLMQ = ['bullmq'];
const NEST_BULLMQ = ['@nestjs/bullmq'];
const NEST_BULL = ['@nestjs/bull'];

export const bullmq: LibraryModule = {
  info: {
    id: 'bullmq',
    displayName: 'BullMQ (+ @nestjs/bullmq, @nestjs/bull)',
    packages: [...BULLMQ, ...NEST_BULLMQ, ...NEST_BULL],
    registration:
      '`new Worker(name, processor)`; `@Processor(name)` classes extending `WorkerHost` with `process(job)`; `@Process()` methods',
    ackModes: 'implicit-after-return (completed when the processor resolves; stalled jobs run again)',
    identity: '`job.id` (and the payload)',
  },
  traits: {
    sourceNoun: 'queue',
    redeliveryCause: {
      default:
        'a worker that stalls (a crash, a deploy, a blocked event loop) or a retried failure makes BullMQ run the job again',
    },
    settleMeaning: 'BullMQ completes the job',
    failureOutcome: 'BullMQ marks the job failed and retries it',
    deadLetter:
      'none built in: a job that fails its last attempt stays in the failed set, where it can be retried by hand',
  },
  identity: { idProperties: ['id'], nonUniqueProperties: [] },

  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[] {
    const sites: ConsumerSite[] = [];
    for (const created of newExpressions(sourceFile)) {
      if (!isWorkerClass(created.expression, context)) continue;
      const [name, processor] = created.arguments ?? [];
      // A path or URL runs in a sandboxed child process; `null` is a manually fetching worker.
      const handler = processor && resolveFunction(processor, context.checker);
      if (!handler) continue;
      sites.push(siteOf(handler, created, 'Worker', queueName(name, context.checker)));
    }
    forEachDescendant(sourceFile, (node) => {
      if (!ts.isClassDeclaration(node) && !ts.isClassExpression(node)) return;
      for (const decorator of decoratorsOf(node)) {
        const call = decorator.expression;
        if (!ts.isCallExpression(call)) continue;
        const source = queueName(call.arguments[0], context.checker);
        if (refersToImport(call.expression, NEST_BULLMQ, 'Processor', context.checker)) {
          const process = node.members.find(
            (member): member is FunctionWithBody & ts.MethodDeclaration =>
              ts.isMethodDeclaration(member) && isFunctionWithBody(member) && member.name.getText() === 'process',
          );
          if (process) sites.push(siteOf(process, decorator, 'WorkerHost.process', source));
        } else if (refersToImport(call.expression, NEST_BULL, 'Processor', context.checker)) {
          for (const member of node.members) {
            if (!ts.isMethodDeclaration(member) || !isFunctionWithBody(member)) continue;
            const process = decoratorsOf(member).find(
              (candidate) =>
                ts.isCallExpression(candidate.expression) &&
                refersToImport(candidate.expression.expression, NEST_BULL, 'Process', context.checker),
            );
            if (process) sites.push(siteOf(member, process, '@Process', source));
          }
        }
      }
    });
    return sites;
  },

  settleOf() {
    return undefined; // the job completes when the processor resolves, fails when it throws
  },
};

/**
 * bullmq's `Worker`, imported under any name; or, in a file that loads bullmq, a `Worker` the
 * checker cannot tie to any import (a CommonJS script, where the global DOM `Worker` shadows it).
 * `Worker` from node:worker_threads is not one.
 */
function isWorkerClass(expression: ts.Expression, context: LibraryContext): boolean {
  if (refersToImport(expression, BULLMQ, 'Worker', context.checker)) return true;
  const value = unwrap(expression);
  if (!ts.isIdentifier(value) || value.text !== 'Worker' || !context.imports.has('bullmq')) return false;
  const declarations = symbolOf(value, context.checker)?.declarations ?? [];
  return !declarations.some((declaration) => importModuleOf(declaration) !== undefined || isProjectCode(declaration));
}

function siteOf(
  handler: FunctionWithBody,
  registrationNode: ts.Node,
  form: string,
  source: string | undefined,
): ConsumerSite {
  const job = firstParameterName(handler);
  return {
    library: bullmq,
    form,
    registrationNode,
    handler,
    messageBindings: handler.parameters.slice(0, 1).map((parameter) => parameter.name),
    ackMode: 'implicit-after-return',
    source,
    identityHint: 'job.id (or a business key of job.data)',
    identityExpression: job ? `${job}.id` : undefined,
    // Job ids are counters per queue: a key shared with another queue needs the queue's name.
    ...(job ? { dedupScope: '${' + job + '.queueName}' } : {}),
  };
}

/** A static queue name: `'emails'`, a const, or `{ name: 'emails' }` (the NestJS decorators' options form). */
function queueName(argument: ts.Expression | undefined, checker: ts.TypeChecker): string | undefined {
  const options = objectLiteral(argument, checker);
  const text = staticText(options ? propertyValue(options, 'name') : argument, checker);
  return text && !text.includes('${…}') ? text : undefined;
}

function decoratorsOf(node: ts.Node): readonly ts.Decorator[] {
  return ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : [];
}
