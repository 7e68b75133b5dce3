/**
 * NestJS microservices (docs/model.md, "Per-library behaviour", "How the rules share a handler"): `@EventPattern` / `@MessagePattern`
 * handlers whose transport and ack mode come from the project's bootstrap
 * (`NestFactory.createMicroservice` / `app.connectMicroservice`), usually in another file.
 *
 * - recognition: decorators, parameter bindings, bootstrap variants (inline, options in a const in
 *   another file, `strategy: new ServerRMQ(...)`, hybrid apps, several apps), no bootstrap;
 * - ack-before-process and missing-event-id-check on Nest consumers;
 * - the CLI's prefilter loads a bootstrap that imports only '@nestjs/core'.
 *
 * Every case runs typed (the @nestjs packages from the repository's node_modules) and untyped.
 * Cases share one program per mode, so every case keeps its main.ts in its own folder: a
 * bootstrap serves the handlers in the folders below it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import * as path from 'node:path';
import { analyzeReached } from '../../server/src/pipeline/analyze';
import { mentionsBroker } from '../../server/src/pipeline/prefilter';
import { loadProgram } from '../../server/src/pipeline/program';
import { runLint } from '../../server/src/pipeline/lint';
import { MODES, TestProject, configWith, findingsOf } from '../helpers/project';
import { ruleTester } from '../helpers/rule-tester';
import { type ExpectedConsumer, type RecognitionCase, recognitionTests } from '../helpers/recognition';
import { lineOf } from '../helpers/lines';

// ---- fixtures ----------------------------------------------------------------------------------

/** A bootstrap with the given microservice options (the object literal's text). */
function createMicroservice(options: string): string {
  return `import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, ${options});
  await app.listen();
}
void bootstrap();
`;
}

const APP_MODULE = `import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';

@Module({ controllers: [OrdersController] })
export class AppModule {}
`;

const RMQ_NO_ACK_FALSE = `{
    transport: Transport.RMQ,
    options: { urls: ['amqp://localhost:5672'], queue: 'orders', noAck: false },
  }`;

const RMQ_DEFAULT_NO_ACK = `{
    transport: Transport.RMQ,
    options: { urls: ['amqp://localhost:5672'], queue: 'orders' },
  }`;

const KAFKA = `{
    transport: Transport.KAFKA,
    options: { client: { brokers: ['kafka:9092'] }, consumer: { groupId: 'orders' } },
  }`;

/** An RMQ controller that acks after its work: the usual shape in Nest's docs. */
const RMQ_CONTROLLER = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class OrdersController {
  @EventPattern('order_created')
  async onOrderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: RmqContext): Promise<void> {
    await pool.query('INSERT INTO order_totals (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
    context.getChannelRef().ack(context.getMessage());
  }
}
`;

const KAFKA_CONTROLLER = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class OrdersController {
  @EventPattern('orders.created')
  async onOrderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: KafkaContext): Promise<void> {
    console.log(context.getTopic(), context.getPartition());
    await pool.query('INSERT INTO order_totals (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
  }
}
`;

/** A handler with no parameter decorators: Nest passes (data, context) positionally. */
const PLAIN_CONTROLLER = `import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, RmqContext } from '@nestjs/microservices';

@Controller()
export class OrdersController {
  @EventPattern('order_shipped')
  async onShipped(data: { id: string }, ctx: RmqContext): Promise<void> {
    console.log(data.id, ctx.getPattern());
  }

  @MessagePattern({ cmd: 'sum' })
  sum(data: number[]): number {
    return data.reduce((a, b) => a + b, 0);
  }
}
`;

// ---- recognition ---------------------------------------------------------------------------------

/** A Nest case: the library is implied; `incomplete` undefined means the report must be complete. */
interface NestCase extends Omit<RecognitionCase, 'expect'> {
  /** Files passed to the analysis (the CLI's prefilter picks these: they import a @nestjs package). */
  roots: string[];
  /** The file whose handlers are checked. */
  consumer: string;
  expect: (Omit<ExpectedConsumer, 'library' | 'incomplete'> & { incomplete?: string })[];
}

const recognitionCases: NestCase[] = [
  {
    name: 'createMicroservice RMQ noAck: false: explicit, the option located in main.ts',
    files: {
      'main.ts': createMicroservice(RMQ_NO_ACK_FALSE),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        handlerName: 'OrdersController.onOrderCreated',
        identityExpression: 'context.getMessage().properties.messageId',
        ackModeAt: { file: 'main.ts', text: 'noAck: false' },
      },
    ],
  },
  {
    name: 'RMQ without noAck: Nest acks on delivery (auto-before-handler), the transport located',
    files: {
      'main.ts': createMicroservice(RMQ_DEFAULT_NO_ACK),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'auto-before-handler',
        source: 'order_created',
        ackModeAt: { file: 'main.ts', text: 'transport: Transport.RMQ' },
      },
    ],
  },
  {
    name: 'RMQ noAck: true held in a const: auto-before-handler',
    files: {
      'main.ts': createMicroservice(
        `{ transport: Transport.RMQ, options: { queue: 'orders', noAck: NO_ACK } }`,
      ).replace(
        "import { AppModule } from './app.module';",
        "import { AppModule } from './app.module';\n\nconst NO_ACK = true;",
      ),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'auto-before-handler',
        source: 'order_created',
        ackModeAt: { file: 'main.ts', text: 'noAck: NO_ACK' },
      },
    ],
  },
  {
    name: "hybrid app: connectMicroservice(options) with the options in another file, main.ts importing only '@nestjs/core'",
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { rmqOptions } from './config/microservice';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice(rmqOptions, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(3000);
}
void bootstrap();
`,
      'config/microservice.ts': `import { RmqOptions, Transport } from '@nestjs/microservices';

export const rmqOptions: RmqOptions = {
  transport: Transport.RMQ,
  options: {
    urls: [process.env.AMQP_URL ?? 'amqp://localhost:5672'],
    queue: 'orders',
    noAck: false,
    prefetchCount: 10,
  },
};
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'config/microservice.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        ackModeAt: { file: 'config/microservice.ts', text: 'noAck: false' },
      },
    ],
  },
  {
    name: 'strategy: new ServerRMQ({ noAck: false }) is RMQ in manual-ack mode',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { ServerRMQ } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, {
    strategy: new ServerRMQ({ urls: ['amqp://localhost:5672'], queue: 'orders', noAck: false }),
  });
  await app.listen();
}
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        ackModeAt: { file: 'main.ts', text: 'noAck: false }' },
      },
    ],
  },
  {
    name: 'a custom strategy: the transport is unknown, the report is incomplete (rules stay quiet)',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { SqsServer } from './sqs.server';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new SqsServer() });
  await app.listen();
}
void bootstrap();
`,
      'sqs.server.ts': `import { CustomTransportStrategy, Server } from '@nestjs/microservices';

