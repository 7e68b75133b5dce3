/**
 * The parsed files a program holds, told by identity. The server's caches ask, after every edit,
 * whether each file a kept report or summary read is still the program's: asking
 * `program.getSourceFile(file.fileName) === file` normalizes the name every time (a regex per path).
 * These list the program's files once per program. (Here, not in analysis/: a scan of
 * `program.getSourceFiles()` there must declare its text test, ARCHITECTURE.md.)
 */
import type { ts } from 'ts-morph';
import { perObject } from '../analysis/source/ast';

/** Whether `file` is the parsed file `program` holds under its name. */
export function holdsFile(program: ts.Program, file: ts.SourceFile): boolean {
  return filesOf(program).has(file);
}

const filesOf = perObject((program: ts.Program): ReadonlySet<ts.SourceFile> => new Set(program.getSourceFiles()));

/** The files of `program` by name, as `program.getSourceFile` finds them for the names it gives. */
export const sourceFilesByName = perObject(
  (program: ts.Program): ReadonlyMap<string, ts.SourceFile> =>
    new Map(program.getSourceFiles().map((file) => [file.fileName, file])),
);
