/**
 * One lint run for the CLI: collect files, prefilter them by text, load only the broker files
 * (and what they import) into a ts-morph project from the nearest tsconfig, and analyse them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, ts } from 'ts-morph';
import { LintInputError, type LintRequest, type LintRun } from './api';
import { analyzeFiles } from './report/build';
import { collectFiles, readSource } from './files';
import type { FileProblem } from '../model';
import { mentionsBroker } from './prefilter';
import { WorkspacePackage, findWorkspacePackages, workspacePaths } from './workspaces';

/** Options that make any project loadable for analysis, whatever its tsconfig says. Shared with the server. */
export const ANALYSIS_OVERRIDES: ts.CompilerOptions = { noEmit: true, allowJs: true, skipLibCheck: true, checkJs: false };

/** The language settings assumed for a project without a tsconfig.json. Shared with the server. */
export const NO_TSCONFIG_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  esModuleInterop: true,
  experimentalDecorators: true,
};

const DEFAULT_OPTIONS: ts.CompilerOptions = { ...ANALYSIS_OVERRIDES, ...NO_TSCONFIG_OPTIONS, strict: true };

export function findTsconfig(start: string): string | undefined {
  let directory = fs.existsSync(start) && fs.statSync(start).isDirectory() ? start : path.dirname(start);
  for (;;) {
    const candidate = path.join(directory, 'tsconfig.json');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

export interface LoadedProgram {
  program: ts.Program;
  project: Project;
  tsconfigPath?: string;
  warnings: string[];
}

/** A TypeScript program whose roots are the given files, with the project's compiler options. */
export function loadProgram(rootFiles: readonly string[], tsconfigPath: string | undefined, explicit: boolean, workspaceRoot?: string): LoadedProgram {
  const warnings: string[] = [];
  let project: Project | undefined;
  if (tsconfigPath) {
    try {
      project = new Project({ tsConfigFilePath: tsconfigPath, skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true, compilerOptions: ANALYSIS_OVERRIDES });
      const diagnostics = project.getConfigFileParsingDiagnostics?.() ?? [];
      const firstError = diagnostics.find((diagnostic) => diagnostic.getCategory() === ts.DiagnosticCategory.Error);
      if (firstError) {
        const message = ts.flattenDiagnosticMessageText(firstError.compilerObject.messageText, ' ');
        if (explicit) throw new LintInputError(`${tsconfigPath}: ${message}`);
        warnings.push(`${tsconfigPath}: ${message}; analysing with default compiler options`);
        project = undefined;
      }
    } catch (error) {
      if (error instanceof LintInputError) throw error;
      const message = `${tsconfigPath} could not be read (${(error as Error).message.split('\n')[0]})`;
      if (explicit) throw new LintInputError(message);
      warnings.push(`${message}; analysing with default compiler options`);
      project = undefined;
    }
  } else {
    warnings.push('no tsconfig.json found; analysing with default compiler options');
  }
  if (!project) project = new Project({ compilerOptions: DEFAULT_OPTIONS, skipFileDependencyResolution: true });
  // Sibling packages of a monorepo that was never installed: map their names to their sources.
  const root = workspaceRoot ?? (tsconfigPath ? path.dirname(tsconfigPath) : undefined);
  const options = project.getCompilerOptions();
  const paths = root ? workspacePaths(root, options.paths as Record<string, string[]> | undefined) : undefined;
  if (paths) project.compilerOptions.set({ paths });
  for (const file of rootFiles) project.addSourceFileAtPath(file);
  return { program: project.getProgram().compilerObject, project, tsconfigPath, warnings };
}

export function runLint(request: LintRequest): LintRun {
  const collected = collectFiles(request.paths, request.cwd, request.config.ignore);
  const problems: FileProblem[] = [...collected.problems];
  const candidates: string[] = [];
  const others = new Map<string, string>();
  for (const file of collected.files) {
    const source = readSource(file);
    if (source.problem) problems.push({ filePath: file, message: source.problem });
    else if (source.text !== undefined && mentionsBroker(source.text)) candidates.push(file);
    else if (source.text !== undefined) others.set(file, source.text);
  }
  const warnings = [...collected.warnings];
  if (!candidates.length) {
    return { consumers: [], findings: [], problems, filesLinted: collected.files, filesAnalyzed: 0, warnings };
  }
  const explicit = request.project !== undefined;
  const tsconfigPath = request.project ?? findTsconfig(request.paths[0] ?? request.cwd);
  const loaded = loadProgram(candidates, tsconfigPath, explicit, request.cwd);
  warnings.push(...loaded.warnings);
  for (const file of candidates) {
    const sourceFile = loaded.program.getSourceFile(file);
    const syntax = sourceFile ? loaded.program.getSyntacticDiagnostics(sourceFile) : [];
    if (syntax.length) {
      const first = syntax[0];
      const line = first.start !== undefined ? sourceFile!.getLineAndCharacterOfPosition(first.start).line + 1 : 0;
      problems.push({ filePath: file, message: `has syntax errors (line ${line}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}); analysed what could be parsed` });
    }
  }
  let result = analyzeFiles({ program: loaded.program, files: candidates, config: request.config, onProgress: request.onProgress });
  // Second pass: files that call a wrapper (a function that registers a consumer with a callback)
  // are consumers too; only the files that name a wrapper and import its module are added.
  const callers = wrapperCallers(result.unresolvedWrappers ?? [], others, findWorkspacePackages(request.cwd));
  if (callers.length) {
    for (const file of callers) loaded.project.addSourceFileAtPath(file);
    const program = loaded.project.getProgram().compilerObject;
    result = analyzeFiles({ program, files: [...candidates, ...callers], brokerFiles: candidates, config: request.config, onProgress: request.onProgress });
  }
  return {
    ...result,
    problems: [...problems, ...result.problems],
    filesLinted: collected.files,
    filesAnalyzed: candidates.length + callers.length,
    tsconfigPath: loaded.tsconfigPath,
    warnings,
  };
}

const IMPORT_SPECIFIER = /(?:from\s*|require\s*\(\s*|import\s*\(\s*)['"]([^'"]+)['"]/g;

/**
 * Files that mention a wrapper's name and import the module that defines it: relatively, or
 * through the name of the workspace package that holds it.
 */
export function wrapperCallers(wrappers: readonly { name: string; filePath: string }[], texts: ReadonlyMap<string, string>, workspaces: readonly WorkspacePackage[] = []): string[] {
  if (!wrappers.length) return [];
  const modules = new Set(wrappers.map((wrapper) => wrapper.filePath.replace(/\.[cm]?[jt]sx?$/, '').replace(/\/index$/, '')));
  const names = wrappers.map((wrapper) => new RegExp(`\\b${wrapper.name.replace(/[$]/g, '\\$')}\\b`));
  const callers: string[] = [];
  for (const [file, text] of texts) {
    if (!names.some((name) => name.test(text))) continue;
    for (const match of text.matchAll(IMPORT_SPECIFIER)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(file), specifier).replace(/\.[cm]?js$/, '').replace(/\/index$/, '');
        if (!modules.has(target)) continue;
      } else {
        const workspace = workspaces.find((candidate) => specifier === candidate.name || specifier.startsWith(`${candidate.name}/`));
        if (!workspace || !wrappers.some((wrapper) => wrapper.filePath.startsWith(workspace.directory + path.sep))) continue;
      }
      callers.push(file);
      break;
    }
  }
  return callers;
}
