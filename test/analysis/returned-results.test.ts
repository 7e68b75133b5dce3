/**
 * A result kept and tested (docs/model.md, "Failure routing and handing failures on"): a function
 * that returns what another returns (`return handle(m)`) says what that function says, also when
 * the function at the end of the chain does nothing the rules see. Checked typed and untyped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { MODES, TestProject, findingLinesIn } from '../helpers/project';

const consumerWith = (helpers: string): string => `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const kafka = new Kafka({ clientId: 'results', brokers: ['kafka:9092'] });
const producer = kafka.producer();
const consumer = kafka.consumer({ groupId: 'results' });

${helpers}

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const forwarded = await route(message);
      if (forwarded) {
        await producer.send({ topic: 'forwarded', messages: [{ key: message.key, value: message.value }] });
      }
    },
  });
}
`;

const FILES: Record<string, string> = {
  // route returns what store returns; store falls off its end: nothing is forwarded.
  'through-a-writer.ts': consumerWith(`async function store(message: { value: Buffer | null }): Promise<void> {
  await pool.query('UPDATE inbox SET body = $1 WHERE id = 1', [String(message.value)]);
}

async function route(message: { value: Buffer | null }): Promise<void> {
  return store(message);
}`),
  // The function at the end does nothing the rules see, and returns nothing either way.
  'through-a-check.ts': consumerWith(`function classify(message: { headers?: unknown }): void {
  if (!message.headers) return;
  console.log('classified');
}

async function route(message: { headers?: unknown }): Promise<void> {
  return classify(message);
}`),
  // It returns true: the publish runs, and nothing checks the message identity before it.
  'through-a-yes.ts': consumerWith(`async function store(message: { value: Buffer | null }): Promise<boolean> {
  await pool.query('UPDATE inbox SET body = $1 WHERE id = 1', [String(message.value)]);
  return true;
}

async function route(message: { value: Buffer | null }): Promise<boolean> {
  return store(message);
}`),
};

for (const mode of MODES) {
  describe(`a result returned from the function another returns (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;

    before(() => {
      project = new TestProject(mode, 'returned-results');
      result = project.analyze(project.write(FILES));
    });
    after(() => project.remove());

    test('falling off the end of the last function: the tested branch does not run', () => {
      assert.deepEqual(findingLinesIn(result, 'through-a-writer.ts'), []);
    });

    test('a function with nothing to see still says what it returns', () => {
      assert.deepEqual(findingLinesIn(result, 'through-a-check.ts'), []);
    });

    test('returning true through the chain: the publish runs unguarded', () => {
      assert.deepEqual(findingLinesIn(result, 'through-a-yes.ts'), ['missing-event-id-check:20']);
    });
  });
}
