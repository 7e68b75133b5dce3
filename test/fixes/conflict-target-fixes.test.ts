/**
 * The conflict-ignoring insert (an effect-level fix of missing-event-id-check) names its conflict
 * target. Where the project declares a unique key on it (a SQL migration, a Prisma schema, a
 * TypeORM entity, a Knex migration), the fix is offered as that key, preferred; where none is
 * visible, or the visible keys are on other columns (a generated id), the fix names the column and
 * says in its title what to check. Each is applied, type-checked (typed) and analysed again.
 * Every case folder is a project of its own (its tsconfig.json marks the root the keys are read
 * under), so one case's migration is not another's.
 */
import { fixTests } from '../helpers/fix-cases';

const CONSUMER = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-writer' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const payment = JSON.parse(message.value!.toString()) as { paymentId: string; accountId: string; amountCents: number };
      await pool.query('INSERT INTO ledger_entries (payment_id, account_id, amount_cents) VALUES ($1, $2, $3)', [payment.paymentId, payment.accountId, payment.amountCents]);
    },
  });
}
`;

const MIGRATION = `-- 001_ledger.sql
CREATE TABLE IF NOT EXISTS ledger_entries (
  id           bigserial PRIMARY KEY,
  payment_id   text        NOT NULL,
  account_id   text        NOT NULL,
  amount_cents integer     NOT NULL,
  CONSTRAINT ledger_entries_payment UNIQUE (payment_id)
);
`;

const PRISMA_SCHEMA = `model LedgerEntry {
  id          Int    @id @default(autoincrement())
  paymentId   String @map("payment_id")
  accountId   String @map("account_id")
  amountCents Int    @map("amount_cents")

  @@unique([paymentId])
  @@map("ledger_entries")
}
`;

const TYPEORM_ENTITY = `import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

@Entity('ledger_entries')
@Unique(['paymentId'])
export class LedgerEntry {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ name: 'payment_id' }) paymentId!: string;
  @Column({ name: 'account_id' }) accountId!: string;
  @Column({ name: 'amount_cents' }) amountCents!: number;
}
`;

const KNEX_MIGRATION = `import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('shipment_labels', (table) => {
    table.increments('id');
    table.string('order_id').notNullable().unique();
    table.string('carrier');
  });
}
`;

const KNEX_CONSUMER = `import { Consumer } from 'sqs-consumer';
import knexFactory from 'knex';

const db = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL });

export const shipments = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shipments',
  handleMessage: async (message) => {
    const label = JSON.parse(message.Body ?? '{}') as { orderId: string; carrier: string };
    await db('shipment_labels').insert({ order_id: label.orderId, carrier: label.carrier });
    return message;
  },
});
`;

const ONLY_ID_KEY = MIGRATION.replace(',\n  CONSTRAINT ledger_entries_payment UNIQUE (payment_id)', '');

const VERIFIED =
  'Ignore duplicate inserts (ON CONFLICT (payment_id) DO NOTHING: ledger_entries has a unique key on (payment_id))';
const UNVERIFIED =
  'Ignore duplicate inserts (ON CONFLICT (payment_id) DO NOTHING) after checking that ledger_entries has a unique key on (payment_id)';
const FIXED_SQL =
  "'INSERT INTO ledger_entries (payment_id, account_id, amount_cents) VALUES ($1, $2, $3) ON CONFLICT (payment_id) DO NOTHING'";

const ROOT = { 'tsconfig.json': '{}\n' };

fixTests('missing-event-id-check', [
  {
    name: "a migration's UNIQUE constraint names the target: the fix is that key",
    code: CONSUMER,
    files: { ...ROOT, 'migrations/001_ledger.sql': MIGRATION },
    fix: VERIFIED,
    contains: [FIXED_SQL],
  },
  {
    name: "a Prisma schema's @@unique (with @map and @@map) names the target",
    code: CONSUMER,
    files: { ...ROOT, 'prisma/schema.prisma': PRISMA_SCHEMA },
    fix: VERIFIED,
    contains: [FIXED_SQL],
  },
  {
    name: "a TypeORM entity's @Unique names the target",
    code: CONSUMER,
    files: { ...ROOT, 'entities/ledger-entry.entity.ts': TYPEORM_ENTITY },
    fix: VERIFIED,
    contains: [FIXED_SQL],
  },
  {
    name: "a Knex migration's .unique() names the target of .onConflict(…)",
    code: KNEX_CONSUMER,
    files: { ...ROOT, 'migrations/20240101_labels.ts': KNEX_MIGRATION },
    fix: "Ignore duplicate inserts (.onConflict('order_id').ignore(): shipment_labels has a unique key on (order_id))",
    contains: [
      "await db('shipment_labels').insert({ order_id: label.orderId, carrier: label.carrier }).onConflict('order_id').ignore();",
    ],
  },
  {
    name: 'no schema in sight: the fix names the column and says what to check',
    code: CONSUMER,
    files: ROOT,
    fix: UNVERIFIED,
    contains: [FIXED_SQL],
  },
  {
    name: 'the only visible key is the generated id, which the insert does not set: what to check, not a key',
    code: CONSUMER,
    files: { ...ROOT, 'migrations/001_ledger.sql': ONLY_ID_KEY },
    fix: UNVERIFIED,
    contains: [FIXED_SQL],
  },
]);
