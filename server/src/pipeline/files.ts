/**
 * Which files to lint and how a file is read, for the CLI and the language server alike:
 *
 * - `collectFiles`: the paths given, walked for TypeScript and JavaScript sources, with dependency
 *   folders and build outputs skipped, `ignore` globs applied (glob.ts, linear time), symlink loops
 *   cut, and odd files reported, not crashed on. Build outputs are every tsconfig's `outDir`, and
 *   the folders named like one (`build/`, `out/`) that hold no TypeScript source or that a
 *   `.gitignore` ignores (docs/model.md, "Finding the project and its consumers");
 * - `readSourceFile`: the one bounded read. It follows a symlink only to a regular file, refuses
 *   devices, FIFOs and sockets without opening them for a blocking read, and reads at most
 *   MAX_FILE_BYTES whatever `stat` says (a device reports size 0 and never ends).
 *
 * A file the user named on the command line that cannot be linted (unreadable, special, a symlink
 * loop) is an `explicit` problem: the CLI reports the other files and exits 2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileProblem } from '../model';
import { globMatcher, type GlobMatcher } from './glob';

const SOURCE_EXTENSIONS = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const SKIPPED_DIRECTORIES = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'out',
  'coverage',
  '.next',
  '.turbo',
  '.cache',
]);
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

export interface CollectedFiles {
  files: string[];
  /** The files of `files` the user named one by one (their read failures fail the run). */
  explicit: string[];
  problems: FileProblem[];
  warnings: string[];
}

/**
 * Dependency and output folders are skipped. A folder named like an output folder (`build`, `out`)
 * that holds TypeScript sources itself is a source folder (`src/core/build/build.controller.ts`):
 * compilers write JavaScript and declarations there, not `.ts`.
 */
function skippedDirectory(directory: string, name: string): boolean {
  if (!SKIPPED_DIRECTORIES.has(name)) return false;
  if (!OUTPUT_NAMES.has(name)) return true;
  try {
    return !fs.readdirSync(directory).some((file) => /\.tsx?$/.test(file) && !/\.d\.tsx?$/.test(file));
  } catch {
    return true;
  }
}

const OUTPUT_NAMES = new Set(['build', 'out']);

export function isSourceFile(filePath: string): boolean {
  return SOURCE_EXTENSIONS.test(filePath) && !/\.d\.[cm]?ts$/.test(filePath);
}

/** What a file system entry that is not a regular file or a folder is, for messages. */
export function specialKind(stat: fs.Stats): string | undefined {
  if (stat.isFile() || stat.isDirectory()) return undefined;
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'error';
}

/** Why a path that `stat` refused cannot be read. */
function statProblem(error: unknown): string {
  const code = errorCode(error);
  if (code === 'ELOOP') return 'is a symlink loop; skipped';
  if (code === 'ENOENT') return 'is a symlink to nothing (or was removed); skipped';
  return `cannot be read (${code})`;
}

/** Whether `ignore` patterns (globs over paths relative to `cwd`) leave `file` out. */
export function isIgnoredPath(file: string, cwd: string, ignore: readonly string[]): boolean {
  const relative = path.relative(cwd, file).split(path.sep).join('/');
  return ignore.some((pattern) => globMatcher(pattern)(relative));
}

/**
 * The files to lint under `paths`. A path in `contents` (text given instead of a file, such as
 * standard input) is taken as a file whether or not it exists on disk.
 */
