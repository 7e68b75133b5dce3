import type { ts } from 'ts-morph';

/**
 * How the rules and their fixes read the analysed sources: the text and the parsed file the
 * analysis ran on, so the offsets in the model point into them. The pipeline makes one per run
 * (the language server's reads the editor's buffers).
 */
export interface SourceReader {
  sourceText(filePath: string): string | undefined;
  /** The parsed file the analysis ran on (positions in findings refer to it). */
  sourceFile(filePath: string): ts.SourceFile | undefined;
  /** The program the analysis ran on, for fixes that look for the project's own clients. */
  program?: ts.Program;
}
