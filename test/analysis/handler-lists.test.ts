/**
 * A wrapper called once per item of a list of handler objects (docs/model.md, "Wrappers, dispatch
 * tables and where findings go"): `jobs.forEach((job) => subscribe(job.topic, (m) => job.run(m)))`.
 * Each item the list holds is a consumer registered at that call, its handler the item's function.
 * Written anew here, and checked typed and untyped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, ConsumerReport } from '../../server/src/model';
import { MODES, TestProject, findingLinesIn } from '../helpers/project';

const base = (file: string): string => file.split('/').pop()!;
const where = (consumer: ConsumerReport): string =>
  `${consumer.handlerName}@${base(consumer.handlerRange.filePath)}:${consumer.handlerRange.line}`;

const FILES: Record<string, string> = {
  'bus/subscribe.ts': `import { PubSub, type Message } from '@google-cloud/pubsub';
export function subscribe(
  pubsub: PubSub,
  subscription: string,
  handler: (message: Message) => Promise<void>,
): void {
  pubsub.subscription(subscription).on('message', async (message: Message) => {
    try {
      await handler(message);
      message.ack();
    } catch (error) {
      console.error(error);
      message.nack();
    }
  });
}
`,
  'bus/job.ts': `export interface JobMessage {
  id: string;
  data: Buffer;
}
export interface Job {
  topic: string;
  run: (message: JobMessage) => Promise<void>;
}
`,
  // One job swallows its failure (the wrapper then acks), one inserts with no dedup check, one is
  // safe: an upsert whose failure reaches the wrapper.
  'jobs/swallow.ts': `import { Pool } from 'pg';
import type { Job } from '../bus/job';
const pool = new Pool();
const job: Job = {
  topic: 'profile-updated',
  run: async (message) => {
    try {
      await pool.query('UPDATE profiles SET body = $1 WHERE id = $2', [message.data.toString(), message.id]);
    } catch (error) {
      console.error('could not update the profile', error);
    }
  },
};
export default job;
`,
  'jobs/insert.ts': `import { Pool } from 'pg';
import type { Job } from '../bus/job';
const pool = new Pool();
export const auditJob: Job = {
  topic: 'audit',
  async run(message) {
    await pool.query('INSERT INTO audit (body) VALUES ($1)', [message.data.toString()]);
  },
};
`,
  'jobs/safe.ts': `import { Pool } from 'pg';
import type { Job } from '../bus/job';
const pool = new Pool();
const job: Job = {
  topic: 'profile-deleted',
  run: async (message) => {
    await pool.query('DELETE FROM profiles WHERE id = $1', [message.id]);
  },
};
export default job;
`,
  'jobs/index.ts': `import type { Job } from '../bus/job';
import swallow from './swallow';
import { auditJob } from './insert';
import safe from './safe';
const moreJobs: Job[] = [safe];
export const jobs: Job[] = [swallow, auditJob, ...moreJobs];
`,
  // The wrapper called once per job: the callback runs the job's handler, with a message of its own.
  'main.ts': `import { PubSub } from '@google-cloud/pubsub';
import { subscribe } from './bus/subscribe';
import { jobs } from './jobs';
export function start(): void {
  const pubsub = new PubSub();
  jobs.forEach((job) =>
    subscribe(pubsub, job.topic, (message) => job.run({ id: message.id, data: message.data })),
  );
}
`,
  // Not a list dispatch: a list that is not a constant array (filled at run time), and a callback
  // that calls the item's functions twice. Their items are nobody's handlers.
  'other/lookup.ts': `import { PubSub } from '@google-cloud/pubsub';
import { Pool } from 'pg';
import { subscribe } from '../bus/subscribe';
import type { Job } from '../bus/job';
const pool = new Pool();
const registered: Job[] = [];
export function register(job: Job): void {
  registered.push(job);
}
const stray: Job = {
  topic: 'stray',
  run: async (message) => {
    await pool.query('INSERT INTO stray (id) VALUES ($1)', [message.id]);
  },
};
register(stray);
export function startRegistered(): void {
  const pubsub = new PubSub();
  let list = registered;
  list.forEach((job) => subscribe(pubsub, job.topic, (message) => job.run({ id: message.id, data: message.data })));
  // Two calls of the item's functions: which one is the handler is not decided.
  const twice: Job[] = [stray];
  for (const job of twice)
    subscribe(pubsub, job.topic, async (message) => {
      const copy = { id: message.id, data: message.data };
      if (message.attributes.retry) await job.run(copy);
      else await job.run({ ...copy, data: Buffer.from('') });
    });
}
`,
};

for (const mode of MODES) {
  describe(`a list of handler objects, each subscribed through a wrapper (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;

    before(() => {
      project = new TestProject(mode, 'handler-lists');
      const files = project.write(FILES);
      result = project.analyze(files);
    });
    after(() => project.remove());

    const findingsIn = (file: string): string[] => findingLinesIn(result, file);
    const consumerOf = (source: string): ConsumerReport => {
      const found = result.consumers.filter((consumer) => consumer.registration.source === source);
      assert.equal(found.length, 1, `one consumer of '${source}': ${result.consumers.map(where).join(', ')}`);
      return found[0];
    };

    test('each item of the list is a consumer registered at the call, its handler the item function', () => {
      assert.equal(where(consumerOf('profile-updated')), 'run@swallow.ts:6');
      assert.equal(where(consumerOf('audit')), 'run@insert.ts:6');
      assert.equal(where(consumerOf('profile-deleted')), 'run@safe.ts:6');
      for (const source of ['profile-updated', 'audit', 'profile-deleted'])
        assert.ok(consumerOf(source).registration.location.filePath.endsWith('/main.ts'));
    });

    test("the wrapper's ack after a caught failure, a missing dedup check, and a safe item", () => {
      // The swallowed failure is reported on the job's own catch: the wrapper's ack, a related
      // location, serves the other jobs too, which hand their failures on.
      assert.deepEqual(findingsIn('bus/subscribe.ts'), []);
      assert.deepEqual(findingsIn('jobs/swallow.ts'), ['swallowed-failure-ack:9']);
      const swallowed = result.findings.find((finding) => finding.ruleId === 'swallowed-failure-ack');
      assert.ok(swallowed?.related.some((related) => related.location.filePath.endsWith('/bus/subscribe.ts')));
      assert.deepEqual(findingsIn('jobs/insert.ts'), ['missing-event-id-check:6']);
      assert.deepEqual(findingsIn('jobs/safe.ts'), []);
    });

    test('a list filled at run time, or two calls of the item: its items are not consumers', () => {
      assert.deepEqual(findingsIn('other/lookup.ts'), []);
      assert.equal(result.consumers.filter((consumer) => consumer.registration.source === 'stray').length, 0);
    });
  });
}