export function collectFiles(
  paths: readonly string[],
  cwd: string,
  ignore: readonly string[],
  contents?: ReadonlyMap<string, string>,
): CollectedFiles {
  const result: CollectedFiles = { files: [], explicit: [], problems: [], warnings: [] };
  const ignored = ignore.map(globMatcher);
  const isIgnored = (file: string): boolean => {
    const relative = path.relative(cwd, file).split(path.sep).join('/');
    return ignored.some((matches) => matches(relative));
  };
  const seenFiles = new Set<string>();
  const visitedDirectories = new Set<string>();
  /** Build outputs and git-ignored folders, learnt from the tsconfigs and `.gitignore`s of the folders walked. */
  const outputs = new OutputFolders();

  /** `real`: the file's real path when the walk knows it is a regular file in a folder whose real path it has. */
  const addFile = (file: string, explicit: boolean, real?: string): void => {
    if (!isSourceFile(file)) {
      if (explicit)
        result.warnings.push(
          `${path.relative(cwd, file) || file} is not a TypeScript or JavaScript source file; skipped`,
        );
      return;
    }
    if (isIgnored(file)) {
      if (explicit)
        result.warnings.push(`${path.relative(cwd, file) || file} is ignored by an ignore pattern; skipped`);
      return;
    }
    if (contents?.has(path.resolve(file)) && !fs.existsSync(file)) {
      result.files.push(path.resolve(file));
      return;
    }
    if (real === undefined) {
      let stat: fs.Stats;
      try {
        real = fs.realpathSync(file);
        stat = fs.statSync(real);
      } catch (error) {
        result.problems.push({ filePath: file, message: statProblem(error), ...(explicit ? { explicit } : {}) });
        return;
      }
      const special = specialKind(stat);
      if (special) {
        result.problems.push({ filePath: file, message: `is ${special}; skipped`, ...(explicit ? { explicit } : {}) });
        return;
      }
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    result.files.push(path.resolve(file));
    if (explicit) result.explicit.push(path.resolve(file));
  };

  /** `known`: the real path of a folder reached as one (not through a symlink) from a folder whose real path is known. */
  const walk = (directory: string, explicit: boolean, known?: string): void => {
    let real: string;
    try {
      real = known ?? fs.realpathSync(directory);
    } catch (error) {
      result.problems.push({ filePath: directory, message: statProblem(error), ...(explicit ? { explicit } : {}) });
      return;
    }
    if (visitedDirectories.has(real)) return; // a symlink back into a folder already walked
    visitedDirectories.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      result.problems.push({
        filePath: directory,
        message: `cannot be listed (${errorCode(error)})`,
        ...(explicit ? { explicit } : {}),
      });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    outputs.learn(directory, entries);
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(full))) {
        if (
          !skippedDirectory(full, entry.name) &&
          !entry.name.startsWith('.') &&
          !isIgnored(full) &&
          !outputs.skips(full, OUTPUT_NAMES.has(entry.name))
        )
          walk(full, false, entry.isDirectory() ? path.join(real, entry.name) : undefined);
      } else if (entry.isFile()) {
        // A regular file of a folder whose real path is known: no call to the disk (8,000 files on gauzy).
        addFile(full, false, path.join(real, entry.name));
      } else if (entry.isSymbolicLink()) {
        addFile(full, false);
      } else if (isSourceFile(entry.name) && !isIgnored(full)) {
        // A FIFO, socket or device with a source file's name: never opened.
        const kind = entry.isFIFO()
          ? 'a FIFO (named pipe)'
          : entry.isSocket()
            ? 'a socket'
            : entry.isCharacterDevice()
              ? 'a character device'
              : entry.isBlockDevice()
                ? 'a block device'
                : 'not a regular file';
        result.problems.push({ filePath: full, message: `is ${kind}; skipped` });
      }
    }
  };

  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    if (contents?.has(absolute) && !fs.existsSync(absolute)) {
      addFile(absolute, true);
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch (error) {
      result.problems.push({ filePath: absolute, message: statProblem(error), explicit: true });
      continue;
    }
    const before = result.files.length;
    if (stat.isDirectory()) walk(absolute, true);
    else addFile(absolute, true);
    if (stat.isDirectory() && result.files.length === before) {
      result.warnings.push(`no TypeScript or JavaScript files found in ${path.relative(cwd, absolute) || '.'}`);
    }
  }
  return result;
}

/**
 * The build outputs of the folders walked so far: every tsconfig's `outDir` (skipped whatever its
 * name), and, for folders named like outputs, the paths a `.gitignore` ignores.
 */
class OutputFolders {
  private readonly outDirs = new Set<string>();
  private readonly ignores: { base: string; matches: GlobMatcher; anchored: boolean }[] = [];

