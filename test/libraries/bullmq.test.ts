/**
 * BullMQ (+ @nestjs/bullmq, @nestjs/bull), docs/model.md, "Per-library behaviour": `new Worker(name, processor)`,
 * `@Processor(name)` classes extending `WorkerHost` with `process(job)`, and `@Process()` methods.
 * Implicit-after-return (the job completes when the processor resolves); identity `job.id` and
 * the payload. Typed mode has bullmq, @nestjs/bullmq, @nestjs/bull and bull installed.
 */
import { ruleTester } from '../helpers/rule-tester';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';

const cases: RecognitionCase[] = [
  {
    name: 'new Worker(name, inline async processor, opts)',
    files: {
      'consumer.ts': `import { Worker, type Job } from 'bullmq';

export const worker = new Worker(
  'invoice-emails',
  async (job: Job<{ invoiceId: string }>) => {
    console.log('sending invoice', job.data.invoiceId);
  },
  { connection: { host: 'redis', port: 6379 }, concurrency: 5 },
);
`,
    },
    expect: [
      {
        library: 'bullmq',
        form: 'Worker',
        ackMode: 'implicit-after-return',
        source: 'invoice-emails',
        identityExpression: 'job.id',
        handlerAt: { text: 'async (job: Job<{ invoiceId: string }>) =>' },
        registrationAt: 'export const worker = new Worker(',
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'Worker with a named processor imported from another file; queue name from a const',
    files: {
      'processors/charge.ts': `import type { Job } from 'bullmq';

export async function chargeOrder(job: Job<{ orderId: string; amountCents: number }>): Promise<void> {
  console.log('charging', job.data.orderId, job.data.amountCents);
}
`,
      'consumer.ts': `import { Worker } from 'bullmq';
import { chargeOrder } from './processors/charge';

const CHARGES_QUEUE = 'order-charges';

export function startChargeWorker(): Worker {
  return new Worker(CHARGES_QUEUE, chargeOrder, { connection: { host: 'redis' } });
}
`,
    },
    expect: [
      {
        library: 'bullmq',
        form: 'Worker',
        ackMode: 'implicit-after-return',
        source: 'order-charges',
        handlerName: 'chargeOrder',
        identityExpression: 'job.id',
        handlerAt: { file: 'processors/charge.ts', text: 'export async function chargeOrder(' },
      },
    ],
  },
  {
    name: 'namespace import (new bullmq.Worker) with an arrow processor in a const',
    files: {
      'consumer.ts': `import * as bullmq from 'bullmq';

const processRefund = async (refundJob: bullmq.Job) => {
  console.log(refundJob.name, refundJob.data);
};

export const refunds = new bullmq.Worker('refunds', processRefund, { connection: { host: 'redis' } });
`,
    },
    expect: [
      {
        library: 'bullmq',
        form: 'Worker',
        ackMode: 'implicit-after-return',
        source: 'refunds',
        handlerName: 'processRefund',
        identityExpression: 'refundJob.id',
        handlerAt: { text: 'const processRefund = async' },
      },
    ],
  },
  {
    name: 'loaded with require(); queue name built from an environment prefix is not static',
    files: {
      'consumer.ts': `const { Worker } = require('bullmq');

const worker = new Worker(\`\${process.env.QUEUE_PREFIX}-receipts\`, async (job: { id?: string; data: unknown }) => {
  console.log(job.id, job.data);
});

module.exports = { worker };
`,
    },
    expect: [
      {
        library: 'bullmq',
        form: 'Worker',
        ackMode: 'implicit-after-return',
        source: null,
        identityExpression: 'job.id',
      },
    ],
  },
  {
    name: 'sandboxed processors (a file path or URL) and a manual worker (null) are not analysable: skipped',
    files: {
      'consumer.ts': `import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';

const connection = { host: 'redis' };

export const pdfs = new Worker('invoice-pdfs', path.join(__dirname, 'render-pdf.js'), { connection, useWorkerThreads: true });
export const thumbnails = new Worker('thumbnails', './thumbnails.js', { connection });
export const exports = new Worker('exports', pathToFileURL(path.join(__dirname, 'export.js')), { connection });
export const manual = new Worker('manual-settlement', null, { connection });
`,
    },
    expect: [],
  },
  {
    name: 'node:worker_threads Worker in a file that also uses BullMQ is not a consumer',
    files: {
      'consumer.ts': `import { Worker } from 'node:worker_threads';
import { Queue } from 'bullmq';

export const reports = new Queue('reports', { connection: { host: 'redis' } });
export const thread = new Worker(new URL('./thread.js', 'file:///app/'), { workerData: { queue: 'reports' } });
`,
    },
    expect: [],
  },
  {
    name: '@nestjs/bullmq @Processor(name) class extending WorkerHost',
    files: {
      'consumer.ts': `import { Processor, WorkerHost, OnWorkerEvent } from '@nestjs/bullmq';
import type { Job } from 'bullmq';

@Processor('billing-invoices')
export class InvoiceProcessor extends WorkerHost {
  async process(job: Job<{ invoiceId: string }>): Promise<void> {
    console.log('invoice', job.data.invoiceId);
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job): void {
    console.log('failed', job.id);
  }
}
`,
    },
    expect: [
      {
        library: 'bullmq',
        form: 'WorkerHost.process',
        ackMode: 'implicit-after-return',
        source: 'billing-invoices',
        handlerName: 'InvoiceProcessor.process',
        identityExpression: 'job.id',
        handlerAt: { text: 'async process(job' },
        registrationAt: "@Processor('billing-invoices')",
      },
    ],
  },
  {
    name: '@nestjs/bullmq @Processor({ name }) options form with concurrency',
    files: {
      'consumer.ts': `import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';

const QUEUE = 'payouts';

@Processor({ name: QUEUE }, { concurrency: 3 })
export class PayoutProcessor extends WorkerHost {
  async process(payout: Job): Promise<string> {
    return String(payout.data);
  }
}
`,
    },
    expect: [
      {
        library: 'bullmq',
        form: 'WorkerHost.process',
        ackMode: 'implicit-after-return',
        source: 'payouts',
        identityExpression: 'payout.id',
      },
    ],
  },
  {
    name: '@nestjs/bull @Process() and @Process(name) methods are each a consumer; other methods are not',
    files: {
      'consumer.ts': `import { Process, Processor, OnQueueFailed } from '@nestjs/bull';
import type { Job } from 'bull';

@Processor('customer-emails')
export class CustomerEmailProcessor {
  @Process()
  async sendDefault(job: Job<{ to: string }>): Promise<void> {
    console.log('default', job.data.to);
  }

  @Process('welcome')
  async sendWelcome(job: Job<{ to: string }>): Promise<void> {
    console.log('welcome', job.data.to);
  }

  @Process({ name: 'receipt', concurrency: 2 })
  async sendReceipt(job: Job<{ to: string }>): Promise<void> {
    console.log('receipt', job.data.to);
  }

  @OnQueueFailed()
  onFailed(job: Job, error: Error): void {
    console.log(job.id, error.message);
  }

  format(to: string): string {
    return to.toLowerCase();
  }
}
`,
    },
    expect: [
      {
        library: 'bullmq',
        form: '@Process',
        ackMode: 'implicit-after-return',
        source: 'customer-emails',
        handlerName: 'CustomerEmailProcessor.sendDefault',
        registrationAt: '@Process()',
      },
      {
        library: 'bullmq',
        form: '@Process',
        ackMode: 'implicit-after-return',
        source: 'customer-emails',
        handlerName: 'CustomerEmailProcessor.sendWelcome',
        registrationAt: "@Process('welcome')",
      },
      {
        library: 'bullmq',
        form: '@Process',
        ackMode: 'implicit-after-return',
        source: 'customer-emails',
        handlerName: 'CustomerEmailProcessor.sendReceipt',
        identityExpression: 'job.id',
      },
    ],
  },
  {
    name: 'negative: a local Processor decorator and a local Worker class',
    files: {
      'consumer.ts': `import { Queue } from 'bullmq';

function Processor(name: string) {
  return (target: unknown) => void [name, target];
}

class Worker {
  constructor(readonly name: string, readonly fn: (job: { id: string }) => Promise<void>) {}
}

@Processor('local')
export class LocalProcessor {
  async process(job: { id: string }): Promise<void> {
    console.log(job.id);
  }
}

export const local = new Worker('local', async (job) => console.log(job.id));
export const queue = new Queue('local');
`,
    },
    expect: [],
  },
];

recognitionTests('bullmq', cases);

// ---- rules on BullMQ consumers ---------------------------------------------------------------

const MAILER = `import nodemailer from 'nodemailer';

export const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });
`;

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'bullmq: processor awaits the email before resolving',
      files: { 'mailer.ts': MAILER },
      code: `import { Worker, type Job } from 'bullmq';
import { transporter } from './mailer';

export const worker = new Worker('invoice-emails', async (job: Job<{ email: string; invoiceId: string }>) => {
  await transporter.sendMail({ to: job.data.email, subject: \`Invoice \${job.data.invoiceId}\`, text: 'Attached.' });
}, { connection: { host: 'redis' } });
`,
    },
    {
      name: '@nestjs/bullmq: process returns the email promise',
      files: { 'mailer.ts': MAILER },
      code: `import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { transporter } from './mailer';

@Processor('receipts')
export class ReceiptProcessor extends WorkerHost {
  process(job: Job<{ email: string }>) {
    return transporter.sendMail({ to: job.data.email, subject: 'Your receipt', text: 'Thanks.' });
  }
}
`,
    },
  ],
  invalid: [
    {
      name: 'bullmq: the email is sent without await, so the job completes while it is still running',
      files: { 'mailer.ts': MAILER },
      code: `import { Worker, type Job } from 'bullmq';
import { transporter } from './mailer';

export const worker = new Worker('invoice-emails', async (job: Job<{ email: string; invoiceId: string }>) => {
  console.log('emailing invoice', job.data.invoiceId);
  transporter.sendMail({ to: job.data.email, subject: \`Invoice \${job.data.invoiceId}\`, text: 'Attached.' });
}, { connection: { host: 'redis' } });
`,
      errors: [{ line: 6, messageId: 'unawaitedAtReturn', data: 'bullmq consumer', related: 2 }],
    },
    {
      name: '@nestjs/bull: @Process method starts the write and returns',
      code: `import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { Pool } from 'pg';

const pool = new Pool();

@Processor('order-events')
export class OrderEventsProcessor {
  @Process('placed')
  async onPlaced(job: Job<{ orderId: string; totalCents: number }>): Promise<void> {
    void pool.query('INSERT INTO order_totals (order_id, total_cents) VALUES ($1, $2)', [job.data.orderId, job.data.totalCents]);
  }
}
`,
      errors: [{ line: 11, messageId: 'unawaitedAtReturn' }],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'bullmq: Stripe charge with an idempotencyKey from job.id',
      code: `import { Worker, type Job } from 'bullmq';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');

export const worker = new Worker('order-charges', async (job: Job<{ customerId: string; amountCents: number }>) => {
  await stripe.paymentIntents.create(
    { customer: job.data.customerId, amount: job.data.amountCents, currency: 'eur', confirm: true },
    { idempotencyKey: \`charge-\${job.id}\` },
  );
}, { connection: { host: 'redis' } });
`,
    },
    {
      name: '@nestjs/bullmq: inbox claim keyed by job.id before the ledger insert',
      code: `import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { Pool } from 'pg';

const pool = new Pool();

@Processor('ledger')
export class LedgerProcessor extends WorkerHost {
  async process(job: Job<{ accountId: string; amountCents: number }>): Promise<void> {
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      const { rowCount } = await db.query('INSERT INTO processed_jobs (job_id) VALUES ($1) ON CONFLICT DO NOTHING', [job.id]);
      if (rowCount === 0) {
        await db.query('ROLLBACK');
        return;
      }
      await db.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [job.data.accountId, job.data.amountCents]);
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    } finally {
      db.release();
    }
  }
}
`,
    },
  ],
  invalid: [
    {
      name: 'bullmq: Stripe charge without idempotencyKey, no guard (a stalled job runs again)',
      code: `import { Worker, type Job } from 'bullmq';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');

export const worker = new Worker('order-charges', async (job: Job<{ customerId: string; amountCents: number }>) => {
  await stripe.paymentIntents.create({ customer: job.data.customerId, amount: job.data.amountCents, currency: 'eur', confirm: true });
}, { connection: { host: 'redis' } });
`,
      errors: [
        {
          line: 6,
          messageId: 'noIdentityCheck',
          data: ["bullmq consumer of queue 'order-charges'", 'BullMQ run the job again', 'job.id'],
          related: 2,
        },
      ],
    },
    {
      name: '@nestjs/bullmq: WorkerHost.process inserts a ledger row with no check; finding on the method name',
      code: `import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { Pool } from 'pg';

const pool = new Pool();

@Processor('ledger')
export class LedgerProcessor extends WorkerHost {
  async process(job: Job<{ accountId: string; amountCents: number }>): Promise<void> {
    await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [job.data.accountId, job.data.amountCents]);
  }
}
`,
      errors: [{ line: 9, messageId: 'noIdentityCheck', data: "consumer of queue 'ledger'" }],
    },
    {
      name: '@nestjs/bull: a claim on a fresh randomUUID() guards nothing',
      code: `import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();

@Processor('loyalty')
export class LoyaltyProcessor {
  @Process()
  async award(job: Job<{ customerId: string; points: number }>): Promise<void> {
    const claimed = await redis.set(\`loyalty:\${randomUUID()}\`, '1', 'EX', 300, 'NX');
    if (!claimed) return;
    await pool.query('UPDATE loyalty SET points = points + $1 WHERE customer_id = $2', [job.data.points, job.data.customerId]);
  }
}
`,
      errors: [{ line: 13, messageId: 'invalidIdentityCheck', data: 'randomUUID' }],
    },
  ],
});
