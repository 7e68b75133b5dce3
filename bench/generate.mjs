#!/usr/bin/env node
// Generates a large, deterministic TypeScript backend monorepo into bench/.generated/project for
// `npm run bench`. About 1% of its files touch a message broker (kafkajs, amqplib, sqs-consumer
// consumers and two shared broker clients); their handlers reach Prisma, Stripe and Redis effects
// through call chains 3 to 6 files deep. The rest is ordinary service code: domain models,
// repositories, services, HTTP controllers, mappers, rule tables of 500-1500 lines, utilities
// and barrels, sized so that `tsc --noEmit` takes 15-30 s on a 2-core machine.
// The broker, ORM, payment and cache libraries are declared by small ambient stubs in types/,
// so the project type-checks with no node_modules.
//
// Usage: node bench/generate.mjs [--out DIR] [--seed N] [--scale X]
// Bump GENERATOR_VERSION whenever the output changes: run.mjs regenerates on a mismatch.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GENERATOR_VERSION = 2;
export const DEFAULT_SEED = 20240611;
/** Multiplies the per-entity body size (service methods, rule tables); tuned for tsc 15-30 s. */
export const DEFAULT_SCALE = 1.3;

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT = join(here, '.generated', 'project');
export const MANIFEST_NAME = '.generator.json';

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRandom(seed) {
  const next = mulberry32(seed);
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy;
    },
    sample: (items, n) => r.shuffle(items).slice(0, Math.min(n, items.length)),
  };
  return r;
}

// ---------------------------------------------------------------------------------------------
// Names

const SERVICES = [
  'orders',
  'billing',
  'inventory',
  'shipping',
  'catalog',
  'customers',
  'notifications',
  'pricing',
  'payments',
  'fulfillment',
  'identity',
  'analytics',
];

const QUALIFIERS = [
  'Account',
  'Batch',
  'Billing',
  'Carrier',
  'Channel',
  'Contract',
  'Coupon',
  'Credit',
  'Customer',
  'Delivery',
  'Discount',
  'Dispatch',
  'Export',
  'Fleet',
  'Import',
  'Invoice',
  'Ledger',
  'Loyalty',
  'Market',
  'Member',
  'Merchant',
  'Order',
  'Parcel',
  'Partner',
  'Payout',
  'Plan',
  'Portal',
  'Price',
  'Product',
  'Promo',
  'Quote',
  'Region',
  'Return',
  'Route',
  'Sales',
  'Seller',
  'Service',
  'Stock',
  'Store',
  'Supplier',
  'Tax',
  'Tenant',
  'Ticket',
  'Transfer',
  'Vendor',
  'Warehouse',
  'Wallet',
  'Zone',
];
const NOUNS = [
  'Adjustment',
  'Allocation',
  'Approval',
  'Assignment',
  'Attempt',
  'Audit',
  'Balance',
  'Booking',
  'Budget',
  'Bundle',
  'Campaign',
  'Capture',
  'Category',
  'Change',
  'Charge',
  'Claim',
  'Config',
  'Dispute',
  'Entry',
  'Estimate',
  'Exception',
  'Fee',
  'Forecast',
  'Group',
  'Hold',
  'Item',
  'Label',
  'Limit',
  'Line',
  'Manifest',
  'Mapping',
  'Note',
  'Offer',
  'Period',
  'Policy',
  'Profile',
  'Quota',
  'Rate',
  'Reason',
  'Record',
  'Reservation',
  'Rule',
  'Schedule',
  'Segment',
  'Setting',
  'Slot',
  'Snapshot',
  'Statement',
  'Step',
  'Summary',
  'Template',
  'Threshold',
  'Tier',
  'Window',
];

const LIFECYCLES = [
  ['Draft', 'Pending', 'Active', 'Suspended', 'Archived'],
  ['Pending', 'Approved', 'Rejected'],
  ['Open', 'Scheduled', 'Completed', 'Cancelled'],
  ['Queued', 'Active', 'Completed', 'Failed'],
  ['Pending', 'Verified', 'Expired'],
  ['Draft', 'Open', 'Closed'],
  ['Scheduled', 'Active', 'Expired', 'Archived'],
];

/** Field names by kind, so that a field's name matches its type. */
const FIELD_POOLS = {
  string: [
    'title',
    'label',
    'code',
    'reference',
    'externalRef',
    'sku',
    'email',
    'phone',
    'locale',
    'timezone',
    'region',
    'category',
    'source',
    'owner',
    'segment',
    'team',
    'country',
    'language',
    'slug',
    'handle',
    'displayName',
    'description',
  ],
  optString: ['notes', 'comment', 'reason', 'memo', 'approvedBy', 'externalNote', 'parentRef'],
  number: [
    'quantity',
    'weight',
    'score',
    'rank',
    'capacity',
    'threshold',
    'ratio',
    'duration',
    'interval',
    'attempts',
    'retries',
    'position',
    'sequence',
    'percentage',
    'count',
  ],
  boolean: ['enabled', 'archived', 'verified', 'isDefault', 'requiresReview', 'autoRenew', 'visible', 'locked'],
  money: ['price', 'cost', 'fee', 'budget', 'discount', 'tax', 'total', 'balance', 'creditLimit'],
  timestamp: ['deadline', 'startsAt', 'endsAt', 'expiresAt', 'lastSeenAt', 'scheduledAt', 'closedAt'],
  tags: ['tags', 'labels', 'aliases', 'flags', 'scopes'],
  union: ['priority', 'tier', 'level', 'mode', 'channel', 'severity', 'visibility'],
  address: ['address', 'billingAddress', 'shippingAddress', 'originAddress'],
};
const UNION_OPTIONS = {
  priority: ['low', 'medium', 'high', 'critical'],
  tier: ['free', 'standard', 'premium'],
  level: ['basic', 'advanced', 'expert'],
  mode: ['manual', 'auto', 'scheduled'],
  channel: ['email', 'sms', 'push', 'web'],
  severity: ['info', 'warning', 'critical'],
  visibility: ['public', 'private', 'internal'],
};

const cap = (s) => s[0].toUpperCase() + s.slice(1);
const lower = (s) => s[0].toLowerCase() + s.slice(1);
const kebab = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

// ---------------------------------------------------------------------------------------------
// Static files: stubs of third-party modules, tsconfig and shared code

