import { ts } from 'ts-morph';
import type { AckMode, LibraryId, LibraryTraits, Transport } from '../../model';
import type { ResolvedConfig } from '../../config/resolved-config';
import type { SettleRecognizer } from '../handler/steps';
import type { IdentityRules } from '../handler/guards';
import type { FunctionWithBody } from '../source/ast';

/** What the README's table of supported libraries says about a library; generated from here. */
export interface LibraryInfo {
  id: LibraryId;
  displayName: string;
  /** npm packages whose import marks a file as touching this broker. */
  packages: string[];
  /**
   * Text that marks a file as touching this broker without an import of `packages`: a call shape
   * distinctive enough (`.xreadgroup(`) for packages used for more than consuming (ioredis must
   * not make every Redis file a broker file), or a handler shape (`handler` looping `.Records`).
   */
  mentions?: RegExp;
  registration: string;
  ackModes: string;
  identity: string;
}

/** A consumer found in the code: the handler plus what the library decides about it. */
export interface ConsumerSite {
  library: LibraryModule;
  /** How it is registered, for display only ("eachMessage", "EventPattern (RMQ)"): nothing may branch on it. */
  form: string;
  /** NestJS: the transport the handler is served over, when known. */
  transport?: Transport;
  /** The library's traits for this consumer, where they differ from `library.traits` (a NestJS transport's). */
  traits?: LibraryTraits;
  /** The handler receives a batch of messages (kafkajs `eachBatch`, sqs-consumer `handleMessageBatch`). */
  batch?: boolean;
  /** A request/reply handler (NestJS `@MessagePattern`): what it returns or throws is the answer to its caller. */
  requestReply?: boolean;
  registrationNode: ts.Node;
  /** The function that receives messages (for loop-style consumers: the function holding the loop). */
  handler: FunctionWithBody;
  /**
   * Loop-style consumers (SQS receive loops, JetStream fetch, xreadgroup): the body for one message
   * (a loop body, or the body of an array callback such as `Messages.map(async (m) => …)`, which is
   * an expression for a concise arrow).
   */
  body?: ts.Statement | ts.Expression;
  /** Loop-style consumers: what surrounds the body (see FlowBuilder.loopBodySteps). */
  loop?: {
    /** Calls after the loop that settle every message of the batch (SQS DeleteMessageBatchCommand, `xack(…ids)`). */
    settlesAfter?: ts.CallExpression[];
    /** The body is the rest of its block from this statement (JetStream `const m = await consumer.next()`). */
    from?: ts.Statement;
  };
  /**
   * Nothing waits for the handler (or loop body) to complete: `forEach(async …)`, an async callback
   * the library calls without awaiting. What follows it (the implicit ack, a batch settle) does not
   * wait for its effects either.
   */
  detached?: boolean;
  /**
   * The whole handler runs inside a library's idempotency wrapper keyed by the message (Lambda
   * Powertools `makeIdempotent`): its effects are deduplicated.
   */
  guardedBy?: { node: ts.Node; label: string };
  /** The library settles only what the handler returns (sqs-consumer 14+: the message, or the batch's messages). */
  settlesByReturn?: boolean;
  /** A dead-letter exchange is declared for the queue (amqplib): dropped messages are routed, not lost. */
  deadLetterRoute?: boolean;
  /** Handler parameters (or bindings) that hold the message. */
  messageBindings: ts.BindingName[];
  /**
   * Those of `messageBindings` the message is settled through (default: all): the message object,
   * a NestJS context; not a payload. Handing one of them to code the analysis does not see may settle it.
   */
  settleBindings?: ts.BindingName[];
  ackMode: AckMode;
  ackModeNode?: ts.Node;
  /**
   * The queue's expression when it is not static (`process.env.ORDERS_DLQ_URL`): it may still
   * name a dead-letter queue, whose consumer's publishes are a redrive.
   */
  sourceText?: string;
  source?: string;
  identityHint: string;
  /** A TypeScript expression, valid at the top of the handler, for the message identity. */
  identityExpression?: string;
  /** An insertion that makes `identityExpression` valid (names added to the parameter pattern). */
  identityBinding?: { position: number; text: string };
  /**
   * What names the consumer among those receiving the same messages, for dedup keys, as the text
   * of a template literal: the Kafka consumer group (`ledger-writer`), an expression valid in the
   * handler (`${job.queueName}`). Undefined: the static source (queue, subscription), if any; null:
   * not known (the source does not tell consumer groups apart).
   */
  dedupScope?: string | null;
  /**
   * The handler was handed to a function of an installed package (docs/model.md, "Handlers
   * registered outside the project"), named so (`subscribe` of @acme/events): that code registers
   * it, and what it decides is unseen. A handler that settles nothing itself is incomplete.
   */
  registeredOutside?: { name: string; module: string };
  /**
   * Why the library cannot tell this consumer's delivery (a NestJS handler with no bootstrap to name
   * its transport): the report is marked incomplete, so the rules stay quiet on it.
   */
  incomplete?: string;
}

export interface LibraryContext {
  checker: ts.TypeChecker;
  /** The whole program, for settings that live elsewhere (a NestJS bootstrap's transport options). */
  program: ts.Program;
  config: ResolvedConfig;
  /** Modules the file imports. */
  imports: ReadonlySet<string>;
}

export interface LibraryModule extends SettleRecognizer {
  info: LibraryInfo;
  /** What the library does with a message (model/library.ts): copied onto every consumer it finds. */
  traits: LibraryTraits;
  /** Libraries whose delivery depends on a transport (NestJS): the traits of each; `traits` holds when it is unknown. */
  traitsByTransport?: Readonly<Record<Transport, LibraryTraits>>;
  identity: IdentityRules;
  /**
   * The types the library's package exports for a delivered message that settles itself
   * (`m.ack()`): a project function declared to take one, handed to an installed package's
   * function, is a consumer registered outside the project (outside-registrations.ts).
   */
  messageTypes?: {
    names: readonly string[];
    identityHint: string;
    /** The identity as an expression on the parameter's name. */
    identity: (message: string) => string;
  };
  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[];
}
