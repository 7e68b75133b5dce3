/**
 * Labels name the package a consumer's file imports, not the library's display name (which lists
 * every package the module reads): an amqplib consumer is "amqplib", not "amqplib (+
 * amqp-connection-manager)", and one set up through amqp-connection-manager names that.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODES, TestProject } from '../helpers/project';

const AMQPLIB = `import amqp from 'amqplib';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
  });
}
`;

const MANAGER = `import amqp from 'amqp-connection-manager';

export function start(): void {
  const connection = amqp.connect(['amqp://rabbit']);
  connection.createChannel({
    setup: async (channel: any) => {
      await channel.consume('orders', async (msg: any) => {
        channel.ack(msg);
      });
    },
  });
}
`;

for (const mode of MODES) {
  describe(`the package a consumer imports (${mode})`, () => {
    for (const [name, code, expected] of [
      ['amqplib alone', AMQPLIB, 'amqplib'],
      ['amqp-connection-manager', MANAGER, 'amqp-connection-manager'],
    ] as const) {
      test(name, () => {
        const project = new TestProject(mode, 'package-name');
        try {
          const [file] = project.write({ 'consumer.ts': code });
          const result = project.analyze([file]);
          assert.deepEqual(
            result.consumers.map((consumer) => consumer.registration.packageName),
            [expected],
          );
        } finally {
          project.remove();
        }
      });
    }
  });
}