export class SqsServer extends Server implements CustomTransportStrategy {
  listen(callback: () => void): void {
    callback();
  }
  close(): void {}
  on(): void {}
  unwrap<T>(): T {
    throw new Error('not supported');
  }
}
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: ['main.ts', 'sqs.server.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (transport unknown)',
        ackMode: 'implicit-after-return',
        source: 'orders.created',
        incomplete: 'not statically known',
      },
    ],
  },
  {
    name: 'Kafka transport: implicit-after-return, identity topic:partition:offset from the context',
    files: {
      'main.ts': createMicroservice(KAFKA),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (Kafka)',
        ackMode: 'implicit-after-return',
        source: 'orders.created',
        identityExpression: '`${context.getTopic()}:${context.getPartition()}:${context.getMessage().offset}`',
        ackModeAt: { file: 'main.ts', text: 'transport: Transport.KAFKA' },
      },
    ],
  },
  {
    name: 'Kafka with run: { autoCommit: false }: explicit',
    files: {
      'main.ts': createMicroservice(`{
    transport: Transport.KAFKA,
    options: { client: { brokers: ['kafka:9092'] }, run: { autoCommit: false } },
  }`),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (Kafka)',
        ackMode: 'explicit',
        source: 'orders.created',
        ackModeAt: { file: 'main.ts', text: 'autoCommit: false' },
      },
    ],
  },
  {
    name: 'NATS core: at-most-once, modelled as auto-before-handler',
    files: {
      'main.ts': createMicroservice(`{ transport: Transport.NATS, options: { servers: ['nats://localhost:4222'] } }`),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER.replace(/KafkaContext/g, 'NatsContext').replace(
        'console.log(context.getTopic(), context.getPartition());',
        'console.log(context.getSubject());',
      ),
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (NATS)',
        ackMode: 'auto-before-handler',
        source: 'orders.created',
        identityExpression: null,
        ackModeAt: { file: 'main.ts', text: 'Transport.NATS' },
      },
    ],
  },
  {
    name: 'Redis transport: at-most-once',
    files: {
      'main.ts': createMicroservice(`{ transport: Transport.REDIS, options: { host: 'localhost', port: 6379 } }`),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': PLAIN_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      { form: 'EventPattern (Redis)', ackMode: 'auto-before-handler', source: 'order_shipped' },
      { form: 'MessagePattern (Redis)', ackMode: 'auto-before-handler', source: "{ cmd: 'sum' }" },
    ],
  },
  {
    name: 'no transport in the options: Nest defaults to TCP (at-most-once)',
    files: {
      'main.ts': createMicroservice(`{ options: { host: '0.0.0.0', port: 3001 } }`),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': PLAIN_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      { form: 'EventPattern (TCP)', ackMode: 'auto-before-handler', source: 'order_shipped' },
      { form: 'MessagePattern (TCP)', ackMode: 'auto-before-handler', source: "{ cmd: 'sum' }" },
    ],
  },
  {
    name: 'parameters without decorators are (data, context); @MessagePattern with an object pattern',
    files: {
      'main.ts': createMicroservice(RMQ_NO_ACK_FALSE),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': PLAIN_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_shipped',
        identityExpression: 'ctx.getMessage().properties.messageId',
      },
      { form: 'MessagePattern (RMQ)', ackMode: 'explicit', source: "{ cmd: 'sum' }", identityExpression: null },
    ],
  },
  {
    name: 'namespace import: @ms.EventPattern(...) with @ms.Payload() / @ms.Ctx()',
    files: {
      'main.ts': createMicroservice(RMQ_NO_ACK_FALSE),
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': `import { Controller } from '@nestjs/common';
import * as ms from '@nestjs/microservices';

@Controller()
export class OrdersController {
  @ms.EventPattern('order_cancelled')
  async onCancelled(@ms.Payload() order: { id: string }, @ms.Ctx() rmq: ms.RmqContext): Promise<void> {
    console.log(order.id);
    rmq.getChannelRef().ack(rmq.getMessage());
  }
}
`,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_cancelled',
        identityExpression: 'rmq.getMessage().properties.messageId',
      },
    ],
  },
  {
    name: 'hybrid app with RMQ and Kafka: @EventPattern(p, Transport.KAFKA) is Kafka; an unbound handler is ambiguous',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice({ transport: Transport.RMQ, options: { queue: 'orders', noAck: false } });
  app.connectMicroservice({ transport: Transport.KAFKA, options: { client: { brokers: ['kafka:9092'] } } });
  await app.startAllMicroservices();
  await app.listen(3000);
}
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload, Transport } from '@nestjs/microservices';

@Controller()
export class OrdersController {
  @EventPattern('orders.audited', Transport.KAFKA)
  async onAudited(@Payload() entry: { id: string }, @Ctx() context: KafkaContext): Promise<void> {
    console.log(entry.id, context.getTopic());
  }

  @EventPattern('orders.any')
  async onAny(@Payload() entry: { id: string }): Promise<void> {
    console.log(entry.id);
  }
}
`,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (Kafka)',
        ackMode: 'implicit-after-return',
        source: 'orders.audited',
        ackModeAt: { file: 'main.ts', text: 'Transport.KAFKA' },
      },
      {
        form: 'EventPattern (transport unknown)',
        ackMode: 'implicit-after-return',
        source: 'orders.any',
        incomplete: 'bootstraps with different delivery',
      },
    ],
  },
  {
    name: 'two RMQ bootstraps in one folder: the one whose queue is the pattern',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice({ transport: Transport.RMQ, options: { queue: 'order_created', noAck: false } });
  app.connectMicroservice({ transport: Transport.RMQ, options: { queue: 'audit' } });
  await app.startAllMicroservices();
}
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        ackModeAt: { file: 'main.ts', text: "queue: 'order_created', noAck: false" },
      },
    ],
  },
  {
    name: 'a monorepo: each app is served by the bootstrap in the folder above it',
    files: {
      'apps/orders/src/main.ts': createMicroservice(RMQ_NO_ACK_FALSE),
      'apps/orders/src/app.module.ts': APP_MODULE,
      'apps/orders/src/orders/orders.controller.ts': RMQ_CONTROLLER,
      'apps/billing/src/main.ts': createMicroservice(KAFKA),
      'apps/billing/src/app.module.ts': APP_MODULE,
      'apps/billing/src/orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: [
      'apps/orders/src/main.ts',
      'apps/orders/src/orders/orders.controller.ts',
      'apps/billing/src/main.ts',
      'apps/billing/src/orders.controller.ts',
    ],
    consumer: 'apps/orders/src/orders/orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        ackModeAt: { file: 'apps/orders/src/main.ts', text: 'noAck: false' },
      },
    ],
  },
  {
    name: 'a project function named connectMicroservice wraps the real call: its calls are not bootstraps',
    files: {
      'main.ts': `import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  connectMicroservice(app, 'orders');
  connectMicroservice(app, 'audit');
  await app.startAllMicroservices();
}

const connectMicroservice = (app: INestApplication, queue: string): void => {
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.RMQ,
    options: { urls: ['amqp://localhost:5672'], queue, noAck: false },
  });
};
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        ackModeAt: { file: 'main.ts', text: 'noAck: false' },
      },
    ],
  },
  {
    name: 'the options are a parameter of the function around the bootstrap: read at its call site',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';
import { attachMicroservice } from './attach';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  attachMicroservice(app, { transport: Transport.RMQ, options: { queue: 'orders', noAck: false } });
  await app.startAllMicroservices();
}
void bootstrap();
`,
      'attach.ts': `import { INestApplication } from '@nestjs/common';
import { MicroserviceOptions } from '@nestjs/microservices';

export function attachMicroservice(app: INestApplication, options: MicroserviceOptions): void {
  app.connectMicroservice(options, { inheritAppConfig: true });
}
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'attach.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        ackModeAt: { file: 'main.ts', text: 'noAck: false' },
      },
    ],
  },
  {
    name: 'options returned by a project function in another file, built with spreads',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { kafkaConfig } from './config/kafka';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice(kafkaConfig('orders'));
  await app.startAllMicroservices();
}
void bootstrap();
`,
      'config/kafka.ts': `import { KafkaOptions, Transport } from '@nestjs/microservices';

const client = { brokers: (process.env.BROKERS ?? 'kafka:9092').split(',') };

export function kafkaConfig(groupId: string): KafkaOptions {
  const base = { client, consumer: { groupId } };
  return {
    transport: Transport.KAFKA,
    options: { ...base, run: { autoCommit: false } },
  };
}
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: ['main.ts', 'config/kafka.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (Kafka)',
        ackMode: 'explicit',
        source: 'orders.created',
        ackModeAt: { file: 'config/kafka.ts', text: 'autoCommit: false' },
      },
    ],
  },
  {
    name: 'options known only from the declared return type (KafkaOptions): Kafka, implicit-after-return',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { KafkaOptions } from '@nestjs/microservices';
import { AppModule } from './app.module';

function optionsFromEnvironment(): KafkaOptions {
  return JSON.parse(process.env.KAFKA_OPTIONS ?? '{}') as KafkaOptions;
}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, optionsFromEnvironment());
  await app.listen();
}
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [{ form: 'EventPattern (Kafka)', ackMode: 'implicit-after-return', source: 'orders.created' }],
  },
  {
    name: 'options known only as RmqOptions: a handler that acks is in manual-ack mode',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { RmqOptions } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const options: RmqOptions = JSON.parse(process.env.RMQ_OPTIONS ?? '{}');
  const app = await NestFactory.createMicroservice(AppModule, options);
  await app.listen();
}
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [{ form: 'EventPattern (RMQ)', ackMode: 'explicit', source: 'order_created' }],
  },
  {
    name: 'strategy: a project subclass of ServerKafka, held in a variable, takes the base server delivery',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { kafkaConfig } from './kafka.config';
import { TracedKafkaServer } from './traced-kafka.server';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  const server = new TracedKafkaServer(kafkaConfig().options);
  app.connectMicroservice({ strategy: server });
  await app.startAllMicroservices();
}
void bootstrap();
`,
      'kafka.config.ts': `import { KafkaOptions, Transport } from '@nestjs/microservices';

export const kafkaConfig = (): KafkaOptions => ({
  transport: Transport.KAFKA,
  options: { client: { brokers: ['kafka:9092'] }, run: { autoCommit: false } },
});
`,
      'traced-kafka.server.ts': `import { ServerKafka } from '@nestjs/microservices';

export class TracedKafkaServer extends ServerKafka {
  override getHandlerByPattern(pattern: string) {
    console.log('pattern', pattern);
    return super.getHandlerByPattern(pattern);
  }
}
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: ['main.ts', 'kafka.config.ts', 'traced-kafka.server.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (Kafka)',
        ackMode: 'explicit',
        source: 'orders.created',
        ackModeAt: { file: 'kafka.config.ts', text: 'autoCommit: false' },
      },
    ],
  },
  {
    name: 'two applications in one folder: the one whose root module imports the controller module serves it',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { ApiModule } from './api.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(ApiModule);
  app.connectMicroservice({ transport: Transport.RMQ, options: { queue: 'api-events' } });
  await app.startAllMicroservices();
}
void bootstrap();
`,
      'worker.ts': `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(WorkerModule, {
    transport: Transport.RMQ,
    options: { queue: 'work', noAck: false },
  });
  await app.listen();
}
void bootstrap();
`,
      'api.module.ts': `import { Module } from '@nestjs/common';

@Module({ imports: [] })
export class ApiModule {}
`,
      'worker.module.ts': `import { Module, forwardRef } from '@nestjs/common';
import { OrdersModule } from './orders.module';

@Module({ imports: [forwardRef(() => OrdersModule)] })
export class WorkerModule {}
`,
      'orders.module.ts': `import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';

@Module({ controllers: [OrdersController] })
export class OrdersModule {}
`,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'worker.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        ackModeAt: { file: 'worker.ts', text: 'noAck: false' },
      },
    ],
  },
  {
    name: 'a hybrid app with RMQ and Kafka: the handler typed with KafkaContext is served by Kafka',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice({ transport: Transport.RMQ, options: { queue: 'orders', noAck: false } });
  app.connectMicroservice({ transport: Transport.KAFKA, options: { client: { brokers: ['kafka:9092'] } } });
  await app.startAllMicroservices();
}
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': KAFKA_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (Kafka)',
        ackMode: 'implicit-after-return',
        source: 'orders.created',
        ackModeAt: { file: 'main.ts', text: 'Transport.KAFKA' },
      },
    ],
  },
  {
    name: 'two RMQ bootstraps that agree on the delivery (both noAck: false): judged',
    files: {
      'main.ts': `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice({ transport: Transport.RMQ, options: { queue: 'orders-eu', noAck: false } });
  app.connectMicroservice({ transport: Transport.RMQ, options: { queue: 'orders-us', noAck: false } });
  await app.startAllMicroservices();
}
void bootstrap();
`,
      'app.module.ts': APP_MODULE,
      'orders.controller.ts': RMQ_CONTROLLER,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [{ form: 'EventPattern (RMQ)', ackMode: 'explicit', source: 'order_created' }],
  },
  {
    name: 'not NestJS: a local decorator named EventPattern',
    files: {
      'main.ts': createMicroservice(RMQ_NO_ACK_FALSE),
      'orders.controller.ts': `function EventPattern(_pattern: string): MethodDecorator {
  return () => undefined;
}

export class OrdersController {
  @EventPattern('order_created')
  async onOrderCreated(order: { id: string }): Promise<void> {
    console.log(order.id);
  }
}
`,
    },
    roots: ['main.ts', 'orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [],
  },
];

/** Without any bootstrap in the program (its own project: the other cases' bootstraps would count). */
const noBootstrapCases: NestCase[] = [
  {
    name: 'no bootstrap, the handler acks through getChannelRef(): RMQ in manual-ack mode',
    files: { 'orders.controller.ts': RMQ_CONTROLLER },
    roots: ['orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (RMQ)',
        ackMode: 'explicit',
        source: 'order_created',
        identityExpression: 'context.getMessage().properties.messageId',
      },
    ],
  },
  {
    name: 'no bootstrap, the handler acks through a helper it gives the context to: RMQ in manual-ack mode',
    files: {
      'acks/ack.ts': `import { RmqContext } from '@nestjs/microservices';

export const ack = (context: RmqContext): void => {
  context.getChannelRef().ack(context.getMessage());
};
`,
      'acks/orders.controller.ts': `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ack } from './ack';

@Controller()
export class OrdersController {
  @EventPattern('order_archived')
  async onArchived(@Payload() order: { id: string }, @Ctx() context: any): Promise<void> {
    console.log(order.id);
    ack(context);
  }
}
`,
    },
    roots: ['acks/orders.controller.ts'],
    consumer: 'acks/orders.controller.ts',
    expect: [{ form: 'EventPattern (RMQ)', ackMode: 'explicit', source: 'order_archived' }],
  },
  {
    name: 'no bootstrap, a KafkaContext handler that does not commit: Kafka, implicit-after-return',
    files: { 'orders.controller.ts': KAFKA_CONTROLLER },
    roots: ['orders.controller.ts'],
    consumer: 'orders.controller.ts',
    expect: [{ form: 'EventPattern (Kafka)', ackMode: 'implicit-after-return', source: 'orders.created' }],
  },
  {
    name: 'no bootstrap, a handler with no context and no settle: transport unknown, incomplete',
    files: {
      'shipping/orders.controller.ts': PLAIN_CONTROLLER.replace(', ctx: RmqContext', '').replace(
        'ctx.getPattern()',
        "'shipped'",
      ),
    },
    roots: ['shipping/orders.controller.ts'],
    consumer: 'shipping/orders.controller.ts',
    expect: [
      {
        form: 'EventPattern (transport unknown)',
        ackMode: 'implicit-after-return',
        source: 'order_shipped',
        incomplete: 'no NestJS microservice bootstrap',
      },
      {
        form: 'MessagePattern (transport unknown)',
        ackMode: 'implicit-after-return',
        source: "{ cmd: 'sum' }",
        incomplete: 'no NestJS microservice bootstrap',
      },
    ],
  },
];

