/**
 * The CLI's cache (`--cache`, `--cache-location`): the results of each lint file, kept with what
 * they were computed from, so that a run re-analyses only the files whose inputs changed
 * (docs/model.md, "The CLI's cache").
 *
 * A lint file's entry holds its consumers, findings, the findings its comments suppressed, and its
 * problems, and is valid while all of these are unchanged:
 *
 * - the run's key: delivery-lint's version, the resolved config, the options that change what is
 *   computed (crash timelines), the tsconfig's compiler options and the workspace packages;
 * - the file's text, and the text of every project file it reaches through imports (resolved as the
 *   program resolved them), and no relative import of those files that did not resolve, to a file
 *   that was not there, now would (a file there that the options do not resolve waits on the key);
 * - the files that can change any consumer's report without being imported: files a program-wide
 *   scan reads (PROGRAM_WIDE_TEXT), `declare global` / `declare module` augmentations and
 *   scripts (files with no import or export). A change to one of them, or a new one among the files
 *   linted, invalidates every entry;
 * - for a wrapper (a function that registers a consumer for a callback it is given), the text of
 *   every file that names it: the wrapper's file and those files are analysed together;
 * - for a file whose consumers searched the whole project (subclasses, subscribers, callers), the
 *   text of every linted file (`searched` entries, `everything`).
 *
 * The files to re-analyse are loaded into a program with those global files as extra roots, so the
 * program-wide scans see what a full run sees. Entries are keyed by file contents (a hash), never by
 * modification times. The cache is a JSON file; a cache that cannot be read is ignored and rewritten.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROGRAM_WIDE_TEXT } from '../analysis/libraries';
import { PROJECT_CLIENT_TEXT } from '../rules/fixes/project-clients';

/** The text tests of every scan over all the program's files: the analysis's and the fixes'. */
const GLOBAL_SCANS: readonly RegExp[] = [...PROGRAM_WIDE_TEXT, PROJECT_CLIENT_TEXT];
import type { ConsumerReport, FileProblem, Finding } from '../model';

/** Bump when the file's shape or what an entry means changes: an older cache is then ignored. */
const FORMAT = 2;

export interface CacheEntry {
  hash: string;
  /** Indexes into CacheFile.files of the project files the file reaches through imports. */
  deps: number[];
  /** Paths (without extension) of relative imports that did not resolve, in this file or a file it reaches. */
  unresolved: string[];
  /** A file analysed because it calls a wrapper, not because it imports a broker library. */
  caller?: boolean;
  /**
   * Its consumers searched the whole project (a class's subclasses, a Subject's subscribers, a
   * function's callers): any linted file may change them, so the entry holds only while none did.
   */
  searched?: boolean;
  consumers: ConsumerReport[];
  findings: Finding[];
  suppressed: Finding[];
  problems: FileProblem[];
}

export interface CachedWrapper {
  name: string;
  filePath: string;
  /** Every linted file that names the wrapper (its own file included), with its hash. */
  members: Record<string, string>;
}

export interface CacheFile {
  format: number;
  key: string;
  tsconfigPath?: string;
  warnings: string[];
  /** Every project file an entry or `global` names, with its hash when the cache was written. */
  files: { path: string; hash: string }[];
  /** Indexes into `files`: files that can change any consumer's report (see the header). */
  global: number[];
  /** Linted files whose text marks them as global (see isGlobalText), with their hash. */
  globalCandidates: Record<string, string>;
  /** A hash of every linted file's path and text: what a `searched` entry depends on. */
  everything: string;
  wrappers: CachedWrapper[];
  entries: Record<string, CacheEntry>;
}

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The run's key: everything besides file contents that the results depend on. */
export function cacheKey(parts: Record<string, unknown>): string {
  return hashText(JSON.stringify(parts));
}

