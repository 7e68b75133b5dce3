/** What a lint run produces: findings with their fixes, problems with files, and the consumers found. */
import type { ConsumerReport } from './consumer';
import type { RelatedLocation, SourceLocation, TextEdit } from './location';

export type FindingSeverity = 'error' | 'warning' | 'info';
export type ConfiguredSeverity = FindingSeverity | 'off';

export interface FixSuggestion {
  title: string;
  /** Safe fixes do not change behaviour and may be applied by fix-all. */
  safe: boolean;
  preferred?: boolean;
  edits: TextEdit[];
}

export interface Finding {
  ruleId: string;
  /** Which of the rule's messages (its meta.messages) this is: stable when the wording changes. */
  messageId: string;
  /** The values the message was rendered with (names, labels, lines). */
  data?: Record<string, string>;
  severity: FindingSeverity;
  /** The message rendered for people. */
  message: string;
  location: SourceLocation;
  related: RelatedLocation[];
  consumerId: string;
  fixes: FixSuggestion[];
}

export interface FileProblem {
  filePath: string;
  message: string;
  /** The user named this path and it could not be linted: the run fails (CLI exit 2). */
  explicit?: boolean;
}

export interface AnalysisResult {
  consumers: ConsumerReport[];
  findings: Finding[];
  /** Files that could not be read or analysed, with the reason (never a crash). */
  problems: FileProblem[];
  /** Files that were linted (after the prefilter, those touching a broker). */
  filesLinted: string[];
  /** Files the prefilter selected for deep analysis. */
  filesAnalyzed: number;
  /**
   * Functions whose callers supply a consumer's handler (wrappers, at every level of a chain), with
   * the files a caller imports to reach them: the CLI adds the callers it has not loaded yet.
   */
  wrappers?: { name: string; filePaths: string[] }[];
}