const STUBS = {
  'types/globals.d.ts': `// Minimal Node.js globals: the project builds without node_modules.
interface Buffer extends Uint8Array {
  toString(encoding?: string): string;
  equals(other: Uint8Array): boolean;
}
declare const Buffer: {
  from(data: string | ArrayLike<number>, encoding?: string): Buffer;
  byteLength(data: string, encoding?: string): number;
  concat(list: readonly Uint8Array[]): Buffer;
};
declare const process: {
  readonly env: Record<string, string | undefined>;
  exit(code?: number): never;
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  readonly pid: number;
};
interface Console {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}
declare const console: Console;
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function setInterval(callback: () => void, ms?: number): unknown;
declare function clearInterval(handle: unknown): void;
`,
  'types/kafkajs.d.ts': `// Hand-written subset of the kafkajs 2.x typings.
declare module 'kafkajs' {
  export interface KafkaConfig {
    clientId?: string;
    brokers: string[];
    ssl?: boolean;
    connectionTimeout?: number;
    requestTimeout?: number;
  }
  export interface IHeaders {
    [key: string]: Buffer | string | undefined;
  }
  export interface KafkaMessage {
    key: Buffer | null;
    value: Buffer | null;
    timestamp: string;
    attributes: number;
    offset: string;
    size?: number;
    headers?: IHeaders;
  }
  export interface EachMessagePayload {
    topic: string;
    partition: number;
    message: KafkaMessage;
    heartbeat(): Promise<void>;
    pause(): () => void;
  }
  export interface Batch {
    topic: string;
    partition: number;
    highWatermark: string;
    messages: KafkaMessage[];
    isEmpty(): boolean;
    firstOffset(): string | null;
    lastOffset(): string;
  }
  export interface EachBatchPayload {
    batch: Batch;
    resolveOffset(offset: string): void;
    heartbeat(): Promise<void>;
    pause(): () => void;
    commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
    isRunning(): boolean;
    isStale(): boolean;
  }
  export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;
  export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;
  export interface ConsumerRunConfig {
    autoCommit?: boolean;
    autoCommitInterval?: number | null;
    autoCommitThreshold?: number | null;
    eachBatchAutoResolve?: boolean;
    partitionsConsumedConcurrently?: number;
    eachBatch?: EachBatchHandler;
    eachMessage?: EachMessageHandler;
  }
  export interface TopicPartitionOffset {
    topic: string;
    partition: number;
    offset: string;
  }
  export interface Offsets {
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }
  export interface ConsumerConfig {
    groupId: string;
    sessionTimeout?: number;
    heartbeatInterval?: number;
    maxBytesPerPartition?: number;
    allowAutoTopicCreation?: boolean;
  }
  export interface ConsumerSubscribeTopics {
    topics: Array<string | RegExp>;
    fromBeginning?: boolean;
  }
  export interface ConsumerSubscribeTopic {
    topic: string | RegExp;
    fromBeginning?: boolean;
  }
  export interface Consumer {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void>;
    stop(): Promise<void>;
    run(config?: ConsumerRunConfig): Promise<void>;
    commitOffsets(topicPartitions: TopicPartitionOffset[]): Promise<void>;
    seek(topicPartitionOffset: TopicPartitionOffset): void;
    pause(topics: Array<{ topic: string; partitions?: number[] }>): void;
    resume(topics: Array<{ topic: string; partitions?: number[] }>): void;
  }
  export interface Message {
    key?: Buffer | string | null;
    value: Buffer | string | null;
    partition?: number;
    headers?: IHeaders;
    timestamp?: string;
  }
  export interface ProducerRecord {
    topic: string;
    messages: Message[];
    acks?: number;
    timeout?: number;
  }
  export interface RecordMetadata {
    topicName: string;
    partition: number;
    errorCode: number;
    offset?: string;
    timestamp?: string;
  }
  export interface Transaction {
    send(record: ProducerRecord): Promise<RecordMetadata[]>;
    sendOffsets(offsets: Offsets & { consumerGroupId: string }): Promise<void>;
    commit(): Promise<void>;
    abort(): Promise<void>;
    isActive(): boolean;
  }
  export interface ProducerConfig {
    idempotent?: boolean;
    transactionalId?: string;
    maxInFlightRequests?: number;
    allowAutoTopicCreation?: boolean;
  }
  export interface Producer {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    send(record: ProducerRecord): Promise<RecordMetadata[]>;
    transaction(): Promise<Transaction>;
  }
  export class Kafka {
    constructor(config: KafkaConfig);
    producer(config?: ProducerConfig): Producer;
    consumer(config: ConsumerConfig): Consumer;
  }
}
`,
  'types/amqplib.d.ts': `// Hand-written subset of the @types/amqplib typings (promise API).
declare module 'amqplib' {
  export interface MessageFields {
    deliveryTag: number;
    redelivered: boolean;
    exchange: string;
    routingKey: string;
    consumerTag?: string;
    messageCount?: number;
  }
  export interface MessageProperties {
    contentType?: string;
    contentEncoding?: string;
    headers?: Record<string, unknown>;
    deliveryMode?: number;
    priority?: number;
    correlationId?: string;
    replyTo?: string;
    expiration?: string;
    messageId?: string;
    timestamp?: number;
    type?: string;
    appId?: string;
  }
  export interface Message {
    content: Buffer;
    fields: MessageFields;
    properties: MessageProperties;
  }
  export type ConsumeMessage = Message;
  export namespace Options {
    interface AssertQueue {
      exclusive?: boolean;
      durable?: boolean;
      autoDelete?: boolean;
      arguments?: Record<string, unknown>;
      deadLetterExchange?: string;
      deadLetterRoutingKey?: string;
      maxLength?: number;
    }
    interface AssertExchange {
      durable?: boolean;
      internal?: boolean;
      autoDelete?: boolean;
    }
    interface Publish {
      expiration?: string | number;
      persistent?: boolean;
      mandatory?: boolean;
      contentType?: string;
      headers?: Record<string, unknown>;
      messageId?: string;
      correlationId?: string;
      timestamp?: number;
    }
    interface Consume {
      consumerTag?: string;
      noLocal?: boolean;
      noAck?: boolean;
      exclusive?: boolean;
      priority?: number;
      arguments?: Record<string, unknown>;
    }
  }
  export namespace Replies {
    interface AssertQueue {
      queue: string;
      messageCount: number;
      consumerCount: number;
    }
    interface AssertExchange {
      exchange: string;
    }
    interface Consume {
      consumerTag: string;
    }
    interface Empty {}
  }
  export interface Channel {
    assertQueue(queue: string, options?: Options.AssertQueue): Promise<Replies.AssertQueue>;
    assertExchange(exchange: string, type: 'direct' | 'topic' | 'fanout' | 'headers', options?: Options.AssertExchange): Promise<Replies.AssertExchange>;
    bindQueue(queue: string, source: string, pattern: string): Promise<Replies.Empty>;
    prefetch(count: number, global?: boolean): Promise<Replies.Empty>;
    consume(queue: string, onMessage: (msg: ConsumeMessage | null) => void, options?: Options.Consume): Promise<Replies.Consume>;
    cancel(consumerTag: string): Promise<Replies.Empty>;
    ack(message: Message, allUpTo?: boolean): void;
    ackAll(): void;
    nack(message: Message, allUpTo?: boolean, requeue?: boolean): void;
    reject(message: Message, requeue?: boolean): void;
    publish(exchange: string, routingKey: string, content: Buffer, options?: Options.Publish): boolean;
    sendToQueue(queue: string, content: Buffer, options?: Options.Publish): boolean;
    close(): Promise<void>;
  }
  export interface ConfirmChannel extends Channel {
    waitForConfirms(): Promise<void>;
  }
  export interface Connection {
    createChannel(): Promise<Channel>;
    createConfirmChannel(): Promise<ConfirmChannel>;
    close(): Promise<void>;
  }
  export function connect(url: string, socketOptions?: Record<string, unknown>): Promise<Connection>;
}
`,
  'types/sqs-consumer.d.ts': `// Hand-written subset of the sqs-consumer 10+ typings.
declare module 'sqs-consumer' {
  export interface MessageAttributeValue {
    StringValue?: string;
    BinaryValue?: Uint8Array;
    DataType: string;
  }
  export interface Message {
    MessageId?: string;
    ReceiptHandle?: string;
    MD5OfBody?: string;
    Body?: string;
    Attributes?: Record<string, string>;
    MessageAttributes?: Record<string, MessageAttributeValue>;
  }
  export interface ConsumerOptions {
    queueUrl: string;
    attributeNames?: string[];
    messageAttributeNames?: string[];
    batchSize?: number;
    visibilityTimeout?: number;
    waitTimeSeconds?: number;
    authenticationErrorTimeout?: number;
    pollingWaitTimeMs?: number;
    terminateVisibilityTimeout?: boolean;
    heartbeatInterval?: number;
    region?: string;
    handleMessageTimeout?: number;
    shouldDeleteMessages?: boolean;
    alwaysAcknowledge?: boolean;
    handleMessage?(message: Message): Promise<Message | void>;
    handleMessageBatch?(messages: Message[]): Promise<Message[] | void>;
  }
  export type ConsumerEvent = 'error' | 'processing_error' | 'timeout_error' | 'message_received' | 'message_processed' | 'empty' | 'stopped';
  export class Consumer {
    static create(options: ConsumerOptions): Consumer;
    start(): void;
    stop(options?: { abort?: boolean }): void;
    readonly isRunning: boolean;
    on(event: ConsumerEvent, listener: (error: Error, message?: Message) => void): this;
  }
}
`,
  'types/prisma-client.d.ts': `// Hand-written stand-in for a generated @prisma/client.
declare module '@prisma/client' {
  export namespace Prisma {
    type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
    type NumberUpdate = number | { increment?: number; decrement?: number; multiply?: number; set?: number };
    type UpdateInput<T> = { [K in keyof T]?: T[K] extends number ? NumberUpdate : T[K] };
    type WhereInput<T> = { [K in keyof T]?: T[K] | { in?: T[K][]; not?: T[K] } };
    type OrderBy<T> = { [K in keyof T]?: 'asc' | 'desc' };
  }
  export interface ModelDelegate<T, C> {
    findUnique(args: { where: Partial<T> }): Promise<T | null>;
    findFirst(args?: { where?: Prisma.WhereInput<T>; orderBy?: Prisma.OrderBy<T> }): Promise<T | null>;
    findMany(args?: { where?: Prisma.WhereInput<T>; orderBy?: Prisma.OrderBy<T>; take?: number; skip?: number }): Promise<T[]>;
    create(args: { data: C }): Promise<T>;
    createMany(args: { data: C[]; skipDuplicates?: boolean }): Promise<{ count: number }>;
    update(args: { where: Partial<T>; data: Prisma.UpdateInput<T> }): Promise<T>;
    updateMany(args: { where: Prisma.WhereInput<T>; data: Prisma.UpdateInput<T> }): Promise<{ count: number }>;
    upsert(args: { where: Partial<T>; create: C; update: Prisma.UpdateInput<T> }): Promise<T>;
    delete(args: { where: Partial<T> }): Promise<T>;
    deleteMany(args?: { where?: Prisma.WhereInput<T> }): Promise<{ count: number }>;
    count(args?: { where?: Prisma.WhereInput<T> }): Promise<number>;
  }
  export interface Account { id: string; ownerId: string; balance: number; currency: string; updatedAt: Date }
  export interface Payment { id: string; accountId: string; amount: number; currency: string; status: string; reference: string; createdAt: Date }
  export interface Invoice { id: string; customerId: string; total: number; currency: string; status: string; issuedAt: Date | null }
  export interface Shipment { id: string; orderId: string; carrier: string; trackingCode: string | null; status: string }
  export interface StockLevel { sku: string; warehouseId: string; onHand: number; reserved: number }
  export interface Notification { id: string; userId: string; channel: string; template: string; sentAt: Date | null }
  export interface LoyaltyBalance { customerId: string; points: number; tier: string }
  export interface AuditLog { id: string; actor: string; action: string; subjectId: string; at: Date }
  export interface ProcessedEvent { id: string; consumer: string; processedAt: Date }
  type Create<T, Optional extends keyof T> = Omit<T, Optional> & Partial<Pick<T, Optional>>;
  export interface TransactionClient {
    account: ModelDelegate<Account, Create<Account, 'updatedAt'>>;
    payment: ModelDelegate<Payment, Create<Payment, 'id' | 'createdAt'>>;
    invoice: ModelDelegate<Invoice, Create<Invoice, 'id' | 'issuedAt'>>;
    shipment: ModelDelegate<Shipment, Create<Shipment, 'id' | 'trackingCode'>>;
    stockLevel: ModelDelegate<StockLevel, StockLevel>;
    notification: ModelDelegate<Notification, Create<Notification, 'id' | 'sentAt'>>;
    loyaltyBalance: ModelDelegate<LoyaltyBalance, LoyaltyBalance>;
    auditLog: ModelDelegate<AuditLog, Create<AuditLog, 'id' | 'at'>>;
    processedEvent: ModelDelegate<ProcessedEvent, Create<ProcessedEvent, 'processedAt'>>;
    $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
    $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): Promise<T>;
    $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
    $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  }
  export class PrismaClient implements TransactionClient {
    constructor(options?: { datasources?: { db?: { url?: string } }; log?: string[] });
    account: ModelDelegate<Account, Create<Account, 'updatedAt'>>;
    payment: ModelDelegate<Payment, Create<Payment, 'id' | 'createdAt'>>;
    invoice: ModelDelegate<Invoice, Create<Invoice, 'id' | 'issuedAt'>>;
    shipment: ModelDelegate<Shipment, Create<Shipment, 'id' | 'trackingCode'>>;
    stockLevel: ModelDelegate<StockLevel, StockLevel>;
    notification: ModelDelegate<Notification, Create<Notification, 'id' | 'sentAt'>>;
    loyaltyBalance: ModelDelegate<LoyaltyBalance, LoyaltyBalance>;
    auditLog: ModelDelegate<AuditLog, Create<AuditLog, 'id' | 'at'>>;
    processedEvent: ModelDelegate<ProcessedEvent, Create<ProcessedEvent, 'processedAt'>>;
    $connect(): Promise<void>;
    $disconnect(): Promise<void>;
    $transaction<R>(fn: (tx: TransactionClient) => Promise<R>): Promise<R>;
    $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
    $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): Promise<T>;
    $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
    $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  }
}
`,
  'types/stripe.d.ts': `// Hand-written subset of the stripe-node typings.
declare module 'stripe' {
  namespace Stripe {
    interface RequestOptions {
      idempotencyKey?: string;
      stripeAccount?: string;
      timeout?: number;
    }
    interface Metadata {
      [key: string]: string;
    }
    interface Charge {
      id: string;
      object: 'charge';
      amount: number;
      currency: string;
      customer: string | null;
      status: 'succeeded' | 'pending' | 'failed';
      captured: boolean;
      metadata: Metadata;
    }
    interface ChargeCreateParams {
      amount: number;
      currency: string;
      customer?: string;
      source?: string;
      description?: string;
      capture?: boolean;
      metadata?: Metadata;
    }
    interface PaymentIntent {
      id: string;
      object: 'payment_intent';
      amount: number;
      currency: string;
      status: 'requires_payment_method' | 'requires_confirmation' | 'processing' | 'succeeded' | 'canceled';
      client_secret: string | null;
      metadata: Metadata;
    }
    interface PaymentIntentCreateParams {
      amount: number;
      currency: string;
      customer?: string;
      payment_method?: string;
      confirm?: boolean;
      metadata?: Metadata;
    }
    interface Refund {
      id: string;
      object: 'refund';
      amount: number;
      charge: string | null;
      status: string | null;
    }
    interface RefundCreateParams {
      charge?: string;
      payment_intent?: string;
      amount?: number;
      reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
    }
    interface Customer {
      id: string;
      object: 'customer';
      email: string | null;
      name?: string | null;
      metadata: Metadata;
    }
    interface CustomerCreateParams {
      email?: string;
      name?: string;
      metadata?: Metadata;
    }
    class ChargesResource {
      create(params: ChargeCreateParams, options?: RequestOptions): Promise<Charge>;
      retrieve(id: string, options?: RequestOptions): Promise<Charge>;
      capture(id: string, params?: { amount?: number }, options?: RequestOptions): Promise<Charge>;
    }
    class PaymentIntentsResource {
      create(params: PaymentIntentCreateParams, options?: RequestOptions): Promise<PaymentIntent>;
      retrieve(id: string, options?: RequestOptions): Promise<PaymentIntent>;
      confirm(id: string, params?: { payment_method?: string }, options?: RequestOptions): Promise<PaymentIntent>;
      cancel(id: string, options?: RequestOptions): Promise<PaymentIntent>;
    }
    class RefundsResource {
      create(params: RefundCreateParams, options?: RequestOptions): Promise<Refund>;
      retrieve(id: string, options?: RequestOptions): Promise<Refund>;
    }
    class CustomersResource {
      create(params: CustomerCreateParams, options?: RequestOptions): Promise<Customer>;
      retrieve(id: string, options?: RequestOptions): Promise<Customer>;
      update(id: string, params: CustomerCreateParams, options?: RequestOptions): Promise<Customer>;
    }
  }
  class Stripe {
    constructor(apiKey: string, config?: { apiVersion?: string; maxNetworkRetries?: number; timeout?: number });
    charges: Stripe.ChargesResource;
    paymentIntents: Stripe.PaymentIntentsResource;
    refunds: Stripe.RefundsResource;
    customers: Stripe.CustomersResource;
  }
  export = Stripe;
}
`,
  'types/ioredis.d.ts': `// Hand-written subset of the ioredis 5 typings.
declare module 'ioredis' {
  export interface RedisOptions {
    host?: string;
    port?: number;
    password?: string;
    db?: number;
    keyPrefix?: string;
    maxRetriesPerRequest?: number | null;
  }
  export class Redis {
    constructor(url?: string, options?: RedisOptions);
    get(key: string): Promise<string | null>;
    set(key: string, value: string | number): Promise<'OK'>;
    set(key: string, value: string | number, mode: 'EX' | 'PX', ttl: number): Promise<'OK'>;
    set(key: string, value: string | number, mode: 'EX' | 'PX', ttl: number, condition: 'NX' | 'XX'): Promise<'OK' | null>;
    set(key: string, value: string | number, condition: 'NX' | 'XX'): Promise<'OK' | null>;
    setnx(key: string, value: string | number): Promise<number>;
    del(...keys: string[]): Promise<number>;
    exists(...keys: string[]): Promise<number>;
    expire(key: string, seconds: number): Promise<number>;
    incr(key: string): Promise<number>;
    incrby(key: string, increment: number): Promise<number>;
    decr(key: string): Promise<number>;
    hget(key: string, field: string): Promise<string | null>;
    hset(key: string, field: string, value: string | number): Promise<number>;
    hincrby(key: string, field: string, increment: number): Promise<number>;
    hgetall(key: string): Promise<Record<string, string>>;
    sadd(key: string, ...members: string[]): Promise<number>;
    sismember(key: string, member: string): Promise<number>;
    lpush(key: string, ...values: string[]): Promise<number>;
    rpush(key: string, ...values: string[]): Promise<number>;
    zincrby(key: string, increment: number, member: string): Promise<string>;
    xadd(key: string, id: string, ...fieldsAndValues: string[]): Promise<string | null>;
    publish(channel: string, message: string): Promise<number>;
    quit(): Promise<'OK'>;
  }
  export default Redis;
}
`,
};

/** Library name -> the stub in types/ that declares it. */
const STUB_MODULES = {
  kafkajs: 'types/kafkajs.d.ts',
  amqplib: 'types/amqplib.d.ts',
  'sqs-consumer': 'types/sqs-consumer.d.ts',
  '@prisma/client': 'types/prisma-client.d.ts',
  stripe: 'types/stripe.d.ts',
  ioredis: 'types/ioredis.d.ts',
};

