/**
 * One lint run for the CLI (`runLint`, the LintRequest/LintRun API of api.ts): collect files,
 * prefilter them by text, load only the broker files (and what they import) into a program from the
 * nearest tsconfig (program.ts), and analyse them (analyze.ts); then a second pass over the files
 * that call a wrapper found in the first.
 */
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { LintRequest, LintRun } from './api';
import { analyzeReached } from './analyze';
import { collectFiles, readSourceFile } from './files';
import type { FileProblem } from '../model';
import { mentionsBroker } from './prefilter';
import { findTsconfig, loadProgram } from './program';
import { WorkspacePackage, findWorkspacePackages } from './workspaces';

export function runLint(request: LintRequest): LintRun {
  const collected = collectFiles(request.paths, request.cwd, request.config.ignore);
  const explicit = new Set(collected.explicit);
  const problems: FileProblem[] = [...collected.problems];
  const candidates: string[] = [];
  const unreadable = new Set<string>();
  const others = new Map<string, string>();
  for (const file of collected.files) {
    const source = readSourceFile(file);
    if (source.problem) {
      unreadable.add(file);
      problems.push({ filePath: file, message: source.problem, ...(explicit.has(file) ? { explicit: true } : {}) });
    } else if (source.text !== undefined && mentionsBroker(source.text)) {
      candidates.push(file);
    } else if (source.text !== undefined) others.set(file, source.text);
  }
  const warnings = [...collected.warnings];
  const filesLinted = collected.files.filter((file) => !unreadable.has(file));
  if (!candidates.length) {
    return { consumers: [], findings: [], problems, filesLinted, filesAnalyzed: 0, warnings };
  }
  const explicitProject = request.project !== undefined;
  const tsconfigPath = request.project ?? findTsconfig(request.paths[0] ?? request.cwd);
  const loaded = loadProgram(candidates, tsconfigPath, explicitProject, request.cwd);
  for (const file of candidates) {
    const sourceFile = loaded.program.getSourceFile(file);
    const syntax = sourceFile ? loaded.program.getSyntacticDiagnostics(sourceFile) : [];
    if (syntax.length) {
      const first = syntax[0];
      const line = first.start !== undefined ? sourceFile!.getLineAndCharacterOfPosition(first.start).line + 1 : 0;
      problems.push({
        filePath: file,
        message: `has syntax errors (line ${line}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}); analysed what could be parsed`,
      });
    }
  }
  let result = analyzeReached(loaded, {
    files: candidates,
    config: request.config,
    onProgress: request.onProgress,
    timelines: request.timelines,
    budget: request.budget,
  });
  // Second pass: files that call a wrapper (a function that registers a consumer with a callback)
  // are consumers too; only the files that name a wrapper and import its module are added.
  const callers = wrapperCallers(result.unresolvedWrappers ?? [], others, findWorkspacePackages(request.cwd));
  if (callers.length) {
    loaded.addRoots(callers);
    result = analyzeReached(loaded, {
      files: [...candidates, ...callers],
      brokerFiles: candidates,
      config: request.config,
      onProgress: request.onProgress,
      timelines: request.timelines,
      budget: request.budget,
    });
  }
  // Files left out of the program (nested too deeply, unreadable imports): named, with why.
  const skipped = loaded.problems;
  const skippedFiles = new Set(skipped.map((problem) => problem.filePath));
  return {
    ...result,
    problems: [...problems, ...skipped, ...result.problems.filter((problem) => !skippedFiles.has(problem.filePath))],
    filesLinted,
    filesAnalyzed: candidates.length + callers.length,
    tsconfigPath: loaded.tsconfigPath,
    warnings: [...warnings, ...loaded.warnings],
  };
}

const IMPORT_SPECIFIER = /(?:from\s*|require\s*\(\s*|import\s*\(\s*)['"]([^'"]+)['"]/g;

/**
 * Files that mention a wrapper's name and import the module that defines it: relatively, or
 * through the name of the workspace package that holds it.
 */
function wrapperCallers(
  wrappers: readonly { name: string; filePath: string }[],
  texts: ReadonlyMap<string, string>,
  workspaces: readonly WorkspacePackage[] = [],
): string[] {
  if (!wrappers.length) return [];
  const modules = new Set(
    wrappers.map((wrapper) => wrapper.filePath.replace(/\.[cm]?[jt]sx?$/, '').replace(/\/index$/, '')),
  );
  const names = wrappers.map((wrapper) => new RegExp(`\\b${wrapper.name.replace(/[$]/g, '\\$')}\\b`));
  const callers: string[] = [];
  for (const [file, text] of texts) {
    if (!names.some((name) => name.test(text))) continue;
    for (const match of text.matchAll(IMPORT_SPECIFIER)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) {
        const target = path
          .resolve(path.dirname(file), specifier)
          .replace(/\.[cm]?js$/, '')
          .replace(/\/index$/, '');
        if (!modules.has(target)) continue;
      } else {
        const workspace = workspaces.find(
          (candidate) => specifier === candidate.name || specifier.startsWith(`${candidate.name}/`),
        );
        if (!workspace || !wrappers.some((wrapper) => wrapper.filePath.startsWith(workspace.directory + path.sep)))
          continue;
      }
      callers.push(file);
      break;
    }
  }
  return callers;
}
