/**
 * A monorepo package resolves its imports with its own tsconfig.json (pipeline/program.ts,
 * `ModuleResolver`): a Lambda or an app under the repository root maps `@lib/*` to its own
 * `src/lib/*`, and the repository is linted from its root, whose tsconfig (if it has one) knows
 * nothing of that alias. The handler's effects behind the alias are found all the same, in the CLI
 * and in the language server, and so are the callers of a wrapper imported through it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { runLint } from '../../server/src/pipeline/lint';
import { WorkspaceProject } from '../../server/src/pipeline/workspace-project';
import { MODES, TestProject, configWith, findingLinesIn } from '../helpers/project';

const PACKAGE_TSCONFIG = JSON.stringify({
  compilerOptions: {
    strict: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    baseUrl: './',
    paths: { '@lib/*': ['src/lib/*'] },
  },
  include: ['src/**/*'],
});

/** An SQS Lambda whose only effect is behind the package's own alias. */
const HANDLER = `import type { SQSEvent } from 'aws-lambda';
import { recordReceipt } from '@lib/receipts.js';

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    const receipt = JSON.parse(record.body) as { orderId: string; total: number };
    await recordReceipt(receipt);
  }
};
`;

const RECEIPTS = `import { Pool } from 'pg';

const pool = new Pool();

export async function recordReceipt(receipt: { orderId: string; total: number }): Promise<void> {
  await pool.query('INSERT INTO receipts (order_id, total) VALUES ($1, $2)', [receipt.orderId, receipt.total]);
}
`;

/** The root's own alias of the same name leads somewhere harmless: the package's must win. */
const ROOT_TSCONFIG = JSON.stringify({
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    module: 'commonjs',
    baseUrl: './',
    paths: { '@lib/*': ['shared/*'] },
  },
});
const SHARED_RECEIPTS = `export async function recordReceipt(receipt: { orderId: string; total: number }): Promise<void> {
  console.log('receipt', receipt.orderId);
}
`;

/** A wrapper in the package's lib, and a worker that registers its handler through the alias. */
const WRAPPER = `import * as amqp from 'amqplib';

export async function consume(queue: string, handle: (body: { id: string; email: string }) => Promise<void>): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume(queue, async (message) => {
    if (!message) return;
    await handle(JSON.parse(message.content.toString()));
    channel.ack(message);
  });
}
`;
const WORKER = `import { Pool } from 'pg';
import { consume } from '@lib/queue.js';

const pool = new Pool();

export async function start(): Promise<void> {
  await consume('signups', async (body) => {
    await pool.query('INSERT INTO welcome_emails (email) VALUES ($1)', [body.email]);
  });
}
`;

const FILES = {
  'lambdas/receipts/tsconfig.json': PACKAGE_TSCONFIG,
  'lambdas/receipts/src/main.ts': HANDLER,
  'lambdas/receipts/src/lib/receipts.ts': RECEIPTS,
};

for (const mode of MODES) {
  describe(`a package's own tsconfig paths, linted from the repository root (${mode})`, () => {
    const lintRoot = (project: TestProject) =>
      runLint({ cwd: project.root, paths: [project.root], config: configWith() });

    /** A repository (with no root tsconfig unless `files` has one) holding `files`, removed after `check`. */
    const inRepository = (files: Record<string, string>, check: (project: TestProject) => void) => {
      const project = new TestProject(mode, 'package-tsconfig');
      try {
        fs.rmSync(project.path('tsconfig.json'));
        project.write(files);
        check(project);
      } finally {
        project.remove();
      }
    };

    test('with no tsconfig at the root, the effect behind the alias is found', () =>
      inRepository(FILES, (project) =>
        assert.deepEqual(findingLinesIn(lintRoot(project), 'receipts/src/main.ts'), ['missing-event-id-check:5']),
      ));

    test("the package's alias wins over the root's alias of the same name", () =>
      inRepository({ 'tsconfig.json': ROOT_TSCONFIG, 'shared/receipts.ts': SHARED_RECEIPTS, ...FILES }, (project) =>
        assert.deepEqual(findingLinesIn(lintRoot(project), 'receipts/src/main.ts'), ['missing-event-id-check:5']),
      ));

    test("the callers of a wrapper imported through the package's alias are consumers", () =>
      inRepository(
        {
          'services/signups/tsconfig.json': PACKAGE_TSCONFIG,
          'services/signups/src/lib/queue.ts': WRAPPER,
          'services/signups/src/worker.ts': WORKER,
        },
        (project) =>
          assert.deepEqual(findingLinesIn(lintRoot(project), 'signups/src/worker.ts'), ['missing-event-id-check:7']),
      ));

    test('the language server, with the repository root open, finds it too', () =>
      inRepository(FILES, (project) => {
        const workspace = new WorkspaceProject(
          project.root,
          { info: () => undefined, warn: () => undefined },
          () => ({}),
        );
        const handler = project.path('lambdas/receipts/src/main.ts');
        workspace.setOverlay(handler, HANDLER);
        assert.deepEqual(findingLinesIn(workspace.analyze([handler]), 'receipts/src/main.ts'), [
          'missing-event-id-check:5',
        ]);
      }));
  });
}