const SHARED = {
  'src/shared/types.ts': `export type Brand<T, B extends string> = T & { readonly __brand: B };
export type EntityId<T extends string> = Brand<string, \`id:\${T}\`>;
export type Timestamp = number;
export type Currency = 'USD' | 'EUR' | 'GBP' | 'JPY' | 'CHF';

export interface Money {
  readonly amount: number;
  readonly currency: Currency;
}

export interface Address {
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly postalCode: string;
  readonly country: string;
}

export type Result<T, E = Error> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export interface PageRequest {
  readonly limit: number;
  readonly offset: number;
}

export interface Page<T> extends PageRequest {
  readonly items: readonly T[];
  readonly total: number;
}

export interface Clock {
  now(): Timestamp;
}

export interface EventSink<E> {
  emit(event: E): void;
}

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type KeysOfType<T, V> = { [K in keyof T]-?: T[K] extends V ? K : never }[keyof T];

export type Awaitable<T> = T | Promise<T>;

export type Predicate<T> = (value: T) => boolean;

export type Comparator<T> = (a: T, b: T) => number;
`,
  'src/shared/result.ts': `import type { Result } from './types';

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function err<E>(error: E): Result<never, E> {
  return { ok: false, error };
}

export function mapResult<T, U, E>(result: Result<T, E>, fn: (value: T) => U): Result<U, E> {
  return result.ok ? ok(fn(result.value)) : result;
}

export function flatMapResult<T, U, E>(result: Result<T, E>, fn: (value: T) => Result<U, E>): Result<U, E> {
  return result.ok ? fn(result.value) : result;
}

export function unwrapOr<T, E>(result: Result<T, E>, fallback: T): T {
  return result.ok ? result.value : fallback;
}

export function collectResults<T, E>(results: readonly Result<T, E>[]): Result<T[], E> {
  const values: T[] = [];
  for (const result of results) {
    if (!result.ok) return result;
    values.push(result.value);
  }
  return ok(values);
}
`,
  'src/shared/errors.ts': `export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(readonly entity: string, message: string) {
    super('validation', \`\${entity}: \${message}\`);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends DomainError {
  constructor(readonly entity: string, readonly id: string) {
    super('not_found', \`\${entity} \${id} was not found\`, { id });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  constructor(readonly entity: string, message: string) {
    super('conflict', \`\${entity}: \${message}\`);
    this.name = 'ConflictError';
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return \`\${error.name}: \${error.message}\`;
  return String(error);
}
`,
  'src/shared/validation.ts': `import type { Address, Currency, EntityId, Money } from './types';

const CURRENCIES: readonly Currency[] = ['USD', 'EUR', 'GBP', 'JPY', 'CHF'];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readString(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function readNumber(input: Record<string, unknown>, key: string): number | undefined {
  const value = input[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

export function readBoolean(input: Record<string, unknown>, key: string): boolean | undefined {
  const value = input[key];
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

export function readStringArray(input: Record<string, unknown>, key: string): string[] | undefined {
  const value = input[key];
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === 'string');
}

export function readOneOf<T extends string>(input: Record<string, unknown>, key: string, options: readonly T[]): T | undefined {
  const value = input[key];
  return options.find((option) => option === value);
}

export function readId<T extends string>(input: Record<string, unknown>, key: string): EntityId<T> | undefined {
  const value = readString(input, key);
  return value === undefined ? undefined : (value as EntityId<T>);
}

export function readMoney(input: Record<string, unknown>, key: string): Money | undefined {
  const value = input[key];
  if (!isRecord(value)) return undefined;
  const amount = readNumber(value, 'amount');
  const currency = readOneOf(value, 'currency', CURRENCIES);
  if (amount === undefined || currency === undefined) return undefined;
  return { amount, currency };
}

export function readAddress(input: Record<string, unknown>, key: string): Address | undefined {
  const value = input[key];
  if (!isRecord(value)) return undefined;
  const line1 = readString(value, 'line1');
  const city = readString(value, 'city');
  const postalCode = readString(value, 'postalCode');
  const country = readString(value, 'country');
  if (!line1 || !city || !postalCode || !country) return undefined;
  return { line1, line2: readString(value, 'line2'), city, postalCode, country };
}
`,
  'src/shared/ids.ts': `import type { EntityId } from './types';

let counter = 0;

export function newId<T extends string>(prefix: T): EntityId<T> {
  counter = (counter + 1) % 0xffffff;
  const random = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
  return \`\${prefix.toLowerCase()}_\${Date.now().toString(36)}\${counter.toString(36)}\${random}\` as EntityId<T>;
}

export function sameId<T extends string>(a: EntityId<T>, b: EntityId<T>): boolean {
  return a === b;
}
`,
  'src/shared/logger.ts': `export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold: LogLevel = process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info';

export class Logger {
  constructor(
    readonly name: string,
    private readonly base: LogFields = {},
  ) {}

  child(name: string, fields: LogFields = {}): Logger {
    return new Logger(\`\${this.name}.\${name}\`, { ...this.base, ...fields });
  }

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    if (ORDER[level] < ORDER[threshold]) return;
    console.log(JSON.stringify({ level, logger: this.name, message, ...this.base, ...fields, at: new Date().toISOString() }));
  }
}
`,
  'src/shared/config.ts': `function env(name: string, fallback: string): string {
  return process.env[name] ?? fallback;
}

export const config = {
  serviceName: env('SERVICE_NAME', 'platform'),
  kafkaBrokers: env('KAFKA_BROKERS', 'localhost:9092').split(','),
  amqpUrl: env('AMQP_URL', 'amqp://localhost'),
  redisUrl: env('REDIS_URL', 'redis://localhost:6379'),
  databaseUrl: env('DATABASE_URL', 'postgres://localhost/platform'),
  stripeKey: env('STRIPE_SECRET_KEY', 'sk_test_placeholder'),
  awsRegion: env('AWS_REGION', 'eu-west-1'),
  queueBaseUrl: env('SQS_BASE_URL', 'https://sqs.eu-west-1.amazonaws.com/000000000000'),
  dedupTtlSeconds: Number(env('DEDUP_TTL_SECONDS', '86400')),
} as const;

export function queueUrl(name: string): string {
  return \`\${config.queueBaseUrl}/\${name}\`;
}
`,
  'src/shared/http.ts': `import type { DomainError } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest<P extends Record<string, string> = Record<string, string>, B = unknown> {
  readonly method: HttpMethod;
  readonly path: string;
  readonly params: P;
  readonly query: Record<string, string | undefined>;
  readonly body: B;
  readonly headers: Record<string, string | undefined>;
}

export interface HttpResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers?: Record<string, string>;
}

export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
  readonly handler: (request: HttpRequest) => Promise<HttpResponse>;
}

export function json<T>(body: T, status = 200): HttpResponse<T> {
  return { status, body, headers: { 'content-type': 'application/json' } };
}

export function notFound(message: string): HttpResponse<{ error: string }> {
  return json({ error: message }, 404);
}

export function badRequest(message: string): HttpResponse<{ error: string }> {
  return json({ error: message }, 400);
}

export function fromDomainError(error: DomainError): HttpResponse<{ error: string; code: string }> {
  const status = error.code === 'not_found' ? 404 : error.code === 'validation' ? 400 : error.code === 'conflict' ? 409 : 500;
  return json({ error: error.message, code: error.code }, status);
}

export function pageParams(request: HttpRequest): { limit: number; offset: number } {
  const limit = Math.min(Number(request.query.limit ?? '50') || 50, 500);
  const offset = Math.max(Number(request.query.offset ?? '0') || 0, 0);
  return { limit, offset };
}
`,
  'src/shared/repository.ts': `import type { Page, PageRequest } from './types';

export interface SqlClient {
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  execute(text: string, params?: readonly unknown[]): Promise<number>;
}

export abstract class BaseRepository<T extends { readonly id: string }> {
  protected constructor(
    protected readonly sql: SqlClient,
    protected readonly table: string,
  ) {}

  async findById(id: T['id']): Promise<T | undefined> {
    const rows = await this.sql.query<T>(\`SELECT * FROM \${this.table} WHERE id = $1\`, [id]);
    return rows[0];
  }

  async findMany(ids: readonly T['id'][]): Promise<T[]> {
    if (ids.length === 0) return [];
    return this.sql.query<T>(\`SELECT * FROM \${this.table} WHERE id = ANY($1)\`, [ids]);
  }

  async list(page: PageRequest): Promise<Page<T>> {
    const items = await this.sql.query<T>(\`SELECT * FROM \${this.table} ORDER BY id LIMIT $1 OFFSET $2\`, [page.limit, page.offset]);
    const [count] = await this.sql.query<{ total: number }>(\`SELECT count(*) AS total FROM \${this.table}\`);
    return { items, total: count?.total ?? items.length, limit: page.limit, offset: page.offset };
  }

  async insert(entity: T): Promise<T> {
    await this.sql.execute(\`INSERT INTO \${this.table} (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING\`, [entity.id, JSON.stringify(entity)]);
    return entity;
  }

  async save(entity: T): Promise<T> {
    await this.sql.execute(\`UPDATE \${this.table} SET data = $2 WHERE id = $1\`, [entity.id, JSON.stringify(entity)]);
    return entity;
  }

  async remove(id: T['id']): Promise<boolean> {
    const changed = await this.sql.execute(\`DELETE FROM \${this.table} WHERE id = $1\`, [id]);
    return changed > 0;
  }
}
`,
  'src/shared/events.ts': `import type { EventSink } from './types';
import { Logger } from './logger';

export interface DomainEvent {
  readonly type: string;
}

export class InMemoryEventBus implements EventSink<DomainEvent> {
  private readonly listeners = new Map<string, Array<(event: DomainEvent) => void>>();
  private readonly log = new Logger('events');

  on(type: string, listener: (event: DomainEvent) => void): () => void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener);
    this.listeners.set(type, list);
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
  }

  emit(event: DomainEvent): void {
    const list = this.listeners.get(event.type) ?? [];
    this.log.debug('emit', { type: event.type, listeners: list.length });
    for (const listener of list) listener(event);
  }
}

export const systemClock = { now: (): number => Date.now() };
`,
  'src/shared/messaging.ts': `import { isRecord, readNumber, readString } from './validation';
import { ValidationError } from './errors';

/** What a consumer knows about the delivery of one message. */
export interface DeliveryContext {
  readonly eventId: string;
  readonly source: string;
  readonly receivedAt: number;
  readonly redelivered: boolean;
}

export interface EventEnvelope {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

export function parseEnvelope(raw: string): EventEnvelope {
  const parsed: unknown = JSON.parse(raw);
  if (!isRecord(parsed)) throw new ValidationError('EventEnvelope', 'expected an object');
  const id = readString(parsed, 'id');
  const type = readString(parsed, 'type');
  const occurredAt = readString(parsed, 'occurredAt') ?? new Date().toISOString();
  const data = parsed.data;
  if (!id || !type || !isRecord(data)) throw new ValidationError('EventEnvelope', 'missing id, type or data');
  return { id, type, occurredAt, data };
}

export function requireString(data: Record<string, unknown>, key: string): string {
  const value = readString(data, key);
  if (value === undefined) throw new ValidationError('Event', \`\${key} is required\`);
  return value;
}

export function requireNumber(data: Record<string, unknown>, key: string): number {
  const value = readNumber(data, key);
  if (value === undefined) throw new ValidationError('Event', \`\${key} must be a number\`);
  return value;
}

export function dedupKey(consumer: string, eventId: string): string {
  return \`evt:\${consumer}:\${eventId}\`;
}
`,
  'src/shared/clients/db.ts': `import { PrismaClient } from '@prisma/client';
import type { SqlClient } from '../repository';
import { config } from '../config';

export const db = new PrismaClient({ datasources: { db: { url: config.databaseUrl } } });

export const sql: SqlClient = {
  query: <R>(text: string, params: readonly unknown[] = []): Promise<R[]> => db.$queryRawUnsafe<R[]>(text, ...params),
  execute: (text: string, params: readonly unknown[] = []): Promise<number> => db.$executeRawUnsafe(text, ...params),
};
`,
  'src/shared/clients/redis.ts': `import Redis from 'ioredis';
import { config } from '../config';

export const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });

export async function cached<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
  const hit = await redis.get(key);
  if (hit !== null) return JSON.parse(hit) as T;
  const value = await load();
  await redis.set(key, JSON.stringify(value), 'EX', ttlSeconds);
  return value;
}
`,
  'src/shared/clients/stripe.ts': `import Stripe from 'stripe';
import { config } from '../config';

export const stripe = new Stripe(config.stripeKey, { apiVersion: '2024-06-20', maxNetworkRetries: 2 });

export function toMinorUnits(amount: number): number {
  return Math.round(amount * 100);
}
`,
  'src/shared/clients/kafka.ts': `import { Kafka } from 'kafkajs';
import type { Producer } from 'kafkajs';
import { config } from '../config';

export const kafka = new Kafka({ clientId: config.serviceName, brokers: config.kafkaBrokers });

let producer: Producer | undefined;

export async function getProducer(): Promise<Producer> {
  if (!producer) {
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
  }
  return producer;
}

export async function publishEvent(topic: string, key: string, payload: unknown): Promise<void> {
  const p = await getProducer();
  await p.send({ topic, messages: [{ key, value: JSON.stringify(payload) }] });
}
`,
  'src/shared/clients/amqp.ts': `import { connect } from 'amqplib';
import type { Channel, Connection } from 'amqplib';
import { config } from '../config';

let connection: Connection | undefined;
let channel: Channel | undefined;

export async function getChannel(): Promise<Channel> {
  if (!connection) connection = await connect(config.amqpUrl);
  if (!channel) channel = await connection.createChannel();
  return channel;
}

export async function sendToQueue(queue: string, payload: unknown): Promise<boolean> {
  const ch = await getChannel();
  await ch.assertQueue(queue, { durable: true });
  return ch.sendToQueue(queue, Buffer.from(JSON.stringify(payload)), { persistent: true });
}
`,
  'src/shared/clients/index.ts': `export * from './db';
export * from './redis';
export * from './stripe';
`,
  'src/shared/utils/array.ts': `import type { Comparator, Predicate } from '../types';

export function groupBy<T, K extends PropertyKey>(items: readonly T[], key: (item: T) => K): Record<K, T[]> {
  const out = {} as Record<K, T[]>;
  for (const item of items) {
    const k = key(item);
    (out[k] ??= []).push(item);
  }
  return out;
}

export function keyBy<T, K extends PropertyKey>(items: readonly T[], key: (item: T) => K): Record<K, T> {
  const out = {} as Record<K, T>;
  for (const item of items) out[key(item)] = item;
  return out;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function uniqBy<T, K>(items: readonly T[], key: (item: T) => K): T[] {
  const seen = new Set<K>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function sumBy<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

export function maxBy<T>(items: readonly T[], value: (item: T) => number): T | undefined {
  let best: T | undefined;
  let bestValue = -Infinity;
  for (const item of items) {
    const v = value(item);
    if (v > bestValue) {
      best = item;
      bestValue = v;
    }
  }
  return best;
}

export function sortBy<T>(items: readonly T[], ...comparators: Comparator<T>[]): T[] {
  return [...items].sort((a, b) => {
    for (const compare of comparators) {
      const result = compare(a, b);
      if (result !== 0) return result;
    }
    return 0;
  });
}

export function by<T>(value: (item: T) => number | string, direction: 'asc' | 'desc' = 'asc'): Comparator<T> {
  const sign = direction === 'asc' ? 1 : -1;
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    return va < vb ? -sign : va > vb ? sign : 0;
  };
}

export function partition<T>(items: readonly T[], predicate: Predicate<T>): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (predicate(item) ? yes : no).push(item);
  return [yes, no];
}

export function zip<A, B>(a: readonly A[], b: readonly B[]): Array<[A, B]> {
  const length = Math.min(a.length, b.length);
  const out: Array<[A, B]> = [];
  for (let i = 0; i < length; i++) out.push([a[i] as A, b[i] as B]);
  return out;
}

export function compact<T>(items: readonly (T | null | undefined)[]): T[] {
  return items.filter((item): item is T => item !== null && item !== undefined);
}
`,
  'src/shared/utils/object.ts': `export function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = value[key];
  return out;
}

export function omit<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Omit<T, K> {
  const out = { ...value } as unknown as Record<PropertyKey, unknown>;
  for (const key of keys) delete out[key as PropertyKey];
  return out as unknown as Omit<T, K>;
}

export function mapValues<T extends Record<string, unknown>, U>(value: T, fn: <K extends keyof T>(v: T[K], key: K) => U): { [K in keyof T]: U } {
  const out = {} as { [K in keyof T]: U };
  for (const key of Object.keys(value) as (keyof T)[]) out[key] = fn(value[key], key);
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

export function deepMerge<T extends Record<string, unknown>>(base: T, patch: Partial<T>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out as T;
}

export function entries<T extends Record<string, unknown>>(value: T): Array<[keyof T & string, T[keyof T]]> {
  return Object.entries(value) as Array<[keyof T & string, T[keyof T]]>;
}
`,
  'src/shared/utils/string.ts': `export function slugify(value: string): string {
  return value.toLowerCase().trim().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

export function truncate(value: string, max: number): string {
  return value.length <= max ? value : \`\${value.slice(0, Math.max(0, max - 1))}…\`;
}

export function capitalize(value: string): string {
  return value.length === 0 ? value : value[0]!.toUpperCase() + value.slice(1);
}

export function renderTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\\{(\\w+)\\}/g, (match, key: string) => (key in values ? String(values[key]) : match));
}

export function maskEmail(email: string): string {
  const [user, domain] = email.split('@');
  if (!user || !domain) return '***';
  return \`\${user.slice(0, 2)}***@\${domain}\`;
}

export function csvEscape(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\\n]/.test(text) ? \`"\${text.replace(/"/g, '""')}"\` : text;
}
`,
  'src/shared/utils/async.ts': `export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(() => resolve(), ms);
  });
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: { attempts: number; backoffMs: number }): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      lastError = error;
      await sleep(options.backoffMs * 2 ** (attempt - 1));
    }
  }
  throw lastError;
}

export async function mapLimit<T, U>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<U>): Promise<U[]> {
  const results: U[] = new Array<U>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let handle: unknown;
  const timeout = new Promise<never>((_, reject) => {
    handle = setTimeout(() => reject(new Error(\`\${label} timed out after \${ms} ms\`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(handle);
  }
}
`,
  'src/shared/utils/date.ts': `import type { Timestamp } from '../types';

export const DAY_MS = 24 * 60 * 60 * 1000;

export function addDays(at: Timestamp, days: number): Timestamp {
  return at + days * DAY_MS;
}

export function startOfDay(at: Timestamp): Timestamp {
  return at - (at % DAY_MS);
}

export function diffDays(a: Timestamp, b: Timestamp): number {
  return Math.round((startOfDay(a) - startOfDay(b)) / DAY_MS);
}

export function formatIso(at: Timestamp): string {
  return new Date(at).toISOString();
}

export function isWithin(at: Timestamp, from: Timestamp, to: Timestamp): boolean {
  return at >= from && at <= to;
}
`,
  'src/shared/utils/fp.ts': `export function pipe<A>(a: A): A;
export function pipe<A, B>(a: A, ab: (a: A) => B): B;
export function pipe<A, B, C>(a: A, ab: (a: A) => B, bc: (b: B) => C): C;
export function pipe<A, B, C, D>(a: A, ab: (a: A) => B, bc: (b: B) => C, cd: (c: C) => D): D;
export function pipe<A, B, C, D, E>(a: A, ab: (a: A) => B, bc: (b: B) => C, cd: (c: C) => D, de: (d: D) => E): E;
export function pipe(value: unknown, ...fns: Array<(value: unknown) => unknown>): unknown {
  return fns.reduce((acc, fn) => fn(acc), value);
}

export function memoize<A extends string | number, R>(fn: (arg: A) => R): (arg: A) => R {
  const cache = new Map<A, R>();
  return (arg) => {
    if (cache.has(arg)) return cache.get(arg) as R;
    const value = fn(arg);
    cache.set(arg, value);
    return value;
  };
}

export function once<R>(fn: () => R): () => R {
  let done = false;
  let value: R | undefined;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value as R;
  };
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
`,
  'src/shared/utils/cache.ts': `export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.map.size;
  }
}

export class DefaultMap<K, V> extends Map<K, V> {
  constructor(private readonly make: (key: K) => V) {
    super();
  }

  getOrCreate(key: K): V {
    let value = this.get(key);
    if (value === undefined) {
      value = this.make(key);
      this.set(key, value);
    }
    return value;
  }
}
`,
  'src/shared/utils/money.ts': `import type { Currency, Money } from '../types';

const RATES: Record<Currency, number> = { USD: 1, EUR: 1.08, GBP: 1.27, JPY: 0.0067, CHF: 1.12 };

export function money(amount: number, currency: Currency = 'USD'): Money {
  return { amount: Math.round(amount * 100) / 100, currency };
}

export function convert(value: Money, to: Currency): Money {
  if (value.currency === to) return value;
  return money((value.amount * RATES[value.currency]) / RATES[to], to);
}

export function addMoney(a: Money, b: Money): Money {
  return money(a.amount + convert(b, a.currency).amount, a.currency);
}

export function formatMoney(value: Money): string {
  return \`\${value.amount.toFixed(value.currency === 'JPY' ? 0 : 2)} \${value.currency}\`;
}

export function sumMoney(values: readonly Money[], currency: Currency = 'USD'): Money {
  return values.reduce((total, value) => addMoney(total, value), money(0, currency));
}
`,
  'src/shared/utils/index.ts': `export * from './array';
export * from './object';
export * from './string';
export * from './async';
export * from './date';
export * from './fp';
export * from './cache';
export * from './money';
`,
};