/**
 * The shared recognition harness (test/helpers/recognition.ts), with what every Nest case checks:
 * the library, a complete report unless the case says why not, and the registration on the
 * decorator, above the handler's head.
 */
function recognitionSuite(title: string, cases: NestCase[]): void {
  recognitionTests(
    title,
    cases.map((c) => ({
      ...c,
      expect: c.expect.map((want) => ({
        library: 'nestjs-microservices',
        ...want,
        incomplete: want.incomplete ?? null,
      })),
      check: (consumer) =>
        assert.ok(
          consumer.registration.location.line < consumer.handlerLocation.line,
          'the registration is the decorator',
        ),
    })),
  );
}

recognitionSuite('NestJS', recognitionCases);
recognitionSuite('NestJS (no bootstrap)', noBootstrapCases);

// ---- rules on Nest consumers ---------------------------------------------------------------------

const MAIN_RMQ_MANUAL = createMicroservice(RMQ_NO_ACK_FALSE);

/** RMQ in manual-ack mode: acks first ("so the broker doesn't redeliver"), then saves. */
const RMQ_ACK_FIRST = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class OrdersController {
  @EventPattern('order_created')
  async onOrderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    const message = context.getMessage();
    channel.ack(message);
    await pool.query('INSERT INTO order_totals (order_id, total) VALUES ($1, $2) ON CONFLICT DO NOTHING', [order.id, order.total]);
  }
}
`;

/** RMQ manual ack, the save delegated to a service in another file, ack after it. */
const RMQ_SERVICE_THEN_ACK = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { OrdersService } from './orders.service';

@Controller()
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @EventPattern('order_created')
  async onOrderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: RmqContext): Promise<void> {
    await this.orders.record(order.id, order.total);
    context.getChannelRef().ack(context.getMessage());
  }
}
`;

