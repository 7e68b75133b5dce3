import type { ts } from 'ts-morph';
import type { ResolvedConfig } from '../../config/types';

/** What fix builders may read: the analysed source files and the config. */
export interface FixContext {
  config: ResolvedConfig;
  sourceText(filePath: string): string | undefined;
  /** The parsed file the analysis ran on (positions in findings refer to it). */
  sourceFile(filePath: string): ts.SourceFile | undefined;
}