const FORMAT_ADDRESS = `export function formatAddress(address: Address): string {
  return [address.line1, address.line2, \`\${address.postalCode} \${address.city}\`, address.country].filter(Boolean).join(', ');
}
`;
SHARED['src/shared/format.ts'] = `import type { Address } from './types';\n\n${FORMAT_ADDRESS}`;

SHARED['src/shared/index.ts'] = `export * from './types';
export * from './result';
export * from './errors';
export * from './validation';
export * from './ids';
export * from './logger';
export * from './config';
export * from './http';
export * from './repository';
export * from './events';
export * from './format';
export * from './utils';
`;

// ---------------------------------------------------------------------------------------------
// Entities

const FIELD_KINDS = [
  'string',
  'number',
  'number',
  'boolean',
  'money',
  'timestamp',
  'tags',
  'optString',
  'union',
  'address',
  'ref',
  'ref',
];

function makeFields(rnd, entity, refCandidates) {
  const used = new Set();
  const fresh = (kind) => {
    const free = FIELD_POOLS[kind].filter((w) => !used.has(w));
    if (free.length === 0) return undefined;
    const w = rnd.pick(free);
    used.add(w);
    return w;
  };
  const fields = [
    { name: fresh('string'), kind: 'string' },
    { name: fresh('number'), kind: 'number' },
  ];
  const extra = rnd.int(3, 8);
  for (let i = 0; i < extra; i++) {
    const kind = rnd.pick(FIELD_KINDS);
    if (kind === 'ref') {
      if (refCandidates.length === 0) continue;
      const target = rnd.pick(refCandidates);
      const name = `${lower(target.name)}Id`;
      if (used.has(name)) continue;
      used.add(name);
      fields.push({ name, kind: 'ref', target });
      continue;
    }
    const name = fresh(kind);
    if (name === undefined) continue;
    const field = { name, kind };
    if (kind === 'union') field.options = UNION_OPTIONS[name];
    fields.push(field);
  }
  return fields;
}

function fieldType(f) {
  switch (f.kind) {
    case 'string':
      return 'string';
    case 'optString':
      return 'string | undefined';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'money':
      return 'Money';
    case 'timestamp':
      return 'Timestamp';
    case 'tags':
      return 'readonly string[]';
    case 'union':
      return f.options.map((o) => `'${o}'`).join(' | ');
    case 'address':
      return 'Address';
    case 'ref':
      return `${f.target.name}['id']`;
  }
  throw new Error(f.kind);
}

function dtoType(f) {
  switch (f.kind) {
    case 'optString':
      return 'string | null';
    case 'money':
    case 'address':
    case 'ref':
    case 'string':
      return 'string';
    case 'timestamp':
      return 'string';
    case 'tags':
      return 'string[]';
    default:
      return fieldType(f);
  }
}

function dtoValue(f, v) {
  switch (f.kind) {
    case 'optString':
      return `${v}.${f.name} ?? null`;
    case 'money':
      return `formatMoney(${v}.${f.name})`;
    case 'address':
      return `formatAddress(${v}.${f.name})`;
    case 'timestamp':
      return `formatIso(${v}.${f.name})`;
    case 'tags':
      return `[...${v}.${f.name}]`;
    default:
      return `${v}.${f.name}`;
  }
}

function readExpr(f) {
  switch (f.kind) {
    case 'string':
    case 'optString':
      return `readString(input, '${f.name}')`;
    case 'number':
    case 'timestamp':
      return `readNumber(input, '${f.name}')`;
    case 'boolean':
      return `readBoolean(input, '${f.name}')`;
    case 'money':
      return `readMoney(input, '${f.name}')`;
    case 'tags':
      return `readStringArray(input, '${f.name}')`;
    case 'union':
      return `readOneOf(input, '${f.name}', [${f.options.map((o) => `'${o}'`).join(', ')}] as const)`;
    case 'address':
      return `readAddress(input, '${f.name}')`;
    case 'ref':
      return `readId<'${f.target.name}'>(input, '${f.name}')`;
  }
  throw new Error(f.kind);
}

function importPath(fromFile, toFile) {
  const from = fromFile.split('/').slice(0, -1);
  const to = toFile.replace(/\.ts$/, '').split('/');
  let i = 0;
  while (i < from.length && i < to.length - 1 && from[i] === to[i]) i++;
  const up = from.length - i;
  const rest = to.slice(i).join('/');
  const rel = (up === 0 ? './' : '../'.repeat(up)) + rest;
  return rel.endsWith('/index') ? rel.slice(0, -'/index'.length) : rel;
}

/** Collects `import { a, b } from 'x'` lines, grouped by module and kind. */
class Imports {
  constructor(file) {
    this.file = file;
    this.values = new Map();
    this.types = new Map();
  }
  value(target, ...names) {
    return this.add(this.values, target, names);
  }
  type(target, ...names) {
    return this.add(this.types, target, names);
  }
  add(map, target, names) {
    const spec = target.startsWith('src/') ? importPath(this.file, target) : target;
    const set = map.get(spec) ?? new Set();
    for (const n of names) set.add(n);
    map.set(spec, set);
    return this;
  }
  render() {
    const lines = [];
    const isPackage = (spec) => !spec.startsWith('.');
    const specs = [...new Set([...this.values.keys(), ...this.types.keys()])].sort(
      (a, b) => Number(isPackage(b)) - Number(isPackage(a)) || (a < b ? -1 : a > b ? 1 : 0),
    );
    for (const spec of specs) {
      const values = this.values.get(spec);
      const types = [...(this.types.get(spec) ?? [])].filter((t) => !values?.has(t));
      if (values?.size) lines.push(`import { ${[...values].sort().join(', ')} } from '${spec}';`);
      if (types.length) lines.push(`import type { ${types.sort().join(', ')} } from '${spec}';`);
    }
    return lines.join('\n');
  }
}

function modelFile(e) {
  const file = e.paths.model;
  const im = new Imports(file);
  const N = e.name;
  const fields = e.fields;
  im.type('src/shared/types.ts', 'EntityId', 'Timestamp', 'Result');
  im.value('src/shared/result.ts', 'ok', 'err');
  im.value('src/shared/errors.ts', 'ValidationError');
  im.value('src/shared/validation.ts', 'isRecord', 'readOneOf');
  for (const f of fields) {
    if (f.kind === 'money') im.type('src/shared/types.ts', 'Money');
    if (f.kind === 'address') im.type('src/shared/types.ts', 'Address');
    if (f.kind === 'ref') {
      const t = f.target;
      im.type(t.service === e.service ? t.paths.model : `src/${t.service}/models/index.ts`, t.name);
    }
    const fn = readExpr(f).split('(')[0].replace(/<.*$/, '');
    im.value('src/shared/validation.ts', fn);
  }
  const statuses = e.statuses;
  const lines = [];
  lines.push(`/**\n * ${N}: ${e.service} domain model.\n */`);
  lines.push(`export enum ${N}Status {\n${statuses.map((s) => `  ${s} = '${s.toLowerCase()}',`).join('\n')}\n}\n`);
  lines.push(
    `export interface ${N}Props {\n  status: ${N}Status;\n${fields.map((f) => `  ${f.name}${f.kind === 'optString' ? '?' : ''}: ${f.kind === 'optString' ? 'string' : fieldType(f)};`).join('\n')}\n}\n`,
  );
  lines.push(
    `export interface ${N} extends ${N}Props {\n  readonly id: EntityId<'${N}'>;\n  readonly createdAt: Timestamp;\n  readonly updatedAt: Timestamp;\n  readonly version: number;\n}\n`,
  );
  const editable = fields
    .filter((f) => f.kind !== 'ref')
    .slice(0, 4)
    .map((f) => `'${f.name}'`);
  lines.push(`export type ${N}CreateInput = ${N}Props;`);
  lines.push(`export type ${N}UpdateInput = Partial<Pick<${N}Props, ${editable.join(' | ')}>>;\n`);
  lines.push(`export type ${N}Event =
  | { readonly type: '${kebab(N)}.created'; readonly entity: ${N} }
  | { readonly type: '${kebab(N)}.updated'; readonly entity: ${N}; readonly changes: ${N}UpdateInput }
  | { readonly type: '${kebab(N)}.status-changed'; readonly id: ${N}['id']; readonly from: ${N}Status; readonly to: ${N}Status }
  | { readonly type: '${kebab(N)}.removed'; readonly id: ${N}['id'] };
`);
  // Transition table: each status may move to the following one or two.
  const trans = statuses.map((s, i) => {
    const next = statuses.slice(i + 1, i + 3);
    return `  [${N}Status.${s}]: [${next.map((n) => `${N}Status.${n}`).join(', ')}],`;
  });
  lines.push(
    `export const ${snake(N).toUpperCase()}_TRANSITIONS: Readonly<Record<${N}Status, readonly ${N}Status[]>> = {\n${trans.join('\n')}\n};\n`,
  );
  lines.push(`export function canTransition${N}(from: ${N}Status, to: ${N}Status): boolean {
  return ${snake(N).toUpperCase()}_TRANSITIONS[from].includes(to);
}
`);
  // Parser
  const parse = [];
  parse.push(`export function parse${N}(input: unknown): Result<${N}CreateInput, ValidationError> {`);
  parse.push(`  if (!isRecord(input)) return err(new ValidationError('${N}', 'expected an object'));`);
  parse.push(`  const status = readOneOf(input, 'status', Object.values(${N}Status)) ?? ${N}Status.${statuses[0]};`);
  for (const f of fields) {
    parse.push(`  const ${f.name} = ${readExpr(f)};`);
    if (f.kind !== 'optString')
      parse.push(`  if (${f.name} === undefined) return err(new ValidationError('${N}', '${f.name} is required'));`);
  }
  parse.push(`  return ok({ status, ${fields.map((f) => f.name).join(', ')} });`);
  parse.push('}\n');
  lines.push(parse.join('\n'));
  lines.push(`export function is${N}(value: unknown): value is ${N} {
  return isRecord(value) && typeof value.id === 'string' && typeof value.version === 'number' && Object.values(${N}Status).includes(value.status as ${N}Status);
}
`);
  const num = fields.find((f) => f.kind === 'number');
  const str = fields.find((f) => f.kind === 'string');
  lines.push(`export class ${N}Aggregate {
  private readonly pending: ${N}Event[] = [];

  constructor(private state: ${N}) {}

  static create(id: ${N}['id'], input: ${N}CreateInput, now: Timestamp): ${N}Aggregate {
    const entity: ${N} = { ...input, id, createdAt: now, updatedAt: now, version: 1 };
    const aggregate = new ${N}Aggregate(entity);
    aggregate.pending.push({ type: '${kebab(N)}.created', entity });
    return aggregate;
  }

  get id(): ${N}['id'] {
    return this.state.id;
  }

  get snapshot(): Readonly<${N}> {
    return this.state;
  }

  update(changes: ${N}UpdateInput, now: Timestamp): void {
    const next: ${N} = { ...this.state, ...changes, updatedAt: now, version: this.state.version + 1 };
    this.state = next;
    this.pending.push({ type: '${kebab(N)}.updated', entity: next, changes });
  }

  transition(to: ${N}Status, now: Timestamp): Result<${N}, ValidationError> {
    const from = this.state.status;
    if (!canTransition${N}(from, to)) {
      return err(new ValidationError('${N}', \`cannot move from \${from} to \${to}\`));
    }
    this.state = { ...this.state, status: to, updatedAt: now, version: this.state.version + 1 };
    this.pending.push({ type: '${kebab(N)}.status-changed', id: this.state.id, from, to });
    return ok(this.state);
  }

  weight(): number {
    return this.state.${num.name} * (this.state.status === ${N}Status.${statuses[0]} ? 0.5 : 1);
  }

  matches(term: string): boolean {
    return this.state.${str.name}.toLowerCase().includes(term.toLowerCase());
  }

  drainEvents(): ${N}Event[] {
    return this.pending.splice(0, this.pending.length);
  }
}
`);
  lines.push(`export function describe${N}Event(event: ${N}Event): string {
  switch (event.type) {
    case '${kebab(N)}.created':
      return \`${N} \${event.entity.id} created\`;
    case '${kebab(N)}.updated':
      return \`${N} \${event.entity.id} updated (\${Object.keys(event.changes).join(', ')})\`;
    case '${kebab(N)}.status-changed':
      return \`${N} \${event.id} moved from \${event.from} to \${event.to}\`;
    case '${kebab(N)}.removed':
      return \`${N} \${event.id} removed\`;
  }
}
`);
  return `${im.render()}\n\n${lines.join('\n')}`;
}