const ORDERS_SERVICE_UPSERT = `import { Injectable } from '@nestjs/common';
import { Pool } from 'pg';

@Injectable()
export class OrdersService {
  private readonly pool = new Pool();

  async record(orderId: string, total: number): Promise<void> {
    await this.pool.query('INSERT INTO order_totals (order_id, total) VALUES ($1, $2) ON CONFLICT (order_id) DO UPDATE SET total = $2', [orderId, total]);
  }
}
`;

const ORDERS_SERVICE_INSERT = `import { Injectable } from '@nestjs/common';
import { Pool } from 'pg';

@Injectable()
export class OrdersService {
  private readonly pool = new Pool();

  async record(orderId: string, total: number): Promise<void> {
    await this.pool.query('INSERT INTO ledger (order_id, amount) VALUES ($1, $2)', [orderId, total]);
  }
}
`;

/** Kafka transport: the service call is not awaited, so Nest commits while it runs. */
const KAFKA_UNAWAITED = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { OrdersService } from './orders.service';

@Controller()
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @EventPattern('orders.created')
  async onOrderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: KafkaContext): Promise<void> {
    console.log(context.getTopic());
    void this.orders.record(order.id, order.total);
  }
}
`;

/** Kafka transport, inserting a ledger row with no dedup check. */
const KAFKA_INSERT = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class PaymentsController {
  @EventPattern('payments.captured')
  async onCaptured(@Payload() payment: { accountId: string; amountCents: number }, @Ctx() context: KafkaContext): Promise<void> {
    console.log('captured', context.getPartition());
    await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
  }
}
`;