const AUGMENTATION = /\bdeclare\s+global\b|\bdeclare\s+module\s*['"]/;
const MODULE_SYNTAX = /(^|[^\w$.])(import|export)\b|\brequire\s*\(|\bmodule\.exports\b/;

/**
 * Whether a file can change the reports of consumers that do not import it: a program-wide scan
 * reads it, it augments the global scope or a module, or it is a script (its declarations are global).
 */
export function isGlobalText(text: string): boolean {
  return GLOBAL_SCANS.some((pattern) => pattern.test(text)) || AUGMENTATION.test(text) || !MODULE_SYNTAX.test(text);
}

export function readCache(location: string): CacheFile | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(location, 'utf8')) as CacheFile;
    return parsed && parsed.format === FORMAT && typeof parsed.entries === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the cache; a cache that cannot be written costs the next run its speed, not its result. */
export function writeCache(location: string, cache: Omit<CacheFile, 'format'>): string | undefined {
  try {
    fs.mkdirSync(path.dirname(location), { recursive: true });
    const temporary = `${location}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ format: FORMAT, ...cache }));
    fs.renameSync(temporary, location);
    return undefined;
  } catch (error) {
    return `could not write the cache ${location} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}

/** Text hashes of files, read once: from the texts given (the linted files), else from disk. */
export class FileHashes {
  private readonly hashes = new Map<string, string | undefined>();

  constructor(private readonly texts: ReadonlyMap<string, string>) {}

  get(file: string): string | undefined {
    if (this.hashes.has(file)) return this.hashes.get(file);
    let hash: string | undefined;
    const text = this.texts.get(file);
    if (text !== undefined) hash = hashText(text);
    else {
      try {
        hash = hashText(fs.readFileSync(file, 'utf8'));
      } catch {
        hash = undefined;
      }
    }
    this.hashes.set(file, hash);
    return hash;
  }
}

const RESOLVABLE_EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/**
 * Whether a relative import that did not resolve (its path without extension), or a file that was
 * not there, would be found now: a function that remembers its answers, for one run (it asks of
 * the same paths for many files).
 */
export function resolutionProbe(): (base: string) => boolean {
  const answers = new Map<string, boolean>();
  return (base) => {
    let found = answers.get(base);
    if (found === undefined) {
      found = probe(base);
      answers.set(base, found);
    }
    return found;
  };
}

function probe(base: string): boolean {
  const candidates = [
    base,
    ...RESOLVABLE_EXTENSIONS.map((extension) => base + extension),
    ...RESOLVABLE_EXTENSIONS.map((extension) => path.join(base, `index${extension}`)),
  ];
  return candidates.some((candidate) => {
    try {
      return fs.statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * The project files `file` reaches through resolved imports (itself excluded), and the relative
 * imports along the way that did not resolve (as paths without their extension).
 */
export function reachedFiles(
  file: string,
  resolutions: ReadonlyMap<string, ReadonlyMap<string, string | undefined>>,
): { files: string[]; unresolved: string[] } {
  const seen = new Set<string>([file]);
  const unresolved = new Set<string>();
  const queue = [file];
  while (queue.length) {
    const current = queue.pop()!;
    for (const [name, target] of resolutions.get(current) ?? []) {
      if (target === undefined) {
        if (name.startsWith('.'))
          unresolved.add(path.resolve(path.dirname(current), name).replace(/\.[cm]?[jt]sx?$/, ''));
        continue;
      }
      const resolved = path.resolve(target);
      if (seen.has(resolved)) continue;
      seen.add(resolved);
      queue.push(resolved);
    }
  }
  seen.delete(file);
  return { files: [...seen].sort(), unresolved: [...unresolved].sort() };
}

/** Files among `texts` that name `name` as a word (the files a wrapper's results depend on). */
export function filesNaming(name: string, texts: ReadonlyMap<string, string>): string[] {
  const word = new RegExp(`(^|[^\\w$])${name.replace(/\$/g, '\\$')}($|[^\\w$])`);
  return [...texts].filter(([, text]) => word.test(text)).map(([file]) => file);
}
