/**
 * The language server re-builds only the consumer reports an edit can change
 * (pipeline/reads.ts, `EditorReportCache`): a report is reused while every file it read is the
 * same parsed file, and an edit to a helper it calls re-builds it with the helper's new code.
 * What the server keeps between programs besides reports is checked here too: a NestJS bootstrap
 * read before an edit (and read anew when it is edited), and the imports an open file is followed
 * through to the wrappers it calls. A report that searched the whole project (the implementations
 * of an interface) is kept while no edited file names what it searched for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkspaceProject } from '../../server/src/pipeline/workspace-project';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';
import { countBuilds } from '../helpers/flow-builds';
import { MODES, TestProject } from '../helpers/project';

const ORDERS = `import { Kafka } from 'kafkajs';
import { recordOrder } from './ledger';

const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'orders' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; total: number };
      await recordOrder(order);
    },
  });
}
`;

const UNGUARDED_LEDGER = `import { Pool } from 'pg';

const pool = new Pool();

export async function recordOrder(order: { id: string; total: number }): Promise<void> {
  await pool.query('INSERT INTO orders (total) VALUES ($1)', [order.total]);
}
`;

/** The same helper, now an upsert keyed by the order's ID: idempotent. */
const KEYED_LEDGER = `import { Pool } from 'pg';

const pool = new Pool();

export async function recordOrder(order: { id: string; total: number }): Promise<void> {
  await pool.query('INSERT INTO orders (id, total) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [order.id, order.total]);
}
`;

/** The helper takes its statement from another module: a file its summary reads but does not enter. */
const LEDGER_WITH_IMPORTED_STATEMENT = `import { Pool } from 'pg';
import { INSERT_ORDER } from './statements';

const pool = new Pool();

export async function recordOrder(order: { id: string; total: number }): Promise<void> {
  await pool.query(INSERT_ORDER, [order.id, order.total]);
}
`;

const PLAIN_STATEMENT = `export const INSERT_ORDER = 'INSERT INTO order_totals (order_id, total) VALUES ($1, $2)';\n`;
const KEYED_STATEMENT = `export const INSERT_ORDER =\n  'INSERT INTO order_totals (order_id, total) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING';\n`;

/**
 * recordOrder passes the order on to recordLines, which calls recordOrder again for each line: a
 * helper that forwards its parameter, and a recursion that closes inside recordOrder's build.
 */
const RECURSIVE_LEDGER = `import { Pool } from 'pg';

const pool = new Pool();

interface Order {
  id: string;
  total: number;
  lines?: Order[];
}

export async function recordOrder(order: Order): Promise<void> {
  await pool.query('INSERT INTO orders (total) VALUES ($1)', [order.total]);
  await recordLines(order);
}

async function recordLines(order: Order): Promise<void> {
  for (const line of order.lines ?? []) await recordOrder(line);
}
`;

const AUDIT = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'audit' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await pool.query('INSERT INTO audit (body) VALUES ($1)', [message.value!.toString()]);
    },
  });
}
`;

/** A NestJS app: the bootstrap in main.ts decides the ack mode of the handler in orders.controller.ts. */
function nestMain(options: string): string {
  return `import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    transport: Transport.RMQ,
    options: { urls: ['amqp://rabbitmq:5672'], queue: 'shipments'${options} },
  });
  await app.listen();
}
void bootstrap();
`;
}

const NEST_MODULE = `import { Module } from '@nestjs/common';
import { ShipmentsController } from './shipments.controller';

@Module({ controllers: [ShipmentsController] })
export class AppModule {}
`;

const NEST_CONTROLLER = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment_sent')
  async onSent(@Payload() shipment: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    await pool.query('INSERT INTO shipment_log (shipment_id) VALUES ($1)', [shipment.id]);
    context.getChannelRef().ack(context.getMessage());
  }
}
`;

/** Two Nest apps in one folder; which one serves the shipments controller is the module graph's. */
function nestApp(main: string, rootModule: string, options: string): string {
  return `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { ${rootModule} } from './${main}.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(${rootModule}, {
    transport: Transport.RMQ,
    options: { queue: '${main}-events'${options} },
  });
  await app.listen();
}
void bootstrap();
`;
}