function repositoryFile(e) {
  const file = e.paths.repository;
  const N = e.name;
  const im = new Imports(file);
  im.value('src/shared/repository.ts', 'BaseRepository');
  im.type('src/shared/repository.ts', 'SqlClient');
  im.type('src/shared/types.ts', 'Page', 'PageRequest', 'Timestamp');
  im.type(e.paths.model, N, `${N}Status`);
  const table = `${e.service}_${snake(N)}`;
  const str = e.fields.find((f) => f.kind === 'string');
  const num = e.fields.find((f) => f.kind === 'number');
  const refs = e.fields.filter((f) => f.kind === 'ref');
  const methods = [];
  methods.push(`  async findByStatus(status: ${N}Status, page: PageRequest): Promise<Page<${N}>> {
    const items = await this.sql.query<${N}>(\`SELECT * FROM \${this.table} WHERE status = $1 ORDER BY updated_at DESC LIMIT $2 OFFSET $3\`, [status, page.limit, page.offset]);
    return { items, total: items.length, limit: page.limit, offset: page.offset };
  }`);
  methods.push(`  async findBy${cap(str.name)}(${str.name}: string): Promise<${N} | undefined> {
    const rows = await this.sql.query<${N}>(\`SELECT * FROM \${this.table} WHERE ${snake(str.name)} = $1 LIMIT 1\`, [${str.name}]);
    return rows[0];
  }`);
  methods.push(`  async findAbove${cap(num.name)}(min: number, limit = 100): Promise<${N}[]> {
    return this.sql.query<${N}>(\`SELECT * FROM \${this.table} WHERE ${snake(num.name)} > $1 ORDER BY ${snake(num.name)} DESC LIMIT $2\`, [min, limit]);
  }`);
  methods.push(`  async findUpdatedSince(since: Timestamp): Promise<${N}[]> {
    return this.sql.query<${N}>(\`SELECT * FROM \${this.table} WHERE updated_at >= $1\`, [since]);
  }`);
  methods.push(`  async countByStatus(): Promise<Map<${N}Status, number>> {
    const rows = await this.sql.query<{ status: ${N}Status; total: number }>(\`SELECT status, count(*) AS total FROM \${this.table} GROUP BY status\`);
    return new Map(rows.map((row) => [row.status, row.total] as const));
  }`);
  for (const r of refs) {
    methods.push(`  async findBy${cap(r.name)}(${r.name}: string): Promise<${N}[]> {
    return this.sql.query<${N}>(\`SELECT * FROM \${this.table} WHERE ${snake(r.name)} = $1\`, [${r.name}]);
  }`);
  }
  methods.push(`  async archiveOlderThan(cutoff: Timestamp): Promise<number> {
    return this.sql.execute(\`UPDATE \${this.table} SET status = 'archived' WHERE updated_at < $1\`, [cutoff]);
  }`);
  return `${im.render()}

export const ${snake(N).toUpperCase()}_TABLE = '${table}';

export class ${N}Repository extends BaseRepository<${N}> {
  constructor(sql: SqlClient) {
    super(sql, ${snake(N).toUpperCase()}_TABLE);
  }

${methods.join('\n\n')}
}
`;
}

function mapperFile(e) {
  const file = e.paths.mapper;
  const N = e.name;
  const im = new Imports(file);
  im.type(e.paths.model, N, `${N}Status`);
  im.value('src/shared/utils/date.ts', 'formatIso');
  for (const f of e.fields) {
    if (f.kind === 'money') im.value('src/shared/utils/money.ts', 'formatMoney');
    if (f.kind === 'address') im.value('src/shared/format.ts', 'formatAddress');
  }
  return `${im.render()}

export interface ${N}Dto {
  id: string;
  status: ${N}Status;
${e.fields.map((f) => `  ${f.name}: ${dtoType(f)};`).join('\n')}
  createdAt: string;
  updatedAt: string;
  version: number;
}

export function to${N}Dto(entity: ${N}): ${N}Dto {
  return {
    id: entity.id,
    status: entity.status,
${e.fields.map((f) => `    ${f.name}: ${dtoValue(f, 'entity')},`).join('\n')}
    createdAt: formatIso(entity.createdAt),
    updatedAt: formatIso(entity.updatedAt),
    version: entity.version,
  };
}

export function to${N}DtoList(items: readonly ${N}[]): ${N}Dto[] {
  return items.map(to${N}Dto);
}

export function ${lower(N)}DtoKey(dto: ${N}Dto): string {
  return \`\${dto.id}@\${dto.version}\`;
}
`;
}

function serviceMethods(e, rnd, count) {
  const N = e.name;
  const num = e.fields.find((f) => f.kind === 'number');
  const str = e.fields.find((f) => f.kind === 'string');
  const nums = e.fields.filter((f) => f.kind === 'number');
  const strs = e.fields.filter((f) => f.kind === 'string');
  const out = [];
  const templates = [
    (i) => `  async total${cap(num.name)}${i}(ids: readonly ${N}['id'][]): Promise<number> {
    const items = await this.repo.findMany(ids);
    return sumBy(items, (item) => item.${num.name} * ${(i % 7) + 1});
  }`,
    (i) => `  async breakdown${i}(page: PageRequest): Promise<Record<${N}Status, number>> {
    const { items } = await this.repo.list(page);
    const grouped = groupBy(items, (item) => item.status);
    const out = {} as Record<${N}Status, number>;
    for (const status of Object.values(${N}Status)) out[status] = grouped[status]?.length ?? 0;
    return out;
  }`,
    (i) => `  async search${i}(term: string, page: PageRequest): Promise<${N}[]> {
    const { items } = await this.repo.list(page);
    const needle = term.trim().toLowerCase();
    return sortBy(
      items.filter((item) => item.${pick(rnd, strs).name}.toLowerCase().includes(needle)),
      by((item) => item.${pick(rnd, nums).name}, 'desc'),
      by((item) => item.updatedAt),
    );
  }`,
    (i) => `  async rank${i}(limit: number): Promise<Array<{ id: ${N}['id']; score: number }>> {
    const { items } = await this.repo.list({ limit: limit * 4, offset: 0 });
    return items
      .map((item) => ({ id: item.id, score: round(item.${pick(rnd, nums).name} * ${(i % 5) + 1.5} + item.version / ${(i % 3) + 2}) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }`,
    (
      i,
    ) => `  async bulkTransition${i}(ids: readonly ${N}['id'][], to: ${N}Status): Promise<{ moved: ${N}[]; failed: Array<{ id: string; reason: string }> }> {
    const moved: ${N}[] = [];
    const failed: Array<{ id: string; reason: string }> = [];
    for (const batch of chunk(ids, ${10 + (i % 5) * 5})) {
      const results = await Promise.all(batch.map((id) => this.transition(id, to)));
      results.forEach((result, index) => {
        if (result.ok) moved.push(result.value);
        else failed.push({ id: batch[index] ?? 'unknown', reason: result.error.message });
      });
    }
    return { moved, failed };
  }`,
    (i) => `  async exportCsv${i}(page: PageRequest): Promise<string> {
    const { items } = await this.repo.list(page);
    const header = ['id', 'status', '${str.name}', '${num.name}', 'updatedAt'].join(',');
    const rows = items.map((item) => [item.id, item.status, item.${str.name}, item.${num.name}, formatIso(item.updatedAt)].map(csvEscape).join(','));
    return [header, ...rows].join('\\n');
  }`,
    (
      i,
    ) => `  async reconcile${i}(incoming: readonly ${N}[]): Promise<{ added: number; changed: number; unchanged: number }> {
    const current = keyBy(await this.repo.findMany(incoming.map((item) => item.id)), (item) => item.id);
    let added = 0;
    let changed = 0;
    let unchanged = 0;
    for (const item of incoming) {
      const existing = current[item.id];
      if (!existing) added++;
      else if (existing.version !== item.version || existing.${pick(rnd, nums).name} !== item.${pick(rnd, nums).name}) changed++;
      else unchanged++;
    }
    return { added, changed, unchanged };
  }`,
    (i) => `  describe${i}(entity: ${N}): string {
    switch (entity.status) {
${e.statuses.map((s, k) => `      case ${N}Status.${s}:\n        return \`\${entity.${pick(rnd, strs).name}} is ${s.toLowerCase()} (${k + i})\`;`).join('\n')}
    }
  }`,
    (i) => `  async stale${i}(days: number): Promise<${N}[]> {
    const cutoff = this.clock.now() - days * DAY_MS;
    const [stale, fresh] = partition(await this.repo.findUpdatedSince(cutoff - ${i + 1} * DAY_MS), (item) => item.updatedAt < cutoff);
    this.log.debug('stale scan', { stale: stale.length, fresh: fresh.length });
    return uniqBy(stale, (item) => item.${pick(rnd, strs).name});
  }`,
    (i) => `  async top${i}(page: PageRequest): Promise<${N} | undefined> {
    const { items } = await this.repo.list(page);
    return maxBy(items.filter((item) => item.status !== ${N}Status.${e.statuses[e.statuses.length - 1]}), (item) => item.${pick(rnd, nums).name} - ${i});
  }`,
    (i) => `  async pipeline${i}(page: PageRequest): Promise<number> {
    const { items } = await this.repo.list(page);
    return pipe(
      items,
      (list) => list.filter((item) => item.version > ${i % 4}),
      (list) => list.map((item) => item.${pick(rnd, nums).name}),
      (values) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1),
      (mean) => round(clamp(mean, 0, ${1000 * (i + 1)})),
    );
  }`,
  ];
  if (e.deps.length > 0) {
    templates.push((i) => {
      const d = pick(rnd, e.deps);
      return `  async withRelated${i}(id: ${N}['id']): Promise<{ entity: ${N}; related: number }> {
    const entity = await this.require(id);
    const related = await this.deps.${lower(d.name)}.total${cap(d.fields.find((f) => f.kind === 'number').name)}0([]);
    return { entity, related: related + entity.version };
  }`;
    });
  }
  for (let i = 0; i < count; i++) out.push(templates[i % templates.length](i));
  return out;
}

function pick(rnd, items) {
  return rnd.pick(items);
}

function serviceFile(e, rnd, scale) {
  const file = e.paths.service;
  const N = e.name;
  const im = new Imports(file);
  im.type(e.paths.repository, `${N}Repository`);
  im.value(e.paths.model, `${N}Aggregate`, `parse${N}`, `${N}Status`);
  im.type(e.paths.model, N, `${N}Event`, `${N}UpdateInput`);
  im.type('src/shared/types.ts', 'Clock', 'EventSink', 'PageRequest', 'Result');
  im.value('src/shared/result.ts', 'ok', 'err');
  im.value('src/shared/errors.ts', 'NotFoundError');
  im.type('src/shared/errors.ts', 'DomainError');
  im.value('src/shared/ids.ts', 'newId');
  im.value('src/shared/logger.ts', 'Logger');
  im.value(
    'src/shared/utils/index.ts',
    'sumBy',
    'groupBy',
    'sortBy',
    'by',
    'round',
    'chunk',
    'formatIso',
    'csvEscape',
    'keyBy',
    'DAY_MS',
    'partition',
    'uniqBy',
    'maxBy',
    'pipe',
    'clamp',
  );
  for (const d of e.deps) im.type(d.paths.service, `${d.name}Service`);
  const count = Math.max(4, Math.round(rnd.int(6, 14) * scale));
  const methods = serviceMethods(e, rnd, count);
  const depsType = e.deps.length
    ? `{ ${e.deps.map((d) => `readonly ${lower(d.name)}: ${d.name}Service`).join('; ')} }`
    : 'Record<string, never>';
  return `${im.render()}

export type ${N}Deps = ${depsType};

export class ${N}Service {
  private readonly log = new Logger('${e.service}.${lower(N)}');

  constructor(
    private readonly repo: ${N}Repository,
    private readonly clock: Clock,
    private readonly events: EventSink<${N}Event>,
    private readonly deps: ${N}Deps,
  ) {}