/** RMQ manual ack, a Redis claim on the message ID, released on failure, marked done: correct. */
const RMQ_REDIS_CLAIM = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import Redis from 'ioredis';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class PaymentsController {
  private readonly redis = new Redis();

  @EventPattern('payment_captured')
  async onCaptured(@Payload() payment: { accountId: string; amountCents: number }, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    const message = context.getMessage();
    const key = \`processed:\${message.properties.messageId}\`;
    const claimed = await this.redis.set(key, 'processing', 'EX', 300, 'NX');
    if (!claimed) {
      channel.ack(message);
      return;
    }
    try {
      await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
    } catch (error) {
      await this.redis.del(key);
      channel.nack(message, false, true);
      return;
    }
    await this.redis.set(key, 'done', 'EX', 86400);
    channel.ack(message);
  }
}
`;

/** Kafka transport with a Redis claim on topic/partition/offset: correct. */
const KAFKA_REDIS_CLAIM = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();

@Controller()
export class PaymentsController {
  @EventPattern('payments.captured')
  async onCaptured(@Payload() payment: { accountId: string; amountCents: number }, @Ctx() context: KafkaContext): Promise<void> {
    const key = \`processed:\${context.getTopic()}:\${context.getPartition()}:\${context.getMessage().offset}\`;
    if (!(await redis.set(key, 'processing', 'EX', 300, 'NX'))) return;
    try {
      await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
    } catch (error) {
      await redis.del(key);
      throw error;
    }
    await redis.set(key, 'done', 'EX', 86400);
  }
}
`;

/** The default RMQ bootstrap (noAck: true): the same insert, acked on delivery. */
const RMQ_AUTO_INSERT = KAFKA_INSERT.replace('KafkaContext, Payload', 'Payload, RmqContext')
  .replace('context: KafkaContext', 'context: RmqContext')
  .replace("console.log('captured', context.getPartition());", "console.log('captured', context.getPattern());");

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'nest RMQ noAck: false, the service saves, then the handler acks',
      code: RMQ_SERVICE_THEN_ACK,
      files: { 'main.ts': MAIN_RMQ_MANUAL, 'app.module.ts': APP_MODULE, 'orders.service.ts': ORDERS_SERVICE_UPSERT },
    },
    {
      name: 'nest RMQ default noAck (auto-ack): no ack-before-process, whatever the handler does',
      code: RMQ_AUTO_INSERT,
      files: { 'main.ts': createMicroservice(RMQ_DEFAULT_NO_ACK), 'app.module.ts': APP_MODULE },
    },
    {
      name: 'nest Kafka transport, the work awaited before the handler returns',
      code: KAFKA_INSERT,
      files: { 'main.ts': createMicroservice(KAFKA), 'app.module.ts': APP_MODULE },
    },
  ],
  invalid: [
    {
      name: 'nest RMQ noAck: false, channel.ack(message) before the insert',
      code: RMQ_ACK_FIRST,
      files: { 'main.ts': MAIN_RMQ_MANUAL, 'app.module.ts': APP_MODULE },
      errors: [
        {
          line: lineOf(RMQ_ACK_FIRST, 'channel.ack(message);'),
          messageId: 'ackBeforeProcessing',
          data: ["nestjs-microservices consumer of pattern 'order_created'", 'channel.ack()'],
          related: 2,
          severity: 'error',
        },
      ],
    },
    {
      name: 'nest Kafka transport, the service call left running when the handler returns',
      code: KAFKA_UNAWAITED,
      files: {
        'main.ts': createMicroservice(KAFKA),
        'app.module.ts': APP_MODULE,
        'orders.service.ts': ORDERS_SERVICE_INSERT,
      },
      errors: [
        {
          line: lineOf(KAFKA_UNAWAITED, 'void this.orders.record'),
          messageId: 'unawaitedAtReturn',
          data: 'Nest commits the offset',
        },
      ],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'nest RMQ noAck: false with a Redis claim on messageId, released on failure',
      code: RMQ_REDIS_CLAIM,
      files: { 'main.ts': MAIN_RMQ_MANUAL, 'app.module.ts': APP_MODULE },
    },
    {
      name: 'nest Kafka with a Redis claim on topic:partition:offset',
      code: KAFKA_REDIS_CLAIM,
      files: { 'main.ts': createMicroservice(KAFKA), 'app.module.ts': APP_MODULE },
    },
    {
      name: 'nest RMQ default noAck (auto-ack, at-most-once): no dedup finding',
      code: RMQ_AUTO_INSERT,
      files: { 'main.ts': createMicroservice(RMQ_DEFAULT_NO_ACK), 'app.module.ts': APP_MODULE },
    },
    {
      name: 'nest NATS transport (no redelivery): no dedup finding',
      code: KAFKA_INSERT.replace(/KafkaContext/g, 'NatsContext').replace(
        "console.log('captured', context.getPartition());",
        "console.log('captured', context.getSubject());",
      ),
      files: {
        'main.ts': createMicroservice(`{ transport: Transport.NATS, options: { servers: ['nats://localhost:4222'] } }`),
        'app.module.ts': APP_MODULE,
      },
    },
    {
      name: 'nest RMQ noAck: false, the service upserts (idempotent)',
      code: RMQ_SERVICE_THEN_ACK,
      files: { 'main.ts': MAIN_RMQ_MANUAL, 'app.module.ts': APP_MODULE, 'orders.service.ts': ORDERS_SERVICE_UPSERT },
    },
  ],
  invalid: [
    {
      name: 'nest Kafka transport, an insert with no dedup check',
      code: KAFKA_INSERT,
      files: { 'main.ts': createMicroservice(KAFKA), 'app.module.ts': APP_MODULE },
      errors: [
        {
          line: lineOf(KAFKA_INSERT, 'async onCaptured('),
          messageId: 'noIdentityCheck',
          data: [
            "nestjs-microservices consumer of pattern 'payments.captured'",
            'Kafka deliver it again',
            'context.getTopic() + context.getPartition() + context.getMessage().offset',
          ],
          related: 2,
          severity: 'warning',
        },
      ],
    },
    {
      name: 'nest RMQ noAck: false, the service inserts before the ack, no check',
      code: RMQ_SERVICE_THEN_ACK,
      files: { 'main.ts': MAIN_RMQ_MANUAL, 'app.module.ts': APP_MODULE, 'orders.service.ts': ORDERS_SERVICE_INSERT },
      errors: [
        {
          line: lineOf(RMQ_SERVICE_THEN_ACK, 'async onOrderCreated('),
          messageId: 'noIdentityCheck',
          data: ['RabbitMQ deliver it again', 'context.getMessage().properties.messageId'],
          related: 3,
        },
      ],
    },
  ],
});

