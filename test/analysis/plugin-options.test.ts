/**
 * A plugin's `register(server, options)` whose consumer runs a callback of its options
 * (`options.onMessage(m)`): each registration object `{ plugin, options }` that names the plugin
 * supplies a handler (docs/model.md, "Wrappers, dispatch tables and where findings go"). Written
 * anew here, and checked typed and untyped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, ConsumerReport } from '../../server/src/model';
import { runLint } from '../../server/src/pipeline/lint';
import { MODES, TestProject, configWith, findingLinesIn } from '../helpers/project';

const base = (file: string): string => file.split('/').pop()!;
const where = (consumer: ConsumerReport): string =>
  `${consumer.handlerName}@${base(consumer.handlerRange.filePath)}:${consumer.handlerRange.line}`;

const FILES: Record<string, string> = {
  // The module's object holds the plugin under `plugin`; the handler awaits a property of the options.
  'plugins/queue-listener.ts': `import { Consumer } from 'sqs-consumer';
export interface ListenerOptions {
  queueUrl: string;
  onMessage: (message: { MessageId?: string; Body?: string }) => Promise<void>;
}
export const queueListener = {
  plugin: {
    name: 'queue-listener',
    multiple: true,
    register(server: unknown, options: ListenerOptions) {
      const consumer = Consumer.create({
        queueUrl: options.queueUrl,
        handleMessage: async (message) => {
          await options.onMessage(message);
        },
      });
      consumer.start();
    },
  },
};
`,
  // Registration objects in another file, which never says "register".
  'plugins/orders.ts': `import { Pool } from 'pg';
import { queueListener } from './queue-listener';
const pool = new Pool();
async function recordOrder(message: { MessageId?: string; Body?: string }): Promise<void> {
  await pool.query('INSERT INTO orders (body) VALUES ($1)', [message.Body]);
}
export const ordersListener = {
  plugin: queueListener,
  options: { queueUrl: 'orders', onMessage: recordOrder },
};
`,
  // The plugin is the module's \`plugin\` export, its register an arrow, the consumer's handler an
  // arrow whose body is the call of the option; registered through a namespace import.
  'mail/mail-listener.ts': `import { Consumer } from 'sqs-consumer';
export const plugin = {
  name: 'mail-listener',
  register: async (
    server: unknown,
    options: { handle: (message: { MessageId?: string; Body?: string }) => Promise<void> },
  ) => {
    Consumer.create({ queueUrl: 'mail', handleMessage: (message) => options.handle(message) }).start();
  },
};
`,
  'mail/server.ts': `import nodemailer from 'nodemailer';
import * as mailListener from './mail-listener';
const transport = nodemailer.createTransport({ host: 'smtp.example.com' });
export async function start(server: { register(plugin: unknown): Promise<void> }): Promise<void> {
  await server.register({
    plugin: mailListener,
    options: {
      handle: async (message: { MessageId?: string; Body?: string }) => {
        await transport.sendMail({ to: 'ops@example.com', text: message.Body });
      },
    },
  });
}
`,
  // Not registrations of a consumer's plugin: a plugin with no consumer, and a \`plugin\` that names
  // no plugin object. Their options' callbacks are nobody's handlers.
  'other/plugins.ts': `import { Pool } from 'pg';
const pool = new Pool();
const auditPlugin = {
  name: 'audit',
  register(server: unknown, options: { onEntry: (entry: string) => Promise<void> }) {
    void options.onEntry('started');
  },
};
export const audit = {
  plugin: auditPlugin,
  options: { onEntry: async (entry: string) => { await pool.query('INSERT INTO audit (entry) VALUES ($1)', [entry]); } },
};
export const named = {
  plugin: 'queue-listener',
  options: { onMessage: async (entry: string) => { await pool.query('INSERT INTO audit (entry) VALUES ($1)', [entry]); } },
};
`,
};

for (const mode of MODES) {
  describe(`a plugin's options supply the handler (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;

    before(() => {
      project = new TestProject(mode, 'plugin-options');
      const files = project.write(FILES);
      result = project.analyze(files);
    });
    after(() => project.remove());

    const findingsIn = (file: string): string[] => findingLinesIn(result, file);

    test('a registration object naming the plugin held in a module object: its options callback is the handler', () => {
      const orders = result.consumers.filter((consumer) => consumer.handlerName === 'recordOrder');
      assert.equal(orders.length, 1, result.consumers.map(where).join(', '));
      assert.equal(where(orders[0]), 'recordOrder@orders.ts:4');
      assert.ok(orders[0].registration.location.filePath.endsWith('/plugins/orders.ts'));
      assert.deepEqual(findingsIn('plugins/orders.ts'), ['missing-event-id-check:4']);
    });

    test("the module's plugin export through a namespace import, an expression-bodied handler", () => {
      const mail = result.consumers.filter((consumer) =>
        consumer.registration.location.filePath.endsWith('/mail/server.ts'),
      );
      assert.equal(mail.length, 1, result.consumers.map(where).join(', '));
      assert.deepEqual(
        mail[0].effects.map((effect) => effect.description.label),
        ['sendMail (email)'],
      );
      assert.deepEqual(findingsIn('mail/server.ts'), ['missing-event-id-check:8']);
    });

    test('a plugin with no consumer, or a name that is no plugin object, supplies no handler', () => {
      assert.deepEqual(findingsIn('other/plugins.ts'), []);
      assert.equal(
        result.consumers.filter((consumer) => consumer.handlerRange.filePath.endsWith('/other/plugins.ts')).length,
        0,
      );
      // The plugins' own consumers are reported at their registrations, not also as callback-less sites.
      assert.equal(result.consumers.length, 2, result.consumers.map(where).join(', '));
    });
  });
}

describe('the CLI loads the files that register a plugin', () => {
  test('a file naming the plugin in a registration object is loaded as a caller', () => {
    const project = new TestProject('untyped', 'plugin-rounds');
    try {
      const pick = (prefix: string): Record<string, string> =>
        Object.fromEntries(Object.entries(FILES).filter(([file]) => file.startsWith(prefix)));
      project.write(pick('plugins/'));
      const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
      assert.deepEqual(
        run.findings.map((finding) => `${finding.ruleId}@${base(finding.location.filePath)}:${finding.location.line}`),
        ['missing-event-id-check@orders.ts:4'],
      );
    } finally {
      project.remove();
    }
  });
});
