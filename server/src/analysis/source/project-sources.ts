/**
 * The project's files the program has not read yet, for the searches that look at the whole
 * project rather than along imports (symbols.ts: a class's subclasses and implementations, the
 * subscribers of a Subject, the callers of a function, `@OnEvent` listeners; cqrs.ts: the handler
 * classes of a CQRS dispatch).
 *
 * The CLI's program holds only what the analysis reaches through imports (pipeline/program.ts,
 * `LoadedProgram`), and a subclass or a subscriber lives in a file that imports the base class or
 * the subject, not the other way round. So a search also looks at the raw text of the project's
 * other files, and asks for those whose text could hold what it looks for (the name it searches);
 * the next round of analysis reads them in full (pipeline/analyze.ts, `analyzeReached`). The
 * language server's program holds the whole project: nothing is unread there, and its searches are
 * only told, so that what made them can be kept across edits (pipeline/reads.ts, `EditorReportCache`).
 */
import type { ts } from 'ts-morph';

/**
 * What a search looks for in a file's text. The key names the test (`heritage:Base`): the same
 * key is the same test, so each runs once per round over the unread files, however many
 * consumers and calls ask (on a large monorepo thousands of calls ask about the same interface).
 */
export interface TextSearch {
  readonly key: string;
  readonly test: (text: string) => boolean;
}

export interface ProjectSources {
  /** The text of each project file not read in full yet, by path. */
  readonly unread: ReadonlyMap<string, string>;
  /** Files a search asked for: read them in full in the next round. */
  readonly wanted: Set<string>;
  /** Told of every search: its result can change as files passing its test are read. */
  readonly searched?: (search: TextSearch) => void;
}

interface Registered {
  sources: ProjectSources;
  /** The unread files that are not test files: what the searches look at. */
  candidates: readonly (readonly [string, string])[];
  /** The keys of the searches already run over them. */
  done: Set<string>;
}

const registry = new WeakMap<ts.Program, Registered>();

export function setProjectSources(program: ts.Program, sources: ProjectSources | undefined): void {
  if (!sources) return;
  const candidates = [...sources.unread].filter(([fileName]) => !TEST_FILE.test(fileName));
  registry.set(program, { sources, candidates, done: new Set() });
}

/**
 * Asks for the unread project files whose text passes the search's test (for the next round). Test
 * files are left out, as the searches leave them out.
 */
export function wantUnread(program: ts.Program | undefined, search: TextSearch): void {
  const registered = program && registry.get(program);
  if (!registered) return;
  const { sources, candidates, done } = registered;
  sources.searched?.(search);
  if (done.has(search.key)) return;
  done.add(search.key);
  for (const [fileName, text] of candidates) {
    if (!sources.wanted.has(fileName) && search.test(text)) sources.wanted.add(fileName);
  }
}

/**
 * A search for files whose text names `name` as a whole identifier (and, if given, passes `also`):
 * a file that names `AppLogger` says nothing of `Logger`, and in the server every edit of it would
 * otherwise re-build what asked about `Logger`.
 */
export function naming(name: string, also?: { key: string; test: (text: string) => boolean }): TextSearch {
  const word = wholeWord(name);
  const names = (text: string): boolean => text.includes(name) && word.test(text);
  return {
    key: also ? `${also.key}:${name}` : `names:${name}`,
    test: also ? (text) => names(text) && also.test(text) : names,
  };
}

const wholeWords = new Map<string, RegExp>();

/** `name` where no identifier character touches it on either side. */
function wholeWord(name: string): RegExp {
  let word = wholeWords.get(name);
  if (!word) {
    const edge = '[\\p{ID_Continue}$\\u200c\\u200d]';
    word = new RegExp(`(?<!${edge})${escapeRegExp(name)}(?!${edge})`, 'u');
    wholeWords.set(name, word);
  }
  return word;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Test files: their doubles are not what runs. */
export const TEST_FILE =
  /(^|[\\/])(__tests__|__mocks__|tests?|mocks?|fixtures?)[\\/]|\.(spec|test|e2e-spec|mock|stub|fake)\.[cm]?[jt]sx?$/i;