  async require(id: ${N}['id']): Promise<${N}> {
    const entity = await this.repo.findById(id);
    if (!entity) throw new NotFoundError('${N}', id);
    return entity;
  }

  async create(input: unknown): Promise<Result<${N}, DomainError>> {
    const parsed = parse${N}(input);
    if (!parsed.ok) return parsed;
    const aggregate = ${N}Aggregate.create(newId('${N}'), parsed.value, this.clock.now());
    const saved = await this.repo.insert(aggregate.snapshot);
    for (const event of aggregate.drainEvents()) this.events.emit(event);
    this.log.info('created', { id: saved.id });
    return ok(saved);
  }

  async update(id: ${N}['id'], changes: ${N}UpdateInput): Promise<Result<${N}, DomainError>> {
    const entity = await this.repo.findById(id);
    if (!entity) return err(new NotFoundError('${N}', id));
    const aggregate = new ${N}Aggregate(entity);
    aggregate.update(changes, this.clock.now());
    const saved = await this.repo.save(aggregate.snapshot);
    for (const event of aggregate.drainEvents()) this.events.emit(event);
    return ok(saved);
  }

  async transition(id: ${N}['id'], to: ${N}Status): Promise<Result<${N}, DomainError>> {
    const entity = await this.repo.findById(id);
    if (!entity) return err(new NotFoundError('${N}', id));
    const aggregate = new ${N}Aggregate(entity);
    const moved = aggregate.transition(to, this.clock.now());
    if (!moved.ok) return moved;
    const saved = await this.repo.save(moved.value);
    for (const event of aggregate.drainEvents()) this.events.emit(event);
    return ok(saved);
  }

  async remove(id: ${N}['id']): Promise<boolean> {
    const removed = await this.repo.remove(id);
    if (removed) this.events.emit({ type: '${kebab(N)}.removed', id });
    return removed;
  }

  dependencies(): readonly string[] {
    return Object.keys(this.deps);
  }

${methods.join('\n\n')}
}
`;
}

function controllerFile(e) {
  const file = e.paths.controller;
  const N = e.name;
  const im = new Imports(file);
  im.type('src/shared/http.ts', 'HttpRequest', 'HttpResponse', 'Route');
  im.value('src/shared/http.ts', 'json', 'notFound', 'badRequest', 'fromDomainError', 'pageParams');
  im.type(e.paths.service, `${N}Service`);
  im.value(e.paths.mapper, `to${N}Dto`, `to${N}DtoList`);
  im.type(e.paths.mapper, `${N}Dto`);
  im.value(e.paths.model, `${N}Status`);
  im.type(e.paths.model, N);
  im.value('src/shared/validation.ts', 'isRecord', 'readOneOf');
  const base = `/${e.service}/${kebab(N)}s`;
  return `${im.render()}

function ${lower(N)}Id(request: HttpRequest): ${N}['id'] {
  return (request.params.id ?? '') as ${N}['id'];
}

export function create${N}Routes(service: ${N}Service): Route[] {
  return [
    {
      method: 'GET',
      path: '${base}/:id',
      handler: async (request: HttpRequest): Promise<HttpResponse> => {
        try {
          return json(to${N}Dto(await service.require(${lower(N)}Id(request))));
        } catch {
          return notFound('${N} not found');
        }
      },
    },
    {
      method: 'GET',
      path: '${base}',
      handler: async (request: HttpRequest): Promise<HttpResponse<{ items: ${N}Dto[]; total: number }>> => {
        const page = pageParams(request);
        const breakdown = await service.breakdown1(page);
        const total = Object.values(breakdown).reduce((a, b) => a + b, 0);
        const items = await service.search2(request.query.q ?? '', page);
        return json({ items: to${N}DtoList(items), total });
      },
    },
    {
      method: 'POST',
      path: '${base}',
      handler: async (request: HttpRequest): Promise<HttpResponse> => {
        const created = await service.create(request.body);
        return created.ok ? json(to${N}Dto(created.value), 201) : fromDomainError(created.error);
      },
    },
    {
      method: 'POST',
      path: '${base}/:id/status',
      handler: async (request: HttpRequest): Promise<HttpResponse> => {
        const body = request.body;
        if (!isRecord(body)) return badRequest('expected a JSON object');
        const to = readOneOf(body, 'status', Object.values(${N}Status));
        if (!to) return badRequest('unknown status');
        const moved = await service.transition(${lower(N)}Id(request), to);
        return moved.ok ? json(to${N}Dto(moved.value)) : fromDomainError(moved.error);
      },
    },
    {
      method: 'DELETE',
      path: '${base}/:id',
      handler: async (request: HttpRequest): Promise<HttpResponse> => {
        const removed = await service.remove(${lower(N)}Id(request));
        return removed ? json({ removed: true }) : notFound('${N} not found');
      },
    },
  ];
}
`;
}

// ---------------------------------------------------------------------------------------------
// Large rule modules (500-1500 lines)

function rulesFile(service, index, rnd, _scale) {
  const prefix = `${cap(service)}Rules${index}`;
  // Not scaled: these stay 500-1500 lines.
  const kinds = rnd.int(42, 115);
  const ctxFields = ['amount', 'quantity', 'weight', 'score', 'age', 'risk', 'distance', 'count'];
  const lines = [];
  lines.push(`import type { Money } from '../../shared/types';
import { round, clamp } from '../../shared/utils/fp';
import { sumBy } from '../../shared/utils/array';

/** Rule engine for ${service} (table ${index}). Each rule kind has its own parameters. */
export interface ${prefix}Context {
${ctxFields.map((f) => `  readonly ${f}: number;`).join('\n')}
  readonly region: string;
  readonly tags: readonly string[];
  readonly flags: Readonly<Record<string, boolean>>;
  readonly total: Money;
}

