/**
 * One lint run for the CLI (`runLint`, the LintRequest/LintRun API of api.ts): collect files,
 * prefilter them by text, load only the broker files (and what they import) into a program from the
 * nearest tsconfig (program.ts), and analyse them (analyze.ts), adding the files that call a
 * wrapper (a function whose callers supply a consumer's handler) until there are none left to add.
 */
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { LintRequest, LintRun } from './api';
import { analyzeReached } from './analyze';
import { collectFiles, readSource } from './files';
import type { FileProblem } from '../model';
import { mentionsBroker } from './prefilter';
import { findTsconfig, loadProgram } from './program';
import { WorkspacePackage, findWorkspacePackages } from './workspaces';

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
  // Files that call a wrapper (a function whose callers supply a consumer's handler) are consumers
  // too: they are added as roots, and the project analysed again, until no wrapper has callers left
  // to add (a caller may forward its own callback, making it a wrapper in turn).
  const workspaces = findWorkspacePackages(request.cwd);
  const compilerOptions = loaded.program.getCompilerOptions();
  let files = [...candidates];
  let callers: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const discovered = analyzeReached(loaded, {
      files,
      brokerFiles: candidates,
      config: request.config,
      discoverOnly: true,
    });
    const added = wrapperCallers(discovered.wrappers ?? [], others, compilerOptions, workspaces);
    if (!added.length) break;
    loaded.addRoots(added);
    for (const file of added) others.delete(file);
    callers = [...callers, ...added];
    files = [...files, ...added];
  }
  const result = analyzeReached(loaded, {
    files,
    brokerFiles: candidates,
    config: request.config,
    onProgress: request.onProgress,
    timelines: request.timelines,
  });
  return {
    ...result,
    problems: [...problems, ...result.problems],
    filesLinted: collected.files,
    filesAnalyzed: candidates.length + callers.length,
    tsconfigPath: loaded.tsconfigPath,
    warnings: [...warnings, ...loaded.warnings],
  };
}

/** How many times callers of wrappers are added: a chain of wrappers across that many files. */
const MAX_ROUNDS = 4;

const IMPORT_SPECIFIER = /(?:from\s*|require\s*\(\s*|import\s*\(\s*)['"]([^'"]+)['"]/g;
const RE_EXPORT = /export\s+(?:\*|\{[^}]*\}|\*\s+as\s+\w+)\s*from\s*['"]([^'"]+)['"]/g;

/**
 * Files that mention a wrapper's name and import a module that holds it (or an interface it
 * implements): through a relative path, a tsconfig `paths` alias, a workspace package's name, or an
 * index that re-exports it.
 */
function wrapperCallers(
  wrappers: readonly { name: string; filePaths: string[] }[],
  texts: ReadonlyMap<string, string>,
  options: ts.CompilerOptions,
  workspaces: readonly WorkspacePackage[] = [],
): string[] {
  if (!wrappers.length) return [];
  const modules = new Set(wrappers.flatMap((wrapper) => wrapper.filePaths));
  const names = new RegExp(
    `\\b(?:${[...new Set(wrappers.map((wrapper) => wrapper.name.replace(/[$]/g, '\\$')))].join('|')})\\b`,
  );
  const reExporting = new Map<string, boolean>();
  const leadsToModule = (file: string, depth: number): boolean => {
    if (modules.has(file)) return true;
    if (depth > 3) return false;
    const known = reExporting.get(file);
    if (known !== undefined) return known;
    reExporting.set(file, false); // cycles
    let text: string | undefined = texts.get(file);
    if (text === undefined) text = readSource(file).text;
    let leads = false;
    for (const match of (text ?? '').matchAll(RE_EXPORT)) {
      const target = resolveImport(match[1], file, options);
      if (target && leadsToModule(target, depth + 1)) {
        leads = true;
        break;
      }
    }
    reExporting.set(file, leads);
    return leads;
  };
  const callers: string[] = [];
  for (const [file, text] of texts) {
    if (!names.test(text)) continue;
    for (const match of text.matchAll(IMPORT_SPECIFIER)) {
      const specifier = match[1];
      const target = resolveImport(specifier, file, options);
      const workspace =
        !target || !leadsToModule(target, 0)
          ? workspaces.find(
              (candidate) =>
                (specifier === candidate.name || specifier.startsWith(`${candidate.name}/`)) &&
                [...modules].some((module) => module.startsWith(candidate.directory + path.sep)),
            )
          : undefined;
      if (!(target && leadsToModule(target, 0)) && !workspace) continue;
      callers.push(file);
      break;
    }
  }
  return callers;
}

/** The project file an import specifier resolves to (relative, `paths`, workspace packages), if any. */
function resolveImport(specifier: string, from: string, options: ts.CompilerOptions): string | undefined {
  try {
    const resolved = ts.resolveModuleName(specifier, from, options, ts.sys).resolvedModule;
    if (!resolved || /[\\/]node_modules[\\/]/.test(resolved.resolvedFileName)) return undefined;
    return path.resolve(resolved.resolvedFileName);
  } catch {
    return undefined;
  }
}
