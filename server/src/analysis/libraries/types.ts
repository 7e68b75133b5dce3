import { ts } from 'ts-morph';
import type { AckMode } from '../model';
import type { ResolvedConfig } from '../../config/types';
import type { SettleRecognizer } from '../flow';
import type { IdentityRules } from '../guards';
import type { FunctionWithBody } from '../source';

/** What the README's table of supported libraries says about a library; generated from here. */
export interface LibraryInfo {
  id: string;
  displayName: string;
  /** npm packages whose import marks a file as touching this broker. */
  packages: string[];
  registration: string;
  ackModes: string;
  identity: string;
}

/** A consumer found in the code: the handler plus what the library decides about it. */
export interface ConsumerSite {
  library: LibraryModule;
  form: string;
  registrationNode: ts.Node;
  /** The function that receives messages (for loop-style consumers: the function holding the loop). */
  handler: FunctionWithBody;
  /** Loop-style consumers (SQS receive loops, JetStream fetch, xreadgroup): the body for one message. */
  body?: ts.Statement;
  /**
   * The whole handler runs inside a library's idempotency wrapper keyed by the message (Lambda
   * Powertools `makeIdempotent`): its effects are deduplicated.
   */
  guardedBy?: { node: ts.Node; label: string };
  /** Handler parameters (or bindings) that hold the message. */
  messageBindings: ts.BindingName[];
  ackMode: AckMode;
  ackModeNode?: ts.Node;
  source?: string;
  identityHint: string;
  /** A TypeScript expression, valid at the top of the handler, for the message identity. */
  identityExpression?: string;
  /** An insertion that makes `identityExpression` valid (names added to the parameter pattern). */
  identityBinding?: { position: number; text: string };
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
  identity: IdentityRules;
  findConsumers(sourceFile: ts.SourceFile, context: LibraryContext): ConsumerSite[];
}