export interface ${prefix}Outcome {
  readonly rule: string;
  readonly passed: boolean;
  readonly weight: number;
  readonly reason?: string;
}
`);
  const variants = [];
  for (let k = 0; k < kinds; k++) {
    const f1 = rnd.pick(ctxFields);
    const f2 = rnd.pick(ctxFields.filter((f) => f !== f1));
    const shape = k % 4;
    let params;
    let body;
    if (shape === 0) {
      params = `readonly min: number; readonly max: number`;
      body = `  const value = ctx.${f1};
  const passed = value >= rule.min && value <= rule.max;
  return { rule: rule.kind, passed, weight: round(clamp((value - rule.min) / Math.max(rule.max - rule.min, 1), 0, 1)), reason: passed ? undefined : \`${f1} \${value} outside [\${rule.min}, \${rule.max}]\` };`;
    } else if (shape === 1) {
      params = `readonly regions: readonly string[]; readonly factor: number`;
      body = `  const inRegion = rule.regions.includes(ctx.region);
  const weight = inRegion ? ctx.${f1} * rule.factor : ctx.${f2} / Math.max(rule.factor, 1);
  return { rule: rule.kind, passed: inRegion, weight: round(weight), reason: inRegion ? undefined : \`region \${ctx.region} not allowed\` };`;
    } else if (shape === 2) {
      params = `readonly requiredTags: readonly string[]; readonly flag: string`;
      body = `  const missing = rule.requiredTags.filter((tag) => !ctx.tags.includes(tag));
  const flagged = ctx.flags[rule.flag] === true;
  const passed = missing.length === 0 && !flagged;
  return { rule: rule.kind, passed, weight: missing.length + (flagged ? 10 : 0), reason: passed ? undefined : \`missing \${missing.join(', ') || 'none'}, flag \${rule.flag}=\${flagged}\` };`;
    } else {
      params = `readonly weights: Readonly<Record<'${f1}' | '${f2}', number>>; readonly threshold: number`;
      body = `  const score = ctx.${f1} * rule.weights.${f1} + ctx.${f2} * rule.weights.${f2};
  const passed = score < rule.threshold || ctx.total.amount === 0;
  return { rule: rule.kind, passed, weight: round(score), reason: passed ? undefined : \`score \${round(score)} over \${rule.threshold}\` };`;
    }
    variants.push({ k, name: `${lower(prefix)}K${k}`, params, body, shape, f1, f2 });
  }
  lines.push(
    `export type ${prefix}Rule =\n${variants.map((v) => `  | { readonly kind: '${v.name}'; ${v.params} }`).join('\n')};\n`,
  );
  lines.push(`export type ${prefix}Kind = ${prefix}Rule['kind'];\n`);
  for (const v of variants) {
    lines.push(
      `function evaluate${cap(v.name)}(rule: Extract<${prefix}Rule, { kind: '${v.name}' }>, ctx: ${prefix}Context): ${prefix}Outcome {\n${v.body}\n}\n`,
    );
  }
  lines.push(`export function evaluate${prefix}(rule: ${prefix}Rule, ctx: ${prefix}Context): ${prefix}Outcome {
  switch (rule.kind) {
${variants.map((v) => `    case '${v.name}':\n      return evaluate${cap(v.name)}(rule, ctx);`).join('\n')}
  }
}
`);
  const table = variants.map((v) => {
    if (v.shape === 0) return `  { kind: '${v.name}', min: ${rnd.int(0, 50)}, max: ${rnd.int(60, 500)} },`;
    if (v.shape === 1)
      return `  { kind: '${v.name}', regions: ['eu', '${rnd.pick(['us', 'apac', 'latam', 'mea'])}'], factor: ${rnd.int(1, 9)} },`;
    if (v.shape === 2)
      return `  { kind: '${v.name}', requiredTags: ['${rnd.pick(['vip', 'new', 'b2b', 'retail'])}'], flag: '${rnd.pick(['fraud', 'hold', 'manual', 'audit'])}' },`;
    return `  { kind: '${v.name}', weights: { ${v.f1}: ${rnd.int(1, 5)}, ${v.f2}: ${rnd.int(1, 5)} }, threshold: ${rnd.int(100, 900)} },`;
  });
  lines.push(`export const ${snake(prefix).toUpperCase()}: readonly ${prefix}Rule[] = [\n${table.join('\n')}\n];\n`);
  lines.push(`export const ${snake(prefix).toUpperCase()}_LABELS: Record<${prefix}Kind, string> = {
${variants.map((v) => `  ${v.name}: '${service} rule ${v.k} (${['range', 'region', 'tags', 'score'][v.shape]})',`).join('\n')}
};

export function run${prefix}(ctx: ${prefix}Context, rules: readonly ${prefix}Rule[] = ${snake(prefix).toUpperCase()}): { passed: boolean; score: number; failures: ${prefix}Outcome[] } {
  const outcomes = rules.map((rule) => evaluate${prefix}(rule, ctx));
  const failures = outcomes.filter((outcome) => !outcome.passed);
  return { passed: failures.length === 0, score: round(sumBy(outcomes, (o) => o.weight)), failures };
}

export function explain${prefix}(outcome: ${prefix}Outcome): string {
  const label = ${snake(prefix).toUpperCase()}_LABELS[outcome.rule as ${prefix}Kind] ?? outcome.rule;
  return outcome.passed ? \`\${label}: ok\` : \`\${label}: \${outcome.reason ?? 'failed'}\`;
}
`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Generic utility modules (many small-to-medium files under src/shared/lib)

function libFile(index, rnd, scale) {
  const name = `Lib${index}`;
  const n = Math.max(3, Math.round(rnd.int(5, 12) * scale));
  const parts = [
    `import type { Comparator, DeepReadonly, KeysOfType, Result } from '../types';
import { ok, err } from '../result';
import { sortBy, by } from '../utils/array';
`,
  ];
  parts.push(`export interface ${name}Record<T> {
  readonly key: string;
  readonly value: T;
  readonly weight: number;
  readonly meta: DeepReadonly<{ source: string; tags: string[]; nested: { level: number; path: string[] } }>;
}

export type ${name}NumericKeys<T> = KeysOfType<T, number>;
`);
  for (let i = 0; i < n; i++) {
    const variant = (index + i) % 5;
    if (variant === 0) {
      parts.push(`export function ${lower(name)}Aggregate${i}<T extends Record<string, unknown>, K extends ${name}NumericKeys<T>>(items: readonly T[], key: K): number {
  let total = 0;
  for (const item of items) {
    const value = item[key];
    if (typeof value === 'number') total += value * ${i + 1};
  }
  return total;
}
`);
    } else if (variant === 1) {
      parts.push(`export function ${lower(name)}Rank${i}<T>(records: readonly ${name}Record<T>[], limit = ${5 + i}): ${name}Record<T>[] {
  const compare: Comparator<${name}Record<T>> = by((r) => r.weight, 'desc');
  return sortBy(records, compare, by((r) => r.key)).slice(0, limit);
}
`);
    } else if (variant === 2) {
      parts.push(`export function ${lower(name)}Parse${i}(raw: string): Result<${name}Record<string>, Error> {
  const [key, value, weight] = raw.split(':');
  if (!key || value === undefined) return err(new Error(\`bad record \${raw}\`));
  const w = Number(weight ?? '${i}');
  return ok({ key, value, weight: Number.isFinite(w) ? w : 0, meta: { source: 'text', tags: [], nested: { level: ${i}, path: [key] } } });
}
`);
    } else if (variant === 3) {
      parts.push(`export class ${name}Index${i}<T> {
  private readonly byKey = new Map<string, ${name}Record<T>>();

  add(record: ${name}Record<T>): this {
    const existing = this.byKey.get(record.key);
    if (!existing || existing.weight < record.weight) this.byKey.set(record.key, record);
    return this;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key)?.value;
  }

  heaviest(n: number): T[] {
    return [...this.byKey.values()].sort((a, b) => b.weight - a.weight).slice(0, n).map((r) => r.value);
  }

  tagged(tag: string): ${name}Record<T>[] {
    return [...this.byKey.values()].filter((r) => r.meta.tags.includes(tag));
  }
}
`);
    } else {
      parts.push(`export function ${lower(name)}Transform${i}<T, U>(records: readonly ${name}Record<T>[], fn: (value: T, key: string) => U): Array<${name}Record<U>> {
  return records.map((record) => ({ ...record, value: fn(record.value, record.key), weight: record.weight + ${i} }));
}
`);
    }
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Consumers: the ~1% of files that touch a broker, and their helper chains

const EFFECTS = [
  'stripe-charge',
  'stripe-charge-keyed',
  'stripe-refund',
  'prisma-create',
  'prisma-upsert',
  'prisma-increment',
  'redis-incr',
  'redis-set',
  'kafka-publish',
  'sql-insert',
  'prisma-notification',
];

function effectCode(kind, v) {
  // v: name of the command variable inside the last chain function
  switch (kind) {
    case 'stripe-charge':
      return `  const charge = await stripe.charges.create({ amount: toMinorUnits(${v}.amount), currency: ${v}.currency.toLowerCase(), customer: ${v}.accountId, metadata: { reference: ${v}.reference } });
  log.info('charged', { charge: charge.id, status: charge.status });`;
    case 'stripe-charge-keyed':
      return `  const keyedCharge = await stripe.charges.create(
    { amount: toMinorUnits(${v}.amount), currency: ${v}.currency.toLowerCase(), customer: ${v}.accountId },
    { idempotencyKey: \`charge:\${${v}.eventId}\` },
  );
  log.info('charged', { charge: keyedCharge.id });`;
    case 'stripe-refund':
      return `  const refund = await stripe.refunds.create({ charge: ${v}.reference, amount: toMinorUnits(${v}.amount), reason: 'requested_by_customer' });
  log.info('refunded', { refund: refund.id });`;
    case 'prisma-create':
      return `  await db.payment.create({ data: { accountId: ${v}.accountId, amount: ${v}.amount, currency: ${v}.currency, status: 'captured', reference: ${v}.reference } });`;
    case 'prisma-upsert':
      return `  await db.payment.upsert({
    where: { id: ${v}.eventId },
    create: { id: ${v}.eventId, accountId: ${v}.accountId, amount: ${v}.amount, currency: ${v}.currency, status: 'captured', reference: ${v}.reference },
    update: { status: 'captured' },
  });`;
    case 'prisma-increment':
      return `  await db.account.update({ where: { id: ${v}.accountId }, data: { balance: { increment: ${v}.amount } } });`;
    case 'redis-incr':
      return `  await redis.incrby(\`totals:\${${v}.accountId}\`, Math.round(${v}.amount));`;
    case 'redis-set':
      return `  await redis.set(\`last:\${${v}.accountId}\`, ${v}.reference, 'EX', 3600);`;
    case 'kafka-publish':
      return `  await publishEvent('${'${TOPIC}'}', ${v}.accountId, { type: 'processed', reference: ${v}.reference, amount: ${v}.amount });`;
    case 'sql-insert':
      return `  await db.$executeRaw\`INSERT INTO ledger_entries (account_id, amount, reference) VALUES (\${${v}.accountId}, \${${v}.amount}, \${${v}.reference})\`;`;
    case 'prisma-notification':
      return `  await db.notification.create({ data: { userId: ${v}.accountId, channel: 'email', template: 'receipt' } });`;
  }
  throw new Error(kind);
}

function effectImports(im, kind) {
  if (kind.startsWith('stripe')) im.value('src/shared/clients/stripe.ts', 'stripe', 'toMinorUnits');
  if (kind.startsWith('prisma') || kind === 'sql-insert') im.value('src/shared/clients/db.ts', 'db');
  if (kind.startsWith('redis')) im.value('src/shared/clients/redis.ts', 'redis');
  if (kind === 'kafka-publish') im.value('src/shared/clients/kafka.ts', 'publishEvent');
}

/** Drops the blank lines that empty template slots leave inside blocks. */
function tidy(code) {
  return code
    .replace(/^[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/([{(,])\n\n/g, '$1\n')
    .replace(/;\n\n(\s*[})])/g, ';\n$1')
    .replace(/;\n\n(\s+(?:const|await|channel|log|return|if|this)\b)/g, ';\n$1');
}

function consumerFiles(c, rnd) {
  const files = {};
  const { service, Name, name, lib, depth } = c;
  const cmd = `${Name}Command`;
  const evt = `${Name}Event`;
  // Chain level 1: application handler (parses the event, may hold the dedup guard).
  const chain = [];
  const dirs = ['application', 'workflows', 'domain', 'services', 'repositories', 'gateways'];
  const suffix = {
    application: 'handler',
    workflows: 'workflow',
    domain: 'process',
    services: 'steps',
    repositories: 'store',
    gateways: 'gateway',
  };
  for (let level = 1; level <= depth; level++) {
    const dir =
      level === depth ? (c.effects.some((k) => k.startsWith('stripe')) ? 'gateways' : 'repositories') : dirs[level - 1];
    chain.push({
      level,
      dir,
      file: `src/${service}/${dir}/${name}.${suffix[dir]}${level === depth ? '' : level > 1 && dir === 'repositories' ? level : ''}.ts`,
      fn:
        level === 1
          ? `handle${Name}`
          : level === depth
            ? `apply${Name}`
            : `${['', '', 'run', 'process', 'execute', 'perform'][level]}${Name}Step${level}`,
      style: level > 1 && level < depth && rnd.chance(0.4) ? 'class' : 'function',
    });
  }
  // Make file names unique if two levels landed in the same dir.
  const seen = new Set();
  for (const l of chain) {
    while (seen.has(l.file)) l.file = l.file.replace(/\.ts$/, `${l.level}.ts`);
    seen.add(l.file);
  }
  const topic = `${service}.${kebab(Name)}`;

  for (const l of chain) {
    const im = new Imports(l.file);
    im.type('src/shared/messaging.ts', 'DeliveryContext');
    im.value('src/shared/logger.ts', 'Logger');
    const body = [];
    const next = chain[l.level];
    if (l.level === 1) {
      im.value('src/shared/messaging.ts', 'parseEnvelope', 'requireString', 'requireNumber');
      im.value('src/shared/validation.ts', 'readOneOf', 'readString');
      im.type('src/shared/types.ts', 'Currency');
      body.push(`export interface ${evt} {
  readonly id: string;
  readonly accountId: string;
  readonly amount: number;
  readonly currency: Currency;
  readonly reference: string;
  readonly note?: string;
}

export interface ${cmd} extends ${evt} {
  readonly eventId: string;
  readonly source: string;
}

export function parse${evt}(raw: string): ${evt} {
  const envelope = parseEnvelope(raw);
  const data = envelope.data;
  return {
    id: envelope.id,
    accountId: requireString(data, 'accountId'),
    amount: requireNumber(data, 'amount'),
    currency: readOneOf(data, 'currency', ['USD', 'EUR', 'GBP', 'JPY', 'CHF'] as const) ?? 'USD',
    reference: requireString(data, 'reference'),
    note: readString(data, 'note'),
  };
}

export function tryParse${evt}(raw: string): ${evt} | undefined {
  try {
    return parse${evt}(raw);
  } catch {
    return undefined;
  }
}
`);
    } else {
      im.type(chain[0].file, cmd);
    }
    const log = `const log = new Logger('${service}.${name}.${l.level}');\n`;
    const guardHere = c.guardAt === l.level;
    const guardPre = [];
    const guardPost = [];
    if (guardHere) {
      const v = l.level === 1 ? 'ctx.eventId' : 'command.eventId';
      if (c.guard === 'redis-exists') {
        im.value('src/shared/clients/redis.ts', 'redis');
        guardPre.push(
          `  if (await redis.exists(\`evt:\${${v}}\`)) {\n    log.info('duplicate delivery skipped', { eventId: ${v} });\n    return;\n  }`,
        );
        guardPost.push(`  await redis.set(\`evt:\${${v}}\`, '1', 'EX', 86400);`);
      } else if (c.guard === 'redis-setnx') {
        im.value('src/shared/clients/redis.ts', 'redis');
        guardPre.push(
          `  const claimed = await redis.set(\`evt:\${${v}}\`, '1', 'EX', 86400, 'NX');\n  if (claimed !== 'OK') return;`,
        );
      } else if (c.guard === 'db-processed') {
        im.value('src/shared/clients/db.ts', 'db');
        guardPre.push(
          `  const seen = await db.processedEvent.findUnique({ where: { id: ${v} } });\n  if (seen) return;`,
        );
        guardPost.push(`  await db.processedEvent.create({ data: { id: ${v}, consumer: '${topic}' } });`);
      }
    }
    const isLast = l.level === depth;
    const effectLines = [];
    if (isLast) {
      for (const k of c.effects) {
        effectImports(im, k);
        effectLines.push(effectCode(k, 'command').replace('${TOPIC}', `${topic}.processed`));
      }
    } else {
      im.value(next.file, next.style === 'class' ? `${next.fn[0].toUpperCase()}${next.fn.slice(1)}` : next.fn);
    }
    const callNext = (arg) => {
      if (isLast) return '';
      if (next.style === 'class') return `  await new ${cap(next.fn)}(log).run(${arg}, ctx);`;
      return `  await ${next.fn}(${arg}, ctx);`;
    };
    // Occasionally an intermediate level has its own effect (audit log / publish).
    const midEffect = !isLast && l.level > 1 && c.midEffect === l.level;
    if (midEffect) {
      im.value('src/shared/clients/db.ts', 'db');
    }
    if (l.level === 1) {
      body.push(log);
      body.push(`export async function ${l.fn}(event: ${evt}, ctx: DeliveryContext): Promise<void> {
  log.info('handling', { id: event.id, source: ctx.source, redelivered: ctx.redelivered });
  if (event.amount <= 0) {
    log.warn('ignoring non-positive amount', { id: event.id });
    return;
  }
${guardPre.join('\n')}
  const command: ${cmd} = { ...event, eventId: ctx.eventId, source: ctx.source };
${callNext('command')}
${guardPost.join('\n')}
}
`);
    } else if (l.style === 'class' && !isLast) {
      body.push(log);
      body.push(`export class ${cap(l.fn)} {
  constructor(private readonly parent: Logger) {}

  async run(command: ${cmd}, ctx: DeliveryContext): Promise<void> {
    this.parent.debug('step ${l.level}', { eventId: command.eventId });
    const normalized: ${cmd} = { ...command, reference: command.reference.trim(), amount: Math.round(command.amount * 100) / 100 };
${guardPre.map((s) => s.replace(/\n/g, '\n  ').replace(/^/, '  ')).join('\n')}
${midEffect ? `    await db.auditLog.create({ data: { actor: normalized.source, action: 'step-${l.level}', subjectId: normalized.accountId } });` : ''}
    log.debug('forwarding', { reference: normalized.reference });
  ${callNext('normalized')}
${guardPost.map((s) => `  ${s}`).join('\n')}
  }
}
`);
    } else {
      body.push(log);
      body.push(`export async function ${l.fn}(command: ${cmd}, ctx: DeliveryContext): Promise<void> {
  log.debug('step ${l.level}', { eventId: command.eventId, source: ctx.source });
${guardPre.join('\n')}
${midEffect ? `  await db.auditLog.create({ data: { actor: command.source, action: 'step-${l.level}', subjectId: command.accountId } });` : ''}
${isLast ? effectLines.join('\n') : callNext(`{ ...command, note: command.note ?? '${l.dir}' }`)}
${guardPost.join('\n')}
}
`);
    }
    files[l.file] = `${im.render()}\n\n${tidy(body.join('\n'))}`;
  }

  // The consumer file itself.
  const file = `src/${service}/consumers/${name}.consumer.ts`;
  const im = new Imports(file);
  im.value('src/shared/logger.ts', 'Logger');
  im.value(chain[0].file, `handle${Name}`, c.variant === 'early-return' ? `tryParse${evt}` : `parse${evt}`);
  const guardInConsumer = c.guardAt === 0;
  const idExpr = { kafka: 'eventId', amqp: 'eventId', sqs: 'eventId' }[lib];
  const gPre = [];
  const gPost = [];
  if (guardInConsumer) {
    if (c.guard === 'redis-exists') {
      im.value('src/shared/clients/redis.ts', 'redis');
      gPre.push(`if (await redis.exists(\`evt:\${${idExpr}}\`)) return;`);
      gPost.push(`await redis.set(\`evt:\${${idExpr}}\`, '1', 'EX', 86400);`);
    } else if (c.guard === 'redis-setnx') {
      im.value('src/shared/clients/redis.ts', 'redis');
      gPre.push(`if ((await redis.set(\`evt:\${${idExpr}}\`, '1', 'EX', 86400, 'NX')) === null) return;`);
    } else if (c.guard === 'db-processed') {
      im.value('src/shared/clients/db.ts', 'db');
      gPre.push(`if (await db.processedEvent.findUnique({ where: { id: ${idExpr} } })) return;`);
      gPost.push(`await db.processedEvent.create({ data: { id: ${idExpr}, consumer: '${topic}' } });`);
    }
  }
  const ind = (lines, n) => lines.map((s) => ' '.repeat(n) + s).join('\n');
  let src;
  if (lib === 'kafka') {
    im.value('kafkajs', 'Kafka');
    im.value('src/shared/config.ts', 'config');
    src = `const log = new Logger('${service}.consumer.${name}');
const kafka = new Kafka({ clientId: '${service}-${kebab(Name)}', brokers: config.kafkaBrokers });
const consumer = kafka.consumer({ groupId: '${service}.${kebab(Name)}' });

export async function start${Name}Consumer(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: '${topic}', fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (!message.value) {
        log.warn('empty message', { topic, partition, offset: message.offset });
        return;
      }
      const eventId = message.headers?.['event-id']?.toString() ?? \`\${topic}:\${partition}:\${message.offset}\`;
${ind(gPre, 6)}
      const event = parse${evt}(message.value.toString());
      await handle${Name}(event, { eventId, source: topic, receivedAt: Date.now(), redelivered: false });
${ind(gPost, 6)}
    },
  });
}

export async function stop${Name}Consumer(): Promise<void> {
  await consumer.disconnect();
}
`;
  } else if (lib === 'amqp') {
    im.value('amqplib', 'connect');
    im.type('amqplib', 'Channel');
    im.value('src/shared/config.ts', 'config');
    const queue = `${service}.${kebab(Name)}`;
    let handler;
    if (c.variant === 'ack-before') {
      handler = `      if (msg === null) return;
      channel.ack(msg);
      const eventId = msg.properties.messageId ?? String(msg.fields.deliveryTag);
${ind(gPre, 6)}
      const event = parse${evt}(msg.content.toString());
      await handle${Name}(event, { eventId, source: '${queue}', receivedAt: Date.now(), redelivered: msg.fields.redelivered });
${ind(gPost, 6)}`;
    } else if (c.variant === 'early-return') {
      handler = `      if (msg === null) return;
      const eventId = msg.properties.messageId ?? String(msg.fields.deliveryTag);
      const event = tryParse${evt}(msg.content.toString());
      if (!event) {
        log.warn('dropping malformed message', { eventId });
        return;
      }
${ind(gPre, 6)}
      await handle${Name}(event, { eventId, source: '${queue}', receivedAt: Date.now(), redelivered: msg.fields.redelivered });
${ind(gPost, 6)}
      channel.ack(msg);`;
    } else {
      handler = `      if (msg === null) return;
      const eventId = msg.properties.messageId ?? String(msg.fields.deliveryTag);
      try {
${ind(gPre, 8)}
        const event = parse${evt}(msg.content.toString());
        await handle${Name}(event, { eventId, source: '${queue}', receivedAt: Date.now(), redelivered: msg.fields.redelivered });
${ind(gPost, 8)}
        channel.ack(msg);
      } catch (error) {
        log.error('processing failed', { eventId, error: String(error) });
        channel.nack(msg, false, !msg.fields.redelivered);
      }`;
    }
    src = `const log = new Logger('${service}.consumer.${name}');

export async function start${Name}Consumer(): Promise<Channel> {
  const connection = await connect(config.amqpUrl);
  const channel = await connection.createChannel();
  await channel.assertQueue('${queue}', { durable: true, deadLetterExchange: '${service}.dlx' });
  await channel.prefetch(${rnd.pick([1, 5, 10, 20])});
  await channel.consume(
    '${queue}',
    async (msg) => {
${handler}
    },
    { noAck: false },
  );
  return channel;
}
`;
  } else {
    im.value('sqs-consumer', 'Consumer');
    im.value('src/shared/config.ts', 'queueUrl');
    const ret = c.variant === 'return-message';
    src = `const log = new Logger('${service}.consumer.${name}');

export const ${lower(Name)}Consumer = Consumer.create({
  queueUrl: queueUrl('${service}-${kebab(Name)}'),
  batchSize: ${rnd.pick([1, 5, 10])},
  visibilityTimeout: ${rnd.pick([30, 60, 120])},
  handleMessage: async (message) => {
    if (!message.Body) {
      log.warn('empty body', { id: message.MessageId });
      return${ret ? ' message' : ''};
    }
    const eventId = message.MessageId ?? message.Attributes?.MessageDeduplicationId ?? '';
${ind(gPre, 4)}
    const event = parse${evt}(message.Body);
    await handle${Name}(event, { eventId, source: '${service}-${kebab(Name)}', receivedAt: Date.now(), redelivered: Number(message.Attributes?.ApproximateReceiveCount ?? '1') > 1 });
${ind(gPost, 4)}${ret ? '\n    return message;' : ''}
  },
});

${lower(Name)}Consumer.on('processing_error', (error, message) => {
  log.error('processing error', { id: message?.MessageId, error: error.message });
});

export function start${Name}Consumer(): void {
  ${lower(Name)}Consumer.start();
}
`;
  }
  files[file] = `${im.render()}\n\n${tidy(src)}`;
  c.files = [file, ...chain.map((l) => l.file)];
  c.consumerFile = file;
  return files;
}

// ---------------------------------------------------------------------------------------------
// Main generation

export function generate({
  out = DEFAULT_OUT,
  seed = DEFAULT_SEED,
  scale = DEFAULT_SCALE,
  entitiesPerService = 52,
  consumersPerService = 3,
  log = console.log,
} = {}) {
  const rnd = makeRandom(seed);
  const files = new Map();
  const put = (path, content) => {
    if (files.has(path)) throw new Error(`duplicate file ${path}`);
    files.set(path, content.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n'));
  };

  put(
    'package.json',
    JSON.stringify(
      {
        name: 'platform-services',
        version: '1.0.0',
        private: true,
        description: 'Generated by delivery-lint bench/generate.mjs',
      },
      null,
      2,
    ) + '\n',
  );
  put(
    'tsconfig.json',
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          lib: ['ES2022'],
          types: [],
          strict: true,
          noEmit: true,
          esModuleInterop: true,
          skipLibCheck: false,
          forceConsistentCasingInFileNames: true,
          noFallthroughCasesInSwitch: true,
          // The stubs are ambient `declare module` files; mapping each library to its stub keeps module
          // resolution inside the project even when a node_modules above it holds the real packages
          // (which would pull @types/node into the program and clash with types/globals.d.ts).
          paths: Object.fromEntries(Object.entries(STUB_MODULES).map(([mod, file]) => [mod, [`./${file}`]])),
        },
        include: ['src', 'types'],
      },
      null,
      2,
    ) + '\n',
  );
  put(
    'README.md',
    `# platform-services

Generated benchmark project for delivery-lint (\`node bench/generate.mjs\`, seed ${seed}); do not edit.
It needs no node_modules: the third-party libraries it uses are declared by ambient stubs in
types/, and tsconfig.json maps each library to its stub with \`paths\` so that a node_modules
in a parent folder is never consulted.
`,
  );
  for (const [p, c] of Object.entries(STUBS)) put(p, c);
  for (const [p, c] of Object.entries(SHARED)) put(p, c);

  // Shared generic library modules.
  const libCount = 60;
  const libExports = [];
  for (let i = 0; i < libCount; i++) {
    put(`src/shared/lib/lib${i}.ts`, libFile(i, rnd, scale));
    libExports.push(`export * from './lib${i}';`);
  }
  put('src/shared/lib/index.ts', libExports.join('\n') + '\n');

  // Entities.
  const usedNames = new Set();
  const entities = [];
  const byService = new Map();
  for (const service of SERVICES) {
    const list = [];
    for (let k = 0; k < entitiesPerService; k++) {
      let name;
      do name = rnd.pick(QUALIFIERS) + rnd.pick(NOUNS);
      while (usedNames.has(name));
      usedNames.add(name);
      const e = {
        service,
        name,
        index: k,
        paths: {
          model: `src/${service}/models/${lower(name)}.ts`,
          repository: `src/${service}/repositories/${lower(name)}.repository.ts`,
          service: `src/${service}/services/${lower(name)}.service.ts`,
          controller: `src/${service}/api/${lower(name)}.controller.ts`,
          mapper: `src/${service}/mappers/${lower(name)}.mapper.ts`,
        },
      };
      e.statuses = rnd.pick(LIFECYCLES);
      // References: earlier entities of this service, or entities of earlier services.
      const sameService = list.slice(Math.max(0, k - 6));
      const earlierServices = entities.filter((x) => x.service !== service);
      const candidates = [...sameService, ...(earlierServices.length ? rnd.sample(earlierServices, 3) : [])];
      e.fields = makeFields(rnd, e, candidates);
      e.deps = k > 0 ? rnd.sample(list.slice(Math.max(0, k - 5)), rnd.int(0, 2)) : [];
      list.push(e);
      entities.push(e);
    }
    byService.set(service, list);
  }

  for (const e of entities) {
    put(e.paths.model, modelFile(e));
    put(e.paths.repository, repositoryFile(e));
    put(e.paths.mapper, mapperFile(e));
    put(e.paths.service, serviceFile(e, rnd, scale));
    put(e.paths.controller, controllerFile(e));
  }

  // Rule modules: two or three large files per service.
  const rulesByService = new Map();
  for (const service of SERVICES) {
    const n = rnd.int(2, 3);
    const names = [];
    for (let i = 0; i < n; i++) {
      const p = `src/${service}/rules/${service}Rules${i}.ts`;
      put(p, rulesFile(service, i, rnd, scale));
      names.push(p);
    }
    rulesByService.set(service, names);
  }

  // Consumers.
  const consumers = [];
  const libs = ['kafka', 'amqp', 'sqs'];
  const guards = ['none', 'none', 'redis-exists', 'redis-setnx', 'db-processed'];
  let ci = 0;
  for (const service of SERVICES) {
    const list = byService.get(service);
    for (let j = 0; j < consumersPerService; j++, ci++) {
      const lib = libs[ci % 3];
      let Name;
      do
        Name = `${rnd.pick(list).name}${rnd.pick(['Settled', 'Requested', 'Created', 'Captured', 'Expired', 'Synced', 'Adjusted', 'Placed'])}`;
      while (consumers.some((x) => x.Name === Name));
      const variants =
        lib === 'amqp'
          ? ['ack-after', 'ack-before', 'early-return']
          : lib === 'sqs'
            ? ['plain', 'return-message']
            : ['plain'];
      const depth = 3 + (ci % 4);
      const c = {
        service,
        lib,
        Name,
        name: lower(Name),
        depth,
        variant: variants[Math.floor(ci / 3) % variants.length],
        guard: guards[ci % guards.length],
        effects: rnd.sample(EFFECTS, rnd.int(1, 3)),
        midEffect: rnd.chance(0.3) ? 2 : 0,
      };
      c.guardAt = c.guard === 'none' ? -1 : rnd.chance(0.5) ? 0 : 1;
      for (const [p, content] of Object.entries(consumerFiles(c, rnd))) put(p, content);
      consumers.push(c);
    }
  }

  // A few producer modules that import a broker library directly (they touch a broker but
  // hold no consumer).
  const producers = [];
  for (const service of ['orders', 'inventory', 'notifications']) {
    const p = `src/${service}/events/${service}.publisher.ts`;
    put(
      p,
      `import { Kafka } from 'kafkajs';
import type { Producer, RecordMetadata } from 'kafkajs';
import { config } from '../../shared/config';

const kafka = new Kafka({ clientId: '${service}-publisher', brokers: config.kafkaBrokers });
let producer: Producer | undefined;

export async function publish${cap(service)}Event(type: string, key: string, payload: Record<string, unknown>): Promise<RecordMetadata[]> {
  producer ??= kafka.producer({ idempotent: true });
  await producer.connect();
  return producer.send({ topic: '${service}.events', messages: [{ key, value: JSON.stringify({ type, ...payload }), headers: { 'event-type': type } }] });
}
`,
    );
    producers.push(p);
  }

  // Barrels and composition roots.
  for (const service of SERVICES) {
    const list = byService.get(service);
    const folders = ['models', 'repositories', 'services', 'api', 'mappers'];
    for (const folder of folders) {
      const key = {
        models: 'model',
        repositories: 'repository',
        services: 'service',
        api: 'controller',
        mappers: 'mapper',
      }[folder];
      put(
        `src/${service}/${folder}/index.ts`,
        list
          .map((e) => `export * from '${importPath(`src/${service}/${folder}/index.ts`, e.paths[key])}';`)
          .join('\n') + '\n',
      );
    }
    put(
      `src/${service}/rules/index.ts`,
      rulesByService
        .get(service)
        .map((p) => `export * from './${p.split('/').pop().replace(/\.ts$/, '')}';`)
        .join('\n') + '\n',
    );
    put(
      `src/${service}/index.ts`,
      ['models', 'services', 'api', 'rules'].map((f) => `export * from './${f}';`).join('\n') + '\n',
    );

    // Composition root.
    const mainPath = `src/${service}/main.ts`;
    const im = new Imports(mainPath);
    im.value('src/shared/clients/db.ts', 'sql');
    im.value('src/shared/events.ts', 'InMemoryEventBus', 'systemClock');
    im.type('src/shared/http.ts', 'Route');
    im.value('src/shared/logger.ts', 'Logger');
    const body = [];
    for (const e of list) {
      im.value(`src/${service}/repositories/index.ts`, `${e.name}Repository`);
      im.value(`src/${service}/services/index.ts`, `${e.name}Service`);
      im.value(`src/${service}/api/index.ts`, `create${e.name}Routes`);
      const deps = e.deps.length
        ? `{ ${e.deps.map((d) => `${lower(d.name)}: ${lower(d.name)}Service`).join(', ')} }`
        : '{}';
      body.push(
        `  const ${lower(e.name)}Service = new ${e.name}Service(new ${e.name}Repository(sql), systemClock, bus, ${deps});`,
      );
      body.push(`  routes.push(...create${e.name}Routes(${lower(e.name)}Service));`);
    }
    const starts = [];
    for (const c of consumers.filter((x) => x.service === service)) {
      im.value(c.consumerFile, `start${c.Name}Consumer`);
      starts.push(`  await start${c.Name}Consumer();`);
    }
    put(
      mainPath,
      `${im.render()}

const log = new Logger('${service}.main');

export function build${cap(service)}Routes(bus: InMemoryEventBus = new InMemoryEventBus()): Route[] {
  const routes: Route[] = [];
${body.join('\n')}
  return routes;
}

export async function start${cap(service)}(): Promise<void> {
  const routes = build${cap(service)}Routes();
  log.info('routes ready', { count: routes.length });
${starts.join('\n')}
}
`,
    );
  }
  put(
    'src/main.ts',
    `${SERVICES.map((s) => `import { start${cap(s)} } from './${s}/main';`).join('\n')}
import { Logger } from './shared/logger';

const log = new Logger('main');

export async function main(): Promise<void> {
  const only = process.env.SERVICES?.split(',');
${SERVICES.map((s) => `  if (!only || only.includes('${s}')) await start${cap(s)}();`).join('\n')}
  log.info('all services started');
}

main().catch((error: unknown) => {
  log.error('startup failed', { error: String(error) });
  process.exit(1);
});
`,
  );

  // Write.
  rmSync(out, { recursive: true, force: true });
  let lines = 0;
  let tsFiles = 0;
  let bytes = 0;
  for (const [p, content] of files) {
    const abs = join(out, p);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    if (p.endsWith('.ts')) {
      tsFiles++;
      lines += content.split('\n').length - (content.endsWith('\n') ? 1 : 0);
      bytes += Buffer.byteLength(content);
    }
  }
  const brokerFiles = [...files.keys()]
    .filter((p) => /from '(kafkajs|amqplib|sqs-consumer)'/.test(files.get(p)) && !p.endsWith('.d.ts'))
    .sort();
  const manifest = {
    generatorVersion: GENERATOR_VERSION,
    seed,
    scale,
    entitiesPerService,
    consumersPerService,
    tsFiles,
    lines,
    bytes,
    brokerFiles,
    consumers: consumers.map((c) => ({
      file: c.consumerFile,
      library: { kafka: 'kafkajs', amqp: 'amqplib', sqs: 'sqs-consumer' }[c.lib],
      variant: c.variant,
      guard: c.guard,
      guardAt: c.guardAt === -1 ? null : c.guardAt === 0 ? 'consumer' : 'handler',
      depth: c.depth,
      effects: c.effects,
      chain: c.files.slice(1),
    })),
  };
  writeFileSync(join(out, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
  log(
    `generated ${tsFiles} .ts files, ${lines} lines (${(bytes / 1e6).toFixed(1)} MB), ${consumers.length} consumers, ${brokerFiles.length} files importing a broker into ${out}`,
  );
  return manifest;
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') opts.out = resolve(argv[++i]);
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--scale') opts.scale = Number(argv[++i]);
    else if (a === '--entities') opts.entitiesPerService = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/generate.mjs [--out DIR] [--seed N] [--scale X] [--entities N]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  generate(parseArgs(process.argv.slice(2)));
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
