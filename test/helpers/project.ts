/**
 * Test projects on disk. `typed` projects live inside the repository so module resolution finds
 * the broker libraries' types in its node_modules; `untyped` ones live in the OS temp folder,
 * where nothing resolves: the CI-without-node_modules case.
 */
import type { BudgetLimits } from '../../server/src/analysis/dataflow/budget';
import type { TimelineMode } from '../../server/src/analysis/report/build';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import typescript from 'typescript';
import { analyzeReached } from '../../server/src/pipeline/analyze';
import type { AnalysisResult, Finding, FixSuggestion } from '../../server/src/model';
import { loadProgram } from '../../server/src/pipeline/program';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../../server/src/config/resolved-config';

export type Mode = 'typed' | 'untyped';
export const MODES: readonly Mode[] = ['typed', 'untyped'];

const REPO = path.resolve(__dirname, '..', '..');

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    experimentalDecorators: true,
    noEmit: true,
  },
};

/** What tsc says of a file, with the project's tsconfig and the installed types (typed mode). */
export function typeErrors(tsconfigPath: string, rootFiles: readonly string[], file: string): string[] {
  // The project's TypeScript (tsc's), with its lib files on disk; ts-morph's copy keeps them in memory.
  const config = typescript.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    { ...typescript.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  const program = typescript.createProgram({
    rootNames: [...rootFiles],
    // Node's own types, as a project that runs on Node has them (TypeScript 6 includes no @types by default).
    options: { ...(config?.options ?? {}), types: config?.options.types ?? ['node'], noEmit: true },
  });
  const sourceFile = program.getSourceFile(file);
  if (!sourceFile) return [`${file} is not in the program`];
  return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map(
    (diagnostic) =>
      typeof diagnostic.messageText === 'string' ? diagnostic.messageText : diagnostic.messageText.messageText,
  );
}

export function configWith(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return { ...structuredClone(DEFAULT_CONFIG), ...overrides };
}

export class TestProject {
  readonly root: string;

  constructor(
    readonly mode: Mode,
    label: string,
  ) {
    const base = mode === 'typed' ? path.join(REPO, '.tmp') : os.tmpdir();
    fs.mkdirSync(base, { recursive: true });
    this.root = fs.mkdtempSync(path.join(base, `dl-${label.replace(/\W+/g, '-')}-`));
    fs.writeFileSync(path.join(this.root, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  }

  /** Writes files (paths relative to the project root) and returns their absolute paths. */
  write(files: Record<string, string>): string[] {
    return Object.entries(files).map(([relative, text]) => {
      const absolute = path.join(this.root, relative);
      fs.mkdirSync(path.dirname(absolute), { recursive: true });
      fs.writeFileSync(absolute, text);
      return absolute;
    });
  }

  path(relative: string): string {
    return path.join(this.root, relative);
  }

  read(relative: string): string {
    return fs.readFileSync(this.path(relative), 'utf8');
  }

  /** Analyses the given files (all written files are loadable through imports). */
  analyze(
    files: readonly string[],
    config: ResolvedConfig = configWith(),
    options: { budget?: BudgetLimits; timelines?: TimelineMode } = {},
  ): AnalysisResult & { semanticErrors: (file: string) => string[] } {
    const loaded = loadProgram(files, path.join(this.root, 'tsconfig.json'), true);
    const result = analyzeReached(loaded, { files, config, ...options });
    return {
      ...result,
      // Type errors as tsc reports them: a program of its own that, unlike the analysis (which
      // never reads node_modules), resolves the installed packages' types.
      semanticErrors: (file: string) => typeErrors(path.join(this.root, 'tsconfig.json'), files, file),
    };
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Applies a fix's edits to the files on disk (edits of one file from the end backwards). */
export function applyFix(fix: FixSuggestion): void {
  const byFile = new Map<string, FixSuggestion['edits']>();
  for (const edit of fix.edits) byFile.set(edit.filePath, [...(byFile.get(edit.filePath) ?? []), edit]);
  for (const [file, edits] of byFile) {
    let text = fs.readFileSync(file, 'utf8');
    for (const edit of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
      text = text.slice(0, edit.start) + edit.newText + text.slice(edit.end);
    }
    fs.writeFileSync(file, text);
  }
}

/** A file's findings as `rule:line`, the file named by the end of its path (`jobs/insert.ts`). */
/** `class label` of every effect of the consumers registered in `file` (a path's last segments). */
export function effectLabelsIn(result: AnalysisResult, file: string): string[] {
  return result.consumers
    .filter((consumer) => consumer.registration.location.filePath.endsWith(`/${file}`))
    .flatMap((consumer) => consumer.effects.map((effect) => `${effect.description.class} ${effect.description.label}`));
}

export function findingLinesIn(result: AnalysisResult, file: string): string[] {
  return result.findings
    .filter((finding) => finding.location.filePath.endsWith(`/${file}`))
    .map((finding) => `${finding.ruleId}:${finding.location.line}`);
}

export function findingsOf(result: AnalysisResult, ruleId: string, file?: string): Finding[] {
  return result.findings.filter(
    (finding) => finding.ruleId === ruleId && (!file || finding.location.filePath === file),
  );
}