/** A root module importing the shipments module, or not. */
function rootModule(name: string, importsShipments: boolean): string {
  return `import { Module } from '@nestjs/common';
${importsShipments ? "import { ShipmentsModule } from './shipments.module';\n" : ''}
@Module({ imports: [${importsShipments ? 'ShipmentsModule' : ''}] })
export class ${name} {}
`;
}

const SHIPMENTS_MODULE = `import { Module } from '@nestjs/common';
import { ShipmentsController } from './shipments.controller';

@Module({ controllers: [ShipmentsController] })
export class ShipmentsModule {}
`;

/** The controllers a module lists, kept in a file of their own. */
function CONTROLLER_LIST(names: string): string {
  return `import { ShipmentsController } from './shipments.controller';

export const CONTROLLERS = [${names}];
void ShipmentsController;
`;
}

const SHIPMENTS_MODULE_BY_LIST = `import { Module } from '@nestjs/common';
import { CONTROLLERS } from './controllers';

@Module({ controllers: CONTROLLERS })
export class ShipmentsModule {}
`;

/** A wrapper that registers a kafkajs consumer for the handler its caller gives, behind a barrel. */
const BUS = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'bus', brokers: ['kafka:9092'] });

export async function onTopic(topic: string, handle: (body: { id: string }) => Promise<void>): Promise<void> {
  const consumer = kafka.consumer({ groupId: topic });
  await consumer.subscribe({ topic });
  await consumer.run({
    eachMessage: async ({ message }) => {
      await handle(JSON.parse(message.value!.toString()) as { id: string });
    },
  });
}
`;

const BUS_BARREL = `export { onTopic } from './bus';
`;

const REFUNDS = `import { Pool } from 'pg';
import { onTopic } from './messaging';

const pool = new Pool();

export async function start(): Promise<void> {
  await onTopic('refunds', async (refund) => {
    await pool.query('INSERT INTO refunds (amount) VALUES (1)');
    console.log('refund', refund.id);
  });
}
`;

/** A consumer that calls through an interface: the implementation is found by a whole-project search. */
const LEDGER_PORT = `export interface Ledger {
  record(order: { id: string; total: number }): Promise<void>;
}
`;

const PG_LEDGER = `import { Pool } from 'pg';
import type { Ledger } from './ports';

const pool = new Pool();

export class PgLedger implements Ledger {
  async record(order: { id: string; total: number }): Promise<void> {
    await pool.query('INSERT INTO orders (total) VALUES ($1)', [order.total]);
  }
}
`;

const BILLING = `import { Kafka } from 'kafkajs';
import type { Ledger } from './ports';
import { PgLedger } from './pg-ledger';
import './notes';

const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'billing' });

export class Billing {
  constructor(private readonly ledger: Ledger) {}

  async start(): Promise<void> {
    await consumer.run({
      eachMessage: async ({ message }) => {
        await this.ledger.record(JSON.parse(message.value!.toString()) as { id: string; total: number });
      },
    });
  }
}

export const billing = new Billing(new PgLedger());
`;

/** A second implementation of the port, in a file the consumer's file imports but does not read. */
const MEMORY_LEDGER = `import type { Ledger } from './ports';

export class MemoryLedger implements Ledger {
  async record(): Promise<void> {}
}

