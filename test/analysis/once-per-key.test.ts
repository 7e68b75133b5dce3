/**
 * Set-up kept per key for the process's life (analysis/handler/flow.ts, `isKeyedMemoInit`): an
 * agent per service user, a client per region, made on first use and cached in a field or a module
 * Map. What making it does (registering the user: an HTTP POST) runs once per key, not once per
 * message, so it is no duplicate effect of the handler. With a key from the message it is an
 * in-memory cache of per-message work, which a restart empties: still a duplicate effect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { MODES, TestProject, findingLinesIn } from '../helpers/project';

const AGENT_POOL = `import axios from 'axios';

export class AgentPool {
  private agents: Record<string, { token: string }> = {};

  async acquire(userId: string): Promise<{ token: string }> {
    if (!this.agents[userId]) {
      const registered = await axios.post('https://chat.internal/register', { user: userId });
      this.agents[userId] = { token: registered.data.token };
    }
    return this.agents[userId];
  }
}
`;

const REGION_CLIENTS = `import axios from 'axios';

const clients = new Map<string, { endpoint: string }>();

export async function clientFor(region: string): Promise<{ endpoint: string }> {
  if (!clients.has(region)) {
    const provisioned = await axios.post('https://broker.internal/provision', { region });
    clients.set(region, { endpoint: provisioned.data.endpoint });
  }
  return clients.get(region)!;
}
`;

const consumerUsing = (body: string) => `import amqp from 'amqplib';
import axios from 'axios';
import { AgentPool } from './agent-pool';
import { clientFor } from './region-clients';

const pool = new AgentPool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('room.details', async (msg) => {
    if (!msg) return;
    const request = JSON.parse(msg.content.toString()) as { roomId: string; senderId: string };
${body}
    channel.ack(msg);
  });
}
`;

const FILES: Record<string, string> = {
  'agent-pool.ts': AGENT_POOL,
  'region-clients.ts': REGION_CLIENTS,
  // The service's own agent, named by configuration: registered once per process.
  'service-agent.ts': consumerUsing(`    const agent = await pool.acquire(process.env.SERVICE_USER ?? 'svc');
    await axios.get(\`https://chat.internal/rooms/\${request.roomId}\`, { headers: { authorization: agent.token } });`),
  // A client per configured region, provisioned on first use.
  'region-client.ts': consumerUsing(`    const client = await clientFor(process.env.REGION ?? 'eu');
    await axios.get(\`\${client.endpoint}/rooms/\${request.roomId}\`);`),
  // The sender's own agent: the key comes from the message.
  'sender-agent.ts': consumerUsing(`    const agent = await pool.acquire(request.senderId);
    await axios.get(\`https://chat.internal/rooms/\${request.roomId}\`, { headers: { authorization: agent.token } });`),
};

for (const mode of MODES) {
  describe(`set-up cached per key for the process's life (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    before(() => {
      project = new TestProject(mode, 'once-per-key');
      const files = project.write(FILES).filter((file) => /(service-agent|region-client|sender-agent)\.ts$/.test(file));
      result = project.analyze(files);
    });
    after(() => project.remove());

    const effectsIn = (file: string) =>
      result.consumers
        .filter((consumer) => consumer.registration.location.filePath.endsWith(`/${file}`))
        .flatMap((consumer) =>
          consumer.effects.map((effect) => `${effect.description.class} ${effect.description.label}`),
        );

    test('an agent cached in a field by a configured user: its registration runs once per process', () => {
      assert.ok(
        effectsIn('service-agent.ts').includes(
          'idempotent HTTP POST https://chat.internal/register (once per process)',
        ),
        effectsIn('service-agent.ts').join(' | '),
      );
      assert.deepEqual(findingLinesIn(result, 'service-agent.ts'), []);
    });

    test('a client cached in a module Map by a configured region: provisioned once per process', () => {
      assert.ok(
        effectsIn('region-client.ts').includes(
          'idempotent HTTP POST https://broker.internal/provision (once per process)',
        ),
        effectsIn('region-client.ts').join(' | '),
      );
      assert.deepEqual(findingLinesIn(result, 'region-client.ts'), []);
    });

    test("an agent cached by the message's sender: the registration is the handler's, and unguarded", () => {
      assert.ok(
        effectsIn('sender-agent.ts').includes('duplicate-unsafe HTTP POST https://chat.internal/register'),
        effectsIn('sender-agent.ts').join(' | '),
      );
      assert.deepEqual(findingLinesIn(result, 'sender-agent.ts'), ['missing-event-id-check:10']);
    });
  });
}