/** A handler that says nothing of its transport: no context, no settle. */
const UNTOLD_INSERT = KAFKA_INSERT.replace(', @Ctx() context: KafkaContext', '').replace(
  "console.log('captured', context.getPartition());",
  "console.log('captured');",
);

/**
 * No bootstrap anywhere: the handler's own evidence decides where it is enough (explicit settles make
 * it RMQ manual-ack, a Kafka context makes it Kafka); otherwise nothing is judged.
 */
ruleTester('missing-event-id-check', {
  valid: [{ name: 'nest, no bootstrap, no context and no settle: transport unknown, quiet', code: UNTOLD_INSERT }],
  invalid: [
    {
      name: 'nest, no bootstrap, a KafkaContext handler: Kafka, implicit-after-return',
      code: KAFKA_INSERT,
      errors: [{ line: lineOf(KAFKA_INSERT, 'async onCaptured('), messageId: 'noIdentityCheck' }],
    },
    {
      name: 'nest, no bootstrap, the handler acks after an insert: RMQ manual-ack',
      code: RMQ_SERVICE_THEN_ACK,
      files: { 'orders.service.ts': ORDERS_SERVICE_INSERT },
      errors: [{ line: lineOf(RMQ_SERVICE_THEN_ACK, 'async onOrderCreated('), messageId: 'noIdentityCheck' }],
    },
  ],
});

// ---- CQRS: the bus dispatches to the decorated handler class ----------------------------------

const RECORD_PAYMENT_COMMAND = `export class RecordPaymentCommand {
  constructor(
    readonly accountId: string,
    readonly amountCents: number,
  ) {}
}
`;

const RECORD_PAYMENT_HANDLER = `import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Pool } from 'pg';
import { RecordPaymentCommand } from './record-payment.command';

const pool = new Pool();

@CommandHandler(RecordPaymentCommand)
export class RecordPaymentHandler implements ICommandHandler<RecordPaymentCommand> {
  async execute(command: RecordPaymentCommand): Promise<void> {
    await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [command.accountId, command.amountCents]);
  }
}
`;

/** Kafka: the handler sends a command; its handler class inserts. */
const KAFKA_COMMAND_BUS = `import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { RecordPaymentCommand } from './record-payment.command';

@Controller()
export class PaymentsController {
  constructor(private readonly commandBus: CommandBus) {}

  @EventPattern('payments.captured')
  async onCaptured(@Payload() payment: { accountId: string; amountCents: number }, @Ctx() context: KafkaContext): Promise<void> {
    console.log('captured', context.getPartition());
    await this.commandBus.execute(new RecordPaymentCommand(payment.accountId, payment.amountCents));
  }
}
`;

const ORDER_PLACED_EVENT = `export class OrderPlacedEvent {
  constructor(readonly orderId: string) {}
}
`;

