/**
 * Callbacks and their parameters (analysis/source/symbols.ts, analysis/handler/flow.ts):
 * - a parameter written without a type takes the one its context declares (`const worker: Worker =
 *   { handler: async (msg, db) => … }` where the project's `Worker` says `db: DataSource`);
 * - else the package of the call it is passed to (`redisPool.execute((client) => client.set(…))`);
 * - a helper entered again with another callback (`runInSpan('handler', () => handle(msg))` inside
 *   the callback an outer `runInSpan` runs) is followed again, not cut as a recursion.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { MODES, TestProject, effectLabelsIn, findingLinesIn } from '../helpers/project';

/** The project's worker contract: the handler gets the message and the database. */
const WORKER = `import { DataSource } from 'typeorm';

export interface Message {
  id: string;
  data: Buffer;
}

export interface Worker {
  subscription: string;
  handler: (message: Message, db: DataSource) => Promise<void>;
}
`;

/** Runs a handler inside a tracing span, the way telemetry helpers do. */
const TRACING = `import { trace, type Span } from '@opentelemetry/api';

export const runInSpan = async <T>(name: string, work: (span: Span) => Promise<T>): Promise<T> =>
  trace.getTracer('svc').startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } finally {
      span.end();
    }
  });
`;

const subscriber = (runHandler: string) => `import { PubSub, type Message } from '@google-cloud/pubsub';
import { runInSpan } from './tracing';

export function subscribe(pubsub: PubSub, subscription: string, handler: (message: Message) => Promise<void>): void {
  pubsub.subscription(subscription).on('message', async (message) =>
    runInSpan('message', async () => {
      try {
        ${runHandler}
        message.ack();
      } catch {
        message.nack();
      }
    }),
  );
}
`;

const START = (module: string) => `import { PubSub } from '@google-cloud/pubsub';
import { DataSource } from 'typeorm';
import { subscribe } from './${module}';
import audit from './audit-worker';

export function start(db: DataSource): void {
  subscribe(new PubSub(), audit.subscription, (message) => audit.handler({ id: message.id, data: message.data }, db));
}
`;

const FILES: Record<string, string> = {
  'worker.ts': WORKER,
  'tracing.ts': TRACING,
  // The handler's \`db\` has no type of its own: the Worker contract gives it typeorm's DataSource.
  'audit-worker.ts': `import type { Worker } from './worker';

const worker: Worker = {
  subscription: 'audit',
  handler: async (message, db) => {
    await db.getRepository('AuditEntry').insert({ body: message.data.toString() });
  },
};

export default worker;
`,
  'nested-subscriber.ts': subscriber("await runInSpan('handler', async () => handler(message));"),
  'direct-subscriber.ts': subscriber('await handler(message);'),
  'start-nested.ts': START('nested-subscriber'),
  'start-direct.ts': START('direct-subscriber'),
  // A pooled client handed to a callback by the pool's package.
  'pool.ts': `import { IORedisPool } from 'ts-ioredis-pool';

const pool = new IORedisPool({ host: 'redis' });

export const setFlag = (key: string, value: string) => pool.execute((client) => client.incr(key + value));
`,
  'pool-consumer.ts': `import { Kafka } from 'kafkajs';
import { setFlag } from './pool';

const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'flags' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await setFlag('views:', message.value!.toString());
    },
  });
}
`,
  // The project's own pool: its callback's client is the project's class, not a package's.
  'own-pool.ts': `class Counter {
  incr(key: string): number {
    return key.length;
  }
}

class OwnPool {
  execute<T>(work: (client: Counter) => T): T {
    return work(new Counter());
  }
}

export const counters = new OwnPool();
`,
  'own-pool-consumer.ts': `import { Kafka } from 'kafkajs';
import { counters } from './own-pool';

const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'counts' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      counters.execute((client) => client.incr(message.value!.toString()));
    },
  });
}
`,
};

for (const mode of MODES) {
  describe(`callbacks: their parameters' origins, and helpers entered again (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    before(() => {
      project = new TestProject(mode, 'callback-parameters');
      const files = project.write(FILES);
      result = project.analyze(files);
    });
    after(() => project.remove());

    const effectsOf = (file: string) => effectLabelsIn(result, file);

    test("a parameter without a type takes the contract's, and a typed object's member is its literal's", () => {
      assert.deepEqual(
        result.consumers
          .filter((consumer) => consumer.registration.location.filePath.endsWith('/start-direct.ts'))
          .flatMap((consumer) => consumer.effects.map((effect) => effect.description.class)),
        ['duplicate-unsafe'],
      );
      // Reported on the callback the user wrote, the one the wrapper runs.
      assert.deepEqual(findingLinesIn(result, 'start-direct.ts'), ['missing-event-id-check:7']);
    });

    test('a helper run again with another callback inside its own callback is followed: the same effect', () => {
      const direct = result.consumers.find((consumer) =>
        consumer.registration.location.filePath.endsWith('/start-direct.ts'),
      );
      const nested = result.consumers.find((consumer) =>
        consumer.registration.location.filePath.endsWith('/start-nested.ts'),
      );
      assert.ok(direct && nested, 'both subscribers are consumers');
      assert.deepEqual(
        nested.effects.map((effect) => effect.description.label),
        direct.effects.map((effect) => effect.description.label),
      );
      assert.equal(nested.settles.length, 2, 'the ack and the nack after the nested span');
      assert.deepEqual(findingLinesIn(result, 'start-nested.ts'), ['missing-event-id-check:7']);
    });

    test("a pool's callback gets the pool package's client: its incr is an unguarded relative write", () => {
      const classes = effectsOf('pool-consumer.ts').map((effect) => effect.split(' ')[0]);
      assert.deepEqual(classes, ['duplicate-unsafe']);
      assert.deepEqual(findingLinesIn(result, 'pool-consumer.ts'), ['missing-event-id-check:8']);
    });

    test("the project's own pool hands its own class: nothing is taken for a package's call", () => {
      assert.deepEqual(effectsOf('own-pool-consumer.ts'), []);
      assert.deepEqual(findingLinesIn(result, 'own-pool-consumer.ts'), []);
    });
  });
}
