/**
 * Which files to lint: the paths given, walked for TypeScript and JavaScript sources, with
 * dependency folders and build outputs skipped, symlink loops cut, and odd files reported, not
 * crashed on. Build outputs are every tsconfig's `outDir`, and the folders named like one
 * (`build/`, `out/`) that hold no TypeScript source or that a `.gitignore` ignores (docs/model.md,
 * "Finding the project and its consumers").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileProblem } from '../model';

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

/** Converts a glob (`**`, `*`, `?`) to a regular expression over '/'-separated relative paths. */
function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*' && glob[index + 1] === '*') {
      pattern += '.*';
      index++;
      if (glob[index + 1] === '/') index++;
    } else if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

/** Whether `ignore` patterns (globs over paths relative to `cwd`) leave `file` out. */
export function isIgnoredPath(file: string, cwd: string, ignore: readonly string[]): boolean {
  const relative = path.relative(cwd, file).split(path.sep).join('/');
  return ignore.some((pattern) => globToRegExp(pattern).test(relative));
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
  const result: CollectedFiles = { files: [], problems: [], warnings: [] };
  const ignored = ignore.map(globToRegExp);
  const isIgnored = (file: string): boolean => {
    const relative = path.relative(cwd, file).split(path.sep).join('/');
    return ignored.some((pattern) => pattern.test(relative));
  };
  const seenFiles = new Set<string>();
  const visitedDirectories = new Set<string>();
  /** Build outputs and git-ignored folders, learnt from the tsconfigs and `.gitignore`s of the folders walked. */
  const outputs = new OutputFolders();

  const addFile = (file: string, explicit: boolean): void => {
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
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch (error) {
      result.problems.push({
        filePath: file,
        message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      });
      return;
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    result.files.push(path.resolve(file));
  };

  const walk = (directory: string): void => {
    let real: string;
    try {
      real = fs.realpathSync(directory);
    } catch (error) {
      result.problems.push({
        filePath: directory,
        message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      });
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
        message: `cannot be listed (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
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
          walk(full);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        addFile(full, false);
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
      const code = (error as NodeJS.ErrnoException).code;
      result.problems.push({
        filePath: absolute,
        message: code === 'ELOOP' ? 'is a symlink loop; skipped' : `cannot be read (${code ?? 'error'})`,
      });
      continue;
    }
    const before = result.files.length;
    if (stat.isDirectory()) walk(absolute);
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
  private readonly ignores: { base: string; pattern: RegExp; anchored: boolean }[] = [];

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
          if (glob) this.ignores.push({ base: directory, pattern: globToRegExp(glob), anchored });
        }
      }
    }
  }

  /** Whether a folder is a build output: a tsconfig's `outDir`, or (named like one) ignored by git. */
  skips(directory: string, outputName: boolean): boolean {
    const full = path.resolve(directory);
    if (this.outDirs.has(full)) return true;
    if (!outputName) return false;
    return this.ignores.some(({ base, pattern, anchored }) => {
      const relative = path.relative(base, full);
      if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
      return pattern.test(anchored ? relative.split(path.sep).join('/') : path.basename(full));
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

/**
 * Reads a source file for the prefilter; huge and binary files are reported and skipped. A file in
 * `contents` is read from there.
 */
export function readSource(file: string, contents?: ReadonlyMap<string, string>): ReadSource {
  const given = contents?.get(file);
  if (given !== undefined) return { text: given };
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_FILE_BYTES)
      return {
        problem: `is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB (${(size / 1024 / 1024).toFixed(1)} MB); skipped`,
      };
    const buffer = fs.readFileSync(file);
    if (buffer.subarray(0, 8192).includes(0)) return { problem: 'is a binary file; skipped' };
    return { text: buffer.toString('utf8') };
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}
