/**
 * Program loading, the one way the CLI and the language server turn a folder into compiler
 * options and a TypeScript program:
 *
 * - `findTsconfig`: the nearest tsconfig.json above a path;
 * - `readTsconfig`: its compiler options and its errors, in TypeScript's words;
 * - `analysisOptions`: those options with ANALYSIS_OVERRIDES on top, or DEFAULT_COMPILER_OPTIONS
 *   without a usable tsconfig;
 * - `loadProgram`: the CLI's batch program (a ts-morph project holding only the broker files and
 *   what they import). The server builds an incremental one over the same options
 *   (workspace-project.ts).
 *
 * What a tsconfig error does is the caller's policy: the CLI stops on an explicit --project and
 * otherwise falls back to the defaults with a warning; the server logs it and keeps what parsed.
 *
 * The analysis never reads installed packages (`node_modules`): only the project's own sources,
 * the workspace packages of a monorepo, and TypeScript's ES library. Findings are the same on a
 * fresh CI checkout as on a developer's machine, and a 50-file service loads 50 files, not the
 * thousands of declaration files of its dependencies (docs/model.md, "What the analysis cannot see").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, ts } from 'ts-morph';
import { LintInputError } from './api';
import { workspacePaths } from './workspaces';

/** Options that make any project loadable for analysis, whatever its tsconfig says. */
export const ANALYSIS_OVERRIDES: ts.CompilerOptions = {
  noEmit: true,
  allowJs: true,
  skipLibCheck: true,
  checkJs: false,
  // No @types packages, and the ES library without the DOM's 2 MB: nothing installed is read.
  types: [],
  lib: ['lib.es2023.d.ts'],
};

/** Whether a resolved module is an installed package rather than the project's own source. */
function isInstalledPackage(resolved: ts.ResolvedModuleFull | undefined): boolean {
  return (
    !!resolved &&
    (resolved.isExternalLibraryImport === true || /[\\/]node_modules[\\/]/.test(resolved.resolvedFileName))
  );
}

/**
 * Module resolution for analysis: TypeScript's own, except that installed packages resolve to
 * nothing (an import of `kafkajs` is read from its declaration, not from its types).
 */
export function resolveProjectModules(
  moduleNames: readonly string[],
  containingFile: string,
  options: ts.CompilerOptions,
  host: ts.ModuleResolutionHost,
  cache?: ts.ModuleResolutionCache,
): (ts.ResolvedModuleFull | undefined)[] {
  return moduleNames.map((name) => {
    const resolved = ts.resolveModuleName(name, containingFile, options, host, cache).resolvedModule;
    return isInstalledPackage(resolved) ? undefined : resolved;
  });
}

/** The options for a project without a usable tsconfig.json. */
export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  ...ANALYSIS_OVERRIDES,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  esModuleInterop: true,
  experimentalDecorators: true,
  strict: true,
};

/**
 * The nearest tsconfig.json in `start` (a folder or a file's folder) or a folder above it. A folder
 * with only a tsconfig.base.json counts too: the root of an Nx-style monorepo has only that, and its
 * `paths` map the workspace libraries' import names to their sources.
 */
export function findTsconfig(start: string): string | undefined {
  let directory = fs.existsSync(start) && fs.statSync(start).isDirectory() ? start : path.dirname(start);
  for (;;) {
    for (const name of ['tsconfig.json', 'tsconfig.base.json']) {
      const candidate = path.join(directory, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

export interface TsconfigError {
  /** TypeScript's message, on one line. */
  message: string;
  /** The file could not be read, or is not JSON: nothing of it was used. */
  unreadable?: boolean;
  /** TS18003: no file matches its `include`/`files` (harmless when the roots are given). */
  noInputs?: boolean;
}

export interface TsconfigReading {
  /** The compiler options it sets (`extends` followed, `paths` resolved), unless it is unreadable. */
  options?: ts.CompilerOptions;
  errors: TsconfigError[];
}

/** Reads a tsconfig.json the way TypeScript does, collecting its errors instead of throwing. */
export function readTsconfig(tsconfigPath: string): TsconfigReading {
  let text: string;
  try {
    text = fs.readFileSync(tsconfigPath, 'utf8');
  } catch (error) {
    return { errors: [{ message: (error as Error).message.split('\n')[0], unreadable: true }] };
  }
  const json = ts.parseConfigFileTextToJson(tsconfigPath, text);
  if (json.error)
    return {
      errors: [
        { message: ts.flattenDiagnosticMessageText(json.error.messageText, '\n').split('\n')[0], unreadable: true },
      ],
    };
  const parsed = ts.parseJsonConfigFileContent(
    json.config,
    ts.sys,
    path.dirname(tsconfigPath),
    undefined,
    tsconfigPath,
  );
  const errors = parsed.errors
    .filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
    .map((diagnostic) => ({
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '),
      ...(diagnostic.code === 18003 ? { noInputs: true } : {}),
    }));
  return { options: parsed.options, errors };
}

/** The options a program is analysed with: the tsconfig's with ANALYSIS_OVERRIDES, or the defaults. */
export function analysisOptions(options: ts.CompilerOptions | undefined): ts.CompilerOptions {
  return options ? { ...options, ...ANALYSIS_OVERRIDES } : { ...DEFAULT_COMPILER_OPTIONS };
}

export interface LoadedProgram {
  program: ts.Program;
  project: Project;
  tsconfigPath?: string;
  warnings: string[];
}

/**
 * The CLI's program: the given root files with the project's compiler options. A tsconfig with
 * errors stops an explicit --project (LintInputError) and is otherwise replaced by the defaults.
 */
export function loadProgram(
  rootFiles: readonly string[],
  tsconfigPath: string | undefined,
  explicit: boolean,
  workspaceRoot?: string,
): LoadedProgram {
  const warnings: string[] = [];
  let options: ts.CompilerOptions | undefined;
  if (tsconfigPath) {
    const reading = readTsconfig(tsconfigPath);
    const [first] = reading.errors;
    if (first) {
      const message = first.unreadable
        ? `${tsconfigPath} could not be read (${first.message})`
        : `${tsconfigPath}: ${first.message}`;
      if (explicit) throw new LintInputError(message);
      warnings.push(`${message}; analysing with default compiler options`);
    } else {
      options = reading.options;
    }
  } else {
    warnings.push('no tsconfig.json found; analysing with default compiler options');
  }
  const project = new Project({
    compilerOptions: analysisOptions(options),
    skipFileDependencyResolution: true,
    resolutionHost: (moduleResolutionHost, getCompilerOptions) => {
      const cache = ts.createModuleResolutionCache(process.cwd(), (name) => name, getCompilerOptions());
      return {
        resolveModuleNames: (moduleNames, containingFile) =>
          resolveProjectModules(moduleNames, containingFile, getCompilerOptions(), moduleResolutionHost, cache),
        resolveTypeReferenceDirectives: (names) => names.map(() => undefined),
      };
    },
  });
  // Sibling packages of a monorepo that was never installed: map their names to their sources.
  const root = workspaceRoot ?? (tsconfigPath ? path.dirname(tsconfigPath) : undefined);
  const paths = root ? workspacePaths(root, project.getCompilerOptions().paths) : undefined;
  if (paths) project.compilerOptions.set({ paths });
  for (const file of rootFiles) project.addSourceFileAtPath(file);
  return { program: project.getProgram().compilerObject, project, tsconfigPath, warnings };
}
