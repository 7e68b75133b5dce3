import type { ts } from 'ts-morph';
import type { ConsumerReport, FindingSeverity, FixSuggestion, RelatedLocation, SourceLocation } from '../model';
import type { ResolvedConfig } from '../config/types';
import type { SourceReader } from '../analysis/source/reader';

/** Where the rule's documentation lives; one place so every surface links the same page. */
export const DOCS_BASE_URL = 'https://github.com/delivery-lint/delivery-lint/blob/main/docs/rules/';

export type FixKind = 'code' | 'suggestion' | 'none';

/** Rule metadata: the single source of truth for the CLI, the LSP, docs and package.json. */
export interface RuleMeta {
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
}

export interface RuleReport {
  message: string;
  location: SourceLocation;
  related: RelatedLocation[];
  fixes?: FixSuggestion[];
}

export interface RuleContext {
  config: ResolvedConfig;
  source: SourceReader;
  report(report: RuleReport): void;
}

/** What a file-level rule sees (rules about code outside consumers, such as producers). */
export interface FileRuleContext extends RuleContext {
  checker: ts.TypeChecker;
  sourceFile: ts.SourceFile;
}

export interface Rule {
  meta: RuleMeta;
  /** Runs once per consumer. */
  check(consumer: ConsumerReport, context: RuleContext): void;
  /** Runs once per linted file, for rules about code that is not a consumer (publishes). */
  checkFile?(context: FileRuleContext): void;
}

export function docsUrl(id: string): string {
  return `${DOCS_BASE_URL}${id}.md`;
}