const ORDER_PLACED_HANDLER = `import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { Pool } from 'pg';
import { OrderPlacedEvent } from './order-placed.event';

const pool = new Pool();

@EventsHandler(OrderPlacedEvent)
export class OrderPlacedAuditHandler implements IEventHandler<OrderPlacedEvent> {
  async handle(event: OrderPlacedEvent): Promise<void> {
    await pool.query('INSERT INTO order_audit (order_id) VALUES ($1) ON CONFLICT DO NOTHING', [event.orderId]);
  }
}
`;

/** RMQ manual ack: the handler publishes an event and acks; the event's handler runs on its own. */
const RMQ_EVENT_BUS_THEN_ACK = `import { Controller } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { OrderPlacedEvent } from './order-placed.event';

@Controller()
export class OrdersController {
  constructor(private readonly eventBus: EventBus) {}

  @EventPattern('order_created')
  async onOrderCreated(@Payload() order: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    this.eventBus.publish(new OrderPlacedEvent(order.id));
    context.getChannelRef().ack(context.getMessage());
  }
}
`;

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'nest CQRS: a command whose class no handler declares is not followed',
      code: KAFKA_COMMAND_BUS,
      files: {
        'main.ts': createMicroservice(KAFKA),
        'app.module.ts': APP_MODULE,
        'record-payment.command.ts': RECORD_PAYMENT_COMMAND,
      },
    },
  ],
  invalid: [
    {
      name: 'nest CQRS: commandBus.execute(new X()) reaches the @CommandHandler(X) class, which inserts',
      code: KAFKA_COMMAND_BUS,
      files: {
        'main.ts': createMicroservice(KAFKA),
        'app.module.ts': APP_MODULE,
        'record-payment.command.ts': RECORD_PAYMENT_COMMAND,
        'record-payment.handler.ts': RECORD_PAYMENT_HANDLER,
      },
      errors: [
        {
          line: lineOf(KAFKA_COMMAND_BUS, 'async onCaptured('),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO ledger_entries', 'RecordPaymentHandler.execute'],
        },
      ],
    },
  ],
});

ruleTester('ack-before-process', {
  valid: [],
  invalid: [
    {
      name: 'nest CQRS: eventBus.publish(new E()) starts the @EventsHandler(E) class without waiting, then the ack',
      code: RMQ_EVENT_BUS_THEN_ACK,
      files: {
        'main.ts': MAIN_RMQ_MANUAL,
        'app.module.ts': APP_MODULE,
        'order-placed.event.ts': ORDER_PLACED_EVENT,
        'order-placed.handler.ts': ORDER_PLACED_HANDLER,
      },
      errors: [
        {
          line: lineOf(RMQ_EVENT_BUS_THEN_ACK, 'this.eventBus.publish('),
          messageId: 'unawaitedBeforeAck',
          data: ['INSERT INTO order_audit', 'OrderPlacedAuditHandler.handle'],
        },
      ],
    },
  ],
});

// ---- the CLI loads the bootstrap ---------------------------------------------------------------

