/**
 * Where a client comes from when its declaration does not say it plainly (analysis/source/symbols.ts):
 * a `let` created on first use (a lazy singleton) or in an `init()`, and a declared type written
 * with TypeScript's own wrappers (`InstanceType<typeof NotifyClient>`, `Awaited<ReturnType<…>>`).
 * The calls on such a client are the package's calls, and a handler that makes them unguarded is
 * reported; a `let` set to something of the project's own is not taken for a package.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { MODES, TestProject, effectLabelsIn, findingLinesIn } from '../helpers/project';

const handlerUsing = (module: string) => `import { Kafka } from 'kafkajs';
import { notifier } from './${module}';

const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'welcome' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const signup = JSON.parse(message.value!.toString()) as { email: string };
      const client = await notifier();
      await client.sendEmail('welcome-template', signup.email, { personalisation: {} });
    },
  });
}
`;

const FILES: Record<string, string> = {
  // Untyped: the declaration says nothing; the assignment on first use does.
  'lazy-untyped.ts': `import { NotifyClient } from 'notifications-node-client';

let client;

export async function notifier() {
  if (!client) client = new NotifyClient(process.env.NOTIFY_KEY ?? '');
  return client;
}
`,
  // Typed with the standard library's wrappers around the package's class.
  'lazy-typed.ts': `import { NotifyClient } from 'notifications-node-client';

let client: InstanceType<typeof NotifyClient> | undefined = undefined;

export async function notifier(): Promise<InstanceType<typeof NotifyClient>> {
  client ??= new NotifyClient(process.env.NOTIFY_KEY ?? '');
  return client;
}
`,
  // Set up once in init(), typed from the package's factory.
  'init-typed.ts': `import { createNotifyClient } from 'notifications-node-client';

let client: Awaited<ReturnType<typeof createNotifyClient>>;

export async function init(): Promise<void> {
  client = await createNotifyClient(process.env.NOTIFY_KEY ?? '');
}

export async function notifier() {
  return client;
}
`,
  // The project's own stand-in: nothing leaves the process.
  'local.ts': `class ConsoleNotifier {
  async sendEmail(template: string, to: string, options: object): Promise<void> {
    console.log('would send', template, to, options);
  }
}

let client: ConsoleNotifier | undefined;

export async function notifier() {
  if (!client) client = new ConsoleNotifier();
  return client;
}
`,
  // Two lets named alike: the module's is the project's own; the package's client is another
  // function's local. Only the assignments to the module's `let` say where it comes from.
  'shadowed.ts': `import { NotifyClient } from 'notifications-node-client';

class ConsoleNotifier {
  async sendEmail(template: string, to: string, options: object): Promise<void> {
    console.log('would send', template, to, options);
  }
}

let client;

export async function packageNotifier() {
  let client;
  client = new NotifyClient(process.env.NOTIFY_KEY ?? '');
  return client;
}

export async function notifier() {
  if (!client) client = new ConsoleNotifier();
  return client;
}
`,
  'welcome-lazy-untyped.ts': handlerUsing('lazy-untyped'),
  'welcome-lazy-typed.ts': handlerUsing('lazy-typed'),
  'welcome-init-typed.ts': handlerUsing('init-typed'),
  'welcome-local.ts': handlerUsing('local'),
  'welcome-shadowed.ts': handlerUsing('shadowed'),
};

for (const mode of MODES) {
  describe(`clients set up later or typed through TypeScript's wrappers (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    before(() => {
      project = new TestProject(mode, 'client-origins');
      const files = project.write(FILES).filter((file) => /welcome-/.test(file));
      result = project.analyze(files);
    });
    after(() => project.remove());

    const effectsOf = (file: string) => effectLabelsIn(result, file);

    for (const variant of ['lazy-untyped', 'lazy-typed', 'init-typed']) {
      test(`${variant}: the client's sendEmail is the package's, and unguarded`, () => {
        assert.deepEqual(effectsOf(`welcome-${variant}.ts`), [
          'duplicate-unsafe client.sendEmail (notifications-node-client)',
        ]);
        assert.deepEqual(findingLinesIn(result, `welcome-${variant}.ts`), ['missing-event-id-check:8']);
      });
    }

    test("a let set to the project's own class is not a package's client", () => {
      assert.deepEqual(effectsOf('welcome-local.ts'), []);
      assert.deepEqual(findingLinesIn(result, 'welcome-local.ts'), []);
    });

    test("another function's `let` of the same name does not give the module's its origin", () => {
      assert.deepEqual(effectsOf('welcome-shadowed.ts'), []);
      assert.deepEqual(findingLinesIn(result, 'welcome-shadowed.ts'), []);
    });
  });
}
