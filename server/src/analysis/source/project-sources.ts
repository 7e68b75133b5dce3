/**
 * The project's files the program has not read yet, for the searches that look at the whole
 * project rather than along imports (symbols.ts: a class's subclasses and implementations, the
 * subscribers of a Subject, the callers of a function, `@OnEvent` listeners).
 *
 * The CLI's program holds only what the analysis reaches through imports (pipeline/program.ts,
 * `LoadedProgram`), and a subclass or a subscriber lives in a file that imports the base class or
 * the subject, not the other way round. So a search also looks at the raw text of the project's
 * other files, and asks for those whose text could hold what it looks for (the name it searches);
 * the next round of analysis reads them in full (pipeline/analyze.ts, `analyzeReached`). A program
 * without sources (the language server's, which holds the whole project) is searched as it is.
 */
import type { ts } from 'ts-morph';

export interface ProjectSources {
  /** The text of each project file not read in full yet, by path. */
  readonly unread: ReadonlyMap<string, string>;
  /** Files a search asked for: read them in full in the next round. */
  readonly wanted: Set<string>;
  /** Told of every search and its text test: its result can change as files passing it are read. */
  readonly searched?: (test: (text: string) => boolean) => void;
}

const registry = new WeakMap<ts.Program, ProjectSources>();

export function setProjectSources(program: ts.Program, sources: ProjectSources | undefined): void {
  if (sources) registry.set(program, sources);
}

/**
 * Asks for the unread project files whose text passes `test` (for the next round). Test files are
 * left out, as the searches leave them out.
 */
export function wantUnread(program: ts.Program | undefined, test: (text: string) => boolean): void {
  const sources = program && registry.get(program);
  if (!sources) return;
  sources.searched?.(test);
  for (const [fileName, text] of sources.unread) {
    if (sources.wanted.has(fileName) || TEST_FILE.test(fileName)) continue;
    if (test(text)) sources.wanted.add(fileName);
  }
}

/** Test files: their doubles are not what runs. */
export const TEST_FILE =
  /(^|[\\/])(__tests__|__mocks__|tests?|mocks?|fixtures?)[\\/]|\.(spec|test|e2e-spec|mock|stub|fake)\.[cm]?[jt]sx?$/i;