describe('NestJS through the CLI runner', () => {
  test("the prefilter selects a bootstrap that imports only '@nestjs/core'", () => {
    assert.ok(
      mentionsBroker("import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n"),
    );
    assert.ok(mentionsBroker("import { Ctx, EventPattern } from '@nestjs/microservices';\n"));
    // A CQRS handler is read when a dispatch names its command (the test after next), not as a root.
    assert.ok(!mentionsBroker('@CommandHandler(RecordPaymentCommand)\nexport class RecordPaymentHandler {}\n'));
  });

  for (const mode of MODES) {
    test(`runLint finds the bootstrap's options in another file and the handler's findings (${mode})`, () => {
      const project = new TestProject(mode, 'nestjs-cli');
      try {
        project.write({
          'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { rmqOptions } from './rmq.options';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, rmqOptions);
  await app.listen();
}
void bootstrap();
`,
          // Shares no import with the controller's file: found through the program only.
          'src/rmq.options.ts': `export const rmqOptions = {
  transport: 5,
  options: { urls: ['amqp://localhost:5672'], queue: 'orders', noAck: false },
};
`,
          'src/app.module.ts': APP_MODULE,
          'src/orders.controller.ts': RMQ_ACK_FIRST,
        });
        const run = runLint({ cwd: project.root, paths: [project.path('src')], config: configWith() });
        const consumers = run.consumers.filter((consumer) => consumer.registration.library === 'nestjs-microservices');
        assert.equal(consumers.length, 1);
        // `transport: 5` is not Transport.RMQ by name: the bootstrap is found, its transport unknown.
        assert.match(consumers[0].incomplete ?? '', /not statically known/);
        assert.deepEqual(findingsOf(run, 'ack-before-process'), []);
      } finally {
        project.remove();
      }
    });
  }

  for (const mode of MODES) {
    test(`runLint: a bootstrap importing only '@nestjs/core' decides the ack mode (${mode})`, () => {
      const project = new TestProject(mode, 'nestjs-cli-core');
      try {
        project.write({
          'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { options } from './options';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, options.rmq);
  await app.listen();
}
void bootstrap();
`,
          'src/options.ts': `import { Transport } from '@nestjs/microservices';

export const options = {
  rmq: { transport: Transport.RMQ, options: { queue: 'orders', noAck: false } },
};
`,
          'src/app.module.ts': APP_MODULE,
          'src/orders.controller.ts': RMQ_ACK_FIRST,
        });
        const run = runLint({ cwd: project.root, paths: [project.path('src')], config: configWith() });
        const consumers = run.consumers.filter((consumer) => consumer.registration.library === 'nestjs-microservices');
        assert.equal(consumers.length, 1);
        assert.equal(consumers[0].registration.ackMode, 'explicit');
        assert.equal(consumers[0].registration.ackModeLocation?.filePath, project.path('src/options.ts'));
        const findings = findingsOf(run, 'ack-before-process');
        assert.equal(findings.length, 1);
        assert.equal(findings[0].location.line, lineOf(RMQ_ACK_FIRST, 'channel.ack(message);'));
      } finally {
        project.remove();
      }
    });
  }
  for (const mode of MODES) {
    test(`runLint: a CQRS handler class that nothing the consumer reaches imports is read; its effects count (${mode})`, () => {
      const project = new TestProject(mode, 'nestjs-cli-cqrs');
      try {
        project.write({
          'src/main.ts': createMicroservice(KAFKA),
          'src/app.module.ts': `import { Module } from '@nestjs/common';
import { PaymentsModule } from './payments.module';

@Module({ imports: [PaymentsModule] })
export class AppModule {}
`,
          // Only this module imports the handler class.
          'src/payments.module.ts': `import { Module } from '@nestjs/common';
import { PaymentsController } from './payments.controller';
import { RecordPaymentHandler } from './record-payment.handler';

@Module({ controllers: [PaymentsController], providers: [RecordPaymentHandler] })
export class PaymentsModule {}
`,
          'src/payments.controller.ts': KAFKA_COMMAND_BUS,
          'src/record-payment.command.ts': RECORD_PAYMENT_COMMAND,
          'src/record-payment.handler.ts': RECORD_PAYMENT_HANDLER,
        });
        const run = runLint({ cwd: project.root, paths: [project.path('src')], config: configWith() });
        const findings = findingsOf(run, 'missing-event-id-check');
        assert.equal(findings.length, 1);
        assert.equal(findings[0].location.filePath, project.path('src/payments.controller.ts'));
      } finally {
        project.remove();
      }
    });
  }
  for (const mode of MODES) {
    test(`the CLI reads the CQRS handler a dispatch names, found by its text, and not one no dispatch names (${mode})`, () => {
      const project = new TestProject(mode, 'nestjs-cqrs-search');
      try {
        const files: Record<string, string> = {
          'src/main.ts': createMicroservice(KAFKA),
          'src/payments.controller.ts': KAFKA_COMMAND_BUS,
          'src/record-payment.command.ts': RECORD_PAYMENT_COMMAND,
          'src/record-payment.handler.ts': RECORD_PAYMENT_HANDLER,
          'src/refund.command.ts': 'export class RefundCommand {\n  constructor(readonly paymentId: string) {}\n}\n',
          'src/refund.handler.ts': `import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { RefundCommand } from './refund.command';

@CommandHandler(RefundCommand)
export class RefundHandler implements ICommandHandler<RefundCommand> {
  async execute(command: RefundCommand): Promise<void> {
    console.log('refund', command.paymentId);
  }
}
`,
        };
        project.write(files);
        // As the CLI does: the files the prefilter selects are roots, the others' texts are searched.
        const all = Object.keys(files).map((file) => project.path(file));
        const roots = all.filter((file) => mentionsBroker(files[path.relative(project.root, file)]));
        const texts = new Map(
          all.filter((file) => !roots.includes(file)).map((file) => [file, files[path.relative(project.root, file)]]),
        );
        assert.deepEqual(roots.map((file) => path.basename(file)).sort(), ['main.ts', 'payments.controller.ts']);
        const loaded = loadProgram(roots, path.join(project.root, 'tsconfig.json'), true);
        const result = analyzeReached(loaded, { files: roots, config: configWith() }, texts);
        assert.deepEqual(
          result.findings.map((finding) => `${path.basename(finding.location.filePath)} ${finding.ruleId}`),
          ['payments.controller.ts missing-event-id-check'],
          "the handler's insert is followed from the dispatch",
        );
        assert.ok(loaded.isLoaded(project.path('src/record-payment.handler.ts')), 'named by a dispatch: read');
        assert.ok(!loaded.isLoaded(project.path('src/refund.handler.ts')), 'named by no dispatch: never read');
      } finally {
        project.remove();
      }
    });
  }
  for (const mode of MODES) {
    test(`runLint: an Nx monorepo's tsconfig.base.json paths reach a workspace library's options; a build folder of sources is linted (${mode})`, () => {
      const project = new TestProject(mode, 'nestjs-cli-nx');
      try {
        project.write({
          'tsconfig.base.json': JSON.stringify({
            compilerOptions: {
              ...(JSON.parse(fs.readFileSync(project.path('tsconfig.json'), 'utf8')) as { compilerOptions: object })
                .compilerOptions,
              baseUrl: '.',
              paths: { '@acme/messaging/kafka': ['libs/messaging/kafka/src/index.ts'] },
            },
          }),
          'libs/messaging/kafka/src/index.ts': `import { KafkaOptions, Transport } from '@nestjs/microservices';

export function createKafkaOptions(): KafkaOptions {
  return { transport: Transport.KAFKA, options: { client: { brokers: ['kafka:9092'] } } };
}
`,
          'apps/orders/src/main.ts': `import { NestFactory } from '@nestjs/core';
import { createKafkaOptions } from '@acme/messaging/kafka';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice(createKafkaOptions());
  await app.startAllMicroservices();
}
void bootstrap();
`,
          'apps/orders/src/app.module.ts': APP_MODULE.replace('./orders.controller', './build/orders.controller'),
          'apps/orders/src/build/orders.controller.ts': KAFKA_INSERT.replace(
            ', @Ctx() context: KafkaContext',
            '',
          ).replace("console.log('captured', context.getPartition());", "console.log('captured');"),
          // The compiler's output: not linted.
          'apps/orders/build/orders.controller.js': `"use strict";
const microservices_1 = require("@nestjs/microservices");
class PaymentsController { async onCaptured(payment) { console.log(payment); } }
__decorate([(0, microservices_1.EventPattern)('payments.captured')], PaymentsController.prototype, "onCaptured", null);
`,
        });
        // The root of an Nx workspace has no tsconfig.json, only the base its projects extend.
        fs.rmSync(project.path('tsconfig.json'));
        const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
        const consumers = run.consumers.filter((consumer) => consumer.registration.library === 'nestjs-microservices');
        assert.equal(consumers.length, 1);
        assert.equal(
          consumers[0].registration.location.filePath,
          project.path('apps/orders/src/build/orders.controller.ts'),
        );
        assert.equal(consumers[0].incomplete, undefined);
        assert.equal(consumers[0].registration.form, 'EventPattern (Kafka)');
        assert.equal(findingsOf(run, 'missing-event-id-check').length, 1);
      } finally {
        project.remove();
      }
    });
  }
});