export const memory = new MemoryLedger();
`;

/** The server's project over the test folder, quiet, with the editor settings `settings` gives. */
function openWorkspace(project: TestProject, settings: () => Partial<ResolvedConfig> = () => ({})): WorkspaceProject {
  return new WorkspaceProject(project.root, { info: () => undefined, warn: () => undefined }, settings);
}

/** The rule of each finding an analysis gave. */
function ruleIds(result: ReturnType<WorkspaceProject['analyze']>): string[] {
  return result.findings.map((finding) => finding.ruleId);
}

for (const mode of MODES) {
  describe(`the server's reports across edits (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'editor-report-cache');
      project.write({ 'orders.ts': ORDERS, 'ledger.ts': UNGUARDED_LEDGER, 'audit.ts': AUDIT });
    });
    after(() => project.remove());

    test('an edit re-builds the reports that read the edited file, and only those', () => {
      const workspace = openWorkspace(project);
      const files = [project.path('orders.ts'), project.path('audit.ts')];
      for (const file of files) workspace.setOverlay(file, file.endsWith('orders.ts') ? ORDERS : AUDIT);
      const reportOf = (result: ReturnType<WorkspaceProject['analyze']>, file: string) =>
        result.consumers.find((consumer) => consumer.registration.location.filePath === project.path(file))!;
      const rules = (result: ReturnType<WorkspaceProject['analyze']>, file: string) =>
        result.findings
          .filter((finding) => finding.consumerId === reportOf(result, file).id)
          .map((finding) => finding.ruleId);

      const first = workspace.analyze(files);
      assert.deepEqual(rules(first, 'orders.ts'), ['missing-event-id-check']);
      assert.deepEqual(rules(first, 'audit.ts'), ['missing-event-id-check']);

      // Editing audit.ts (a comment) keeps the orders report: it read neither audit.ts nor anything changed.
      workspace.setOverlay(project.path('audit.ts'), `${AUDIT}\n// edited\n`);
      const second = workspace.analyze(files);
      assert.equal(reportOf(second, 'orders.ts'), reportOf(first, 'orders.ts'), 'reused');
      assert.notEqual(reportOf(second, 'audit.ts'), reportOf(first, 'audit.ts'), 're-built');

      // Making the helper an upsert keyed by the order's ID re-builds the orders report, which read it.
      workspace.setOverlay(project.path('ledger.ts'), KEYED_LEDGER);
      const third = workspace.analyze(files);
      assert.notEqual(reportOf(third, 'orders.ts'), reportOf(second, 'orders.ts'), 're-built');
      assert.deepEqual(rules(third, 'orders.ts'), [], 'the keyed insert is idempotent');
      assert.equal(reportOf(third, 'audit.ts'), reportOf(second, 'audit.ts'), 'reused');
    });

    test('a change of the editor settings applies them and parses nothing again', () => {
      project.write({ 'ledger.ts': UNGUARDED_LEDGER });
      let overrides: Partial<ResolvedConfig> = {};
      const workspace = openWorkspace(project, () => overrides);
      const orders = project.path('orders.ts');
      workspace.setOverlay(orders, ORDERS);
      assert.deepEqual(ruleIds(workspace.analyze([orders])), ['missing-event-id-check']);
      const before = workspace.getProgram();

      overrides = { rules: { 'missing-event-id-check': 'off' } };
      workspace.settingsChanged();
      assert.deepEqual(ruleIds(workspace.analyze([orders])), [], 'the rule the settings turn off is off');
      const after = workspace.getProgram();
      for (const file of [orders, project.path('ledger.ts')])
        assert.equal(after.getSourceFile(file), before.getSourceFile(file), `${file} is not parsed again`);
    });

    // A comment in orders.ts re-builds its report but not recordOrder's summary (ledger.ts); an edit
    // of a file the summary read makes the insert a keyed upsert, and the summary is built again.
    const helperEdits: { name: string; files: Record<string, string>; edited: string; text: string }[] = [
      {
        name: "an edit of the consumer's file re-builds its report but not the helpers it calls in other files; an edit of the helper's re-builds it",
        files: { 'ledger.ts': UNGUARDED_LEDGER },
        edited: 'ledger.ts',
        text: KEYED_LEDGER,
      },
      {
        name: "an edit of a file a helper's summary read without entering it re-builds the summary",
        files: { 'ledger.ts': LEDGER_WITH_IMPORTED_STATEMENT, 'statements.ts': PLAIN_STATEMENT },
        edited: 'statements.ts',
        text: KEYED_STATEMENT,
      },
    ];
    for (const { name, files, edited, text } of helperEdits)
      test(name, () => {
        project.write(files);
        const workspace = openWorkspace(project);
        const orders = project.path('orders.ts');
        const counter = countBuilds();
        const recordOrderBuilds = () => counter.builds.get('recordOrder') ?? 0;
        try {
          workspace.setOverlay(orders, ORDERS);
          assert.deepEqual(ruleIds(workspace.analyze([orders])), ['missing-event-id-check']);
          assert.equal(recordOrderBuilds(), 1);

          workspace.setOverlay(orders, `${ORDERS}\n// edited\n`);
          assert.deepEqual(ruleIds(workspace.analyze([orders])), ['missing-event-id-check']);
          assert.equal(recordOrderBuilds(), 1, 'the summary of recordOrder is reused');

          workspace.setOverlay(project.path(edited), text);
          assert.deepEqual(ruleIds(workspace.analyze([orders])), [], 'the keyed insert is idempotent');
          assert.equal(recordOrderBuilds(), 2, 'recordOrder is built again, from the new code');
        } finally {
          counter.restore();
          project.write({ 'ledger.ts': UNGUARDED_LEDGER });
        }
      });

    test("an edit of the consumer's file re-builds neither a helper that passes its parameter on nor one a recursion enters", () => {
      project.write({ 'ledger.ts': RECURSIVE_LEDGER });
      const workspace = openWorkspace(project);
      const orders = project.path('orders.ts');
      const counter = countBuilds();
      const builds = () => [counter.builds.get('recordOrder') ?? 0, counter.builds.get('recordLines') ?? 0];
      try {
        workspace.setOverlay(orders, ORDERS);
        assert.deepEqual(ruleIds(workspace.analyze([orders])), ['missing-event-id-check']);
        assert.deepEqual(builds(), [1, 1]);

        workspace.setOverlay(orders, `${ORDERS}\n// edited\n`);
        assert.deepEqual(ruleIds(workspace.analyze([orders])), ['missing-event-id-check']);
        assert.deepEqual(builds(), [1, 1], 'the summary of recordOrder, recordLines inside it, is reused');
      } finally {
        counter.restore();
        project.write({ 'ledger.ts': UNGUARDED_LEDGER });
      }
    });

    test("an edit of a NestJS controller keeps its bootstrap's ack mode; an edit of the bootstrap changes it", () => {
      project.write({
        'nest/main.ts': nestMain(', noAck: false'),
        'nest/app.module.ts': NEST_MODULE,
        'nest/shipments.controller.ts': NEST_CONTROLLER,
      });
      const workspace = openWorkspace(project);
      const controller = project.path('nest/shipments.controller.ts');
      const ackMode = (result: ReturnType<WorkspaceProject['analyze']>) =>
        result.consumers.find((consumer) => consumer.handlerRange.filePath === controller)?.registration.ackMode;
      workspace.setOverlay(controller, NEST_CONTROLLER);
      assert.equal(ackMode(workspace.analyze([controller])), 'explicit');

      workspace.setOverlay(controller, `${NEST_CONTROLLER}\n// edited\n`);
      assert.equal(ackMode(workspace.analyze([controller])), 'explicit', 'the bootstrap read before still holds');

      workspace.setOverlay(project.path('nest/main.ts'), nestMain(''));
      assert.equal(ackMode(workspace.analyze([controller])), 'auto-before-handler', 'the edited bootstrap is read');
    });
    test("an edit of a Nest module re-reads the module graph: the app whose root imports the controller's module serves it", () => {
      project.write({
        'apps/api.ts': nestApp('api', 'ApiModule', ''),
        'apps/api.module.ts': rootModule('ApiModule', false),
        'apps/worker.ts': nestApp('worker', 'WorkerModule', ', noAck: false'),
        'apps/worker.module.ts': rootModule('WorkerModule', true),
        'apps/shipments.module.ts': SHIPMENTS_MODULE,
        'apps/shipments.controller.ts': NEST_CONTROLLER,
        'apps/notes.ts': 'export const note = 1;\n',
      });
      const workspace = openWorkspace(project);
      const controller = project.path('apps/shipments.controller.ts');
      const served = () =>
        workspace
          .analyze([controller])
          .consumers.filter((consumer) => consumer.handlerRange.filePath === controller)
          .map((consumer) => consumer.registration.ackMode);
      workspace.setOverlay(controller, NEST_CONTROLLER);
      assert.deepEqual(served(), ['explicit'], 'the worker app (noAck: false)');

      workspace.setOverlay(project.path('apps/notes.ts'), 'export const note = 2;\n');
      assert.deepEqual(served(), ['explicit'], 'an edit outside the graph');

      workspace.setOverlay(project.path('apps/worker.module.ts'), rootModule('WorkerModule', false));
      workspace.setOverlay(project.path('apps/api.module.ts'), rootModule('ApiModule', true));
      assert.deepEqual(served(), ['auto-before-handler'], 'the shipments module moved to the api app');

      workspace.setOverlay(controller, `${NEST_CONTROLLER}\n// edited\n`);
      assert.deepEqual(served(), ['auto-before-handler'], 'the graph read after the move still holds');

      // The shipments module's controllers come from a list in another file: an edit of that file
      // changes what the module declares, though the module's own file is the same.
      workspace.setOverlay(project.path('apps/controllers.ts'), CONTROLLER_LIST('ShipmentsController'));
      workspace.setOverlay(project.path('apps/shipments.module.ts'), SHIPMENTS_MODULE_BY_LIST);
      assert.deepEqual(served(), ['auto-before-handler'], 'declared through the list');
      workspace.setOverlay(project.path('apps/controllers.ts'), CONTROLLER_LIST(''));
      // As a server that never saw the list name it reads the same files.
      project.write({
        'apps/worker.module.ts': rootModule('WorkerModule', false),
        'apps/api.module.ts': rootModule('ApiModule', true),
        'apps/controllers.ts': CONTROLLER_LIST(''),
        'apps/shipments.module.ts': SHIPMENTS_MODULE_BY_LIST,
      });
      const fresh = openWorkspace(project)
        .analyze([controller])
        .consumers.filter((consumer) => consumer.handlerRange.filePath === controller)
        .map((consumer) => consumer.registration.ackMode);
      assert.notDeepEqual(fresh, ['auto-before-handler'], 'no module declares the controller now');
      assert.deepEqual(served(), fresh, 'the list no longer names the controller');
    });

    test('a report that searched the whole project is kept until an edited file names what it searched for', () => {
      project.write({
        'ledger/ports.ts': LEDGER_PORT,
        'ledger/pg-ledger.ts': PG_LEDGER,
        'ledger/billing.ts': BILLING,
        'ledger/notes.ts': 'export const note = 1;\n',
      });
      const workspace = openWorkspace(project);
      const billing = project.path('ledger/billing.ts');
      const notes = project.path('ledger/notes.ts');
      const reportOf = (result: ReturnType<WorkspaceProject['analyze']>) =>
        result.consumers.find((consumer) => consumer.handlerRange.filePath === billing)!;
      const counter = countBuilds();
      const recordBuilds = () => counter.builds.get('PgLedger.record') ?? 0;
      try {
        workspace.setOverlay(billing, BILLING);
        const first = workspace.analyze([billing]);
        assert.deepEqual(
          first.findings.map((finding) => finding.ruleId),
          ['missing-event-id-check'],
          'the insert of the implementation is found through the interface',
        );
        const builds = recordBuilds();

        // notes.ts names neither the port nor its implementations: the report and the summary stay.
        workspace.setOverlay(notes, 'export const note = 2;\n');
        const second = workspace.analyze([billing]);
        assert.equal(reportOf(second), reportOf(first), 'reused');
        assert.equal(recordBuilds(), builds, 'the summary of PgLedger.record is reused');

        // notes.ts now implements the port: the implementations the report searched for may differ.
        workspace.setOverlay(notes, MEMORY_LEDGER);
        const third = workspace.analyze([billing]);
        assert.notEqual(reportOf(third), reportOf(second), 're-built');

        // ...and again when the implementation is taken out (the text before the edit named it).
        workspace.setOverlay(notes, 'export const note = 3;\n');
        const fourth = workspace.analyze([billing]);
        assert.notEqual(reportOf(fourth), reportOf(third), 're-built');
        assert.deepEqual(
          fourth.findings.map((finding) => finding.ruleId),
          ['missing-event-id-check'],
        );
      } finally {
        counter.restore();
      }
    });

    test('a wrapper in a file the open file imports through a barrel registers its callback', () => {
      project.write({
        'wrapped/messaging/bus.ts': BUS,
        'wrapped/messaging/index.ts': BUS_BARREL,
        'wrapped/refunds.ts': REFUNDS,
      });
      const workspace = openWorkspace(project);
      const refunds = project.path('wrapped/refunds.ts');
      workspace.setOverlay(refunds, REFUNDS);
      const result = workspace.analyze([refunds]);
      const consumer = result.consumers.find((candidate) => candidate.handlerRange.filePath === refunds);
      assert.ok(consumer, 'the callback in refunds.ts is a consumer');
      assert.equal(consumer.registration.library, 'kafkajs');
      assert.deepEqual(
        result.findings.filter((finding) => finding.consumerId === consumer.id).map((finding) => finding.ruleId),
        ['missing-event-id-check'],
      );
    });
  });
}