  learn(directory: string, entries: readonly fs.Dirent[]): void {
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      if (/^tsconfig(\.[\w-]+)?\.json$/.test(entry.name)) {
        const outDir = readOutDir(path.join(directory, entry.name));
        if (outDir) this.outDirs.add(path.resolve(directory, outDir));
      } else if (entry.name === '.gitignore') {
        let text = '';
        try {
          text = fs.readFileSync(path.join(directory, entry.name), 'utf8');
        } catch {
          continue;
        }
        for (const raw of text.split(/\r?\n/)) {
          const line = raw.trim();
          if (!line || line.startsWith('#') || line.startsWith('!')) continue;
          const stripped = line.replace(/\/+$/, '');
          const anchored = stripped.includes('/');
          const glob = stripped.replace(/^\//, '');
          if (glob) this.ignores.push({ base: directory, matches: globMatcher(glob), anchored });
        }
      }
    }
  }

  /** Whether a folder is a build output: a tsconfig's `outDir`, or (named like one) ignored by git. */
  skips(directory: string, outputName: boolean): boolean {
    const full = path.resolve(directory);
    if (this.outDirs.has(full)) return true;
    if (!outputName) return false;
    return this.ignores.some(({ base, matches, anchored }) => {
      const relative = path.relative(base, full);
      if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
      return matches(anchored ? relative.split(path.sep).join('/') : path.basename(full));
    });
  }
}

/** A tsconfig's own `compilerOptions.outDir` (JSON with comments: read by pattern). */
function readOutDir(file: string): string | undefined {
  try {
    const text = fs
      .readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    return /"outDir"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

export interface ReadSource {
  text?: string;
  problem?: string;
}

const READ_CHUNK = 64 * 1024;

/**
 * Reads a source file, bounded: a symlink is followed only to a regular file; devices, FIFOs and
 * sockets are refused (the file is opened non-blocking and judged by what was opened, so a FIFO
 * cannot hang the read); at most `maxBytes` are read, whatever `stat` says; a file with NUL bytes
 * in its first 8 KB is binary. A file in `contents` (standard input, fixes not written yet) is read
 * from there. Never throws.
 */
export function readSourceFile(
  file: string,
  contents?: ReadonlyMap<string, string>,
  maxBytes = MAX_FILE_BYTES,
): ReadSource {
  const given = contents?.get(file);
  if (given !== undefined) return { text: given };
  const tooLarge = (size?: number): ReadSource => ({
    problem: `is larger than ${maxBytes / 1024 / 1024} MB${size !== undefined ? ` (${(size / 1024 / 1024).toFixed(1)} MB)` : ''}; skipped`,
  });
  // Opened first, then judged: a `stat` before the open was one more call to the disk per file.
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { problem: unopenedProblem(file, error) };
  }
  try {
    const stat = fs.fstatSync(fd);
    const notText = notAFile(stat);
    if (notText) return { problem: notText };
    if (stat.size > maxBytes) return tooLarge(stat.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, maxBytes + 1 - total));
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
      total += read;
      if (total > maxBytes) return tooLarge();
      // A regular file reads short only at its end: no further call to find that out.
      if (read < chunk.length) break;
    }
    const buffer = Buffer.concat(chunks, total);
    if (buffer.subarray(0, 8192).includes(0)) return { problem: 'is a binary file; skipped' };
    return { text: buffer.toString('utf8') };
  } catch (error) {
    return { problem: `cannot be read (${errorCode(error)})` };
  } finally {
    fs.closeSync(fd);
  }
}

/** Why a file could not be opened: what it is (a socket, a symlink to nothing), or the error. */
function unopenedProblem(file: string, error: unknown): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (statError) {
    return statProblem(statError);
  }
  return notAFile(stat) ?? `cannot be read (${errorCode(error)})`;
}

/** Why what `stat` describes is not read as a source file: a folder, a device, a FIFO, a socket. */
function notAFile(stat: fs.Stats): string | undefined {
  if (stat.isDirectory()) return 'is a folder; skipped';
  const special = specialKind(stat);
  return special && `is ${special}; skipped`;
}

/** The bounded read for callers that only want the text (TypeScript's hosts): undefined when it cannot be had. */
export function readSourceText(file: string, contents?: ReadonlyMap<string, string>): string | undefined {
  return readSourceFile(file, contents).text;
}
