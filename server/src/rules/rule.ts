import type { ts } from 'ts-morph';
import type { ConsumerReport, FindingSeverity, FixSuggestion, RelatedLocation, SourceLocation } from '../model';
import type { ResolvedConfig } from '../config/resolved-config';
import type { SourceReader } from '../analysis/source/reader';

/** Where the rule's documentation lives; one place so every surface links the same page. */
export const DOCS_BASE_URL = 'https://github.com/delivery-lint/delivery-lint/blob/main/docs/rules/';

export type FixKind = 'code' | 'suggestion' | 'none';

/** Rule metadata: the single source of truth for the CLI, the LSP, docs and package.json. */
export interface RuleMeta<MessageId extends string = string> {
  id: string;
  defaultSeverity: FindingSeverity;
  /** One sentence: what the rule finds. */
  description: string;
  /** Which delivery semantics it protects and what breaks in production. */
  rationale: string;
  docsUrl: string;
  /** `code`: has safe fixes; `suggestion`: fixes that change behaviour (offered, never auto-applied). */
  fixable: FixKind;
  /** The quick-fixes the rule offers, as shown in docs. */
  fixes: string[];
  /**
   * The rule's messages by id, as typescript-eslint has them: templates whose `{{name}}`
   * placeholders are filled from a report's `data`. Tests assert on the ids, so a message can be
   * reworded without touching them.
   */
  messages: Record<MessageId, string>;
}

export interface RuleReport<MessageId extends string = string> {
  messageId: MessageId;
  /** Values for the message's placeholders. */
  data?: Record<string, string | number>;
  location: SourceLocation;
  related: RelatedLocation[];
  fixes?: FixSuggestion[];
}

export interface RuleContext<MessageId extends string = string> {
  config: ResolvedConfig;
  source: SourceReader;
  report(report: RuleReport<MessageId>): void;
}

/** What a file-level rule sees (rules about code outside consumers, such as producers). */
export interface FileRuleContext<MessageId extends string = string> extends RuleContext<MessageId> {
  checker: ts.TypeChecker;
  sourceFile: ts.SourceFile;
}

export interface Rule<MessageId extends string = string> {
  meta: RuleMeta<MessageId>;
  /** Runs once per consumer. */
  check(consumer: ConsumerReport, context: RuleContext<MessageId>): void;
  /** Runs once per linted file, for rules about code that is not a consumer (publishes). */
  checkFile?(context: FileRuleContext<MessageId>): void;
}

export function docsUrl(id: string): string {
  return `${DOCS_BASE_URL}${id}.md`;
}

/**
 * A message template with its `{{name}}` placeholders filled from `data`. A placeholder without a
 * value is left as it is (as ESLint does), so a missing value shows instead of vanishing.
 */
export function renderMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (placeholder, name: string) =>
    Object.hasOwn(data, name) ? String(data[name]) : placeholder,
  );
}
