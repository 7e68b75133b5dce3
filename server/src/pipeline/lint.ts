/**
 * One lint run for the CLI (`runLint`, the LintRequest/LintRun API of api.ts): collect files,
 * prefilter them by text, load only the broker files (and what they import) into a program from the
 * nearest tsconfig (program.ts), and analyse them (analyze.ts), adding the files that call a
 * wrapper (a function whose callers supply a consumer's handler) until there are none left to add.
 * With a cache (cache.ts) only the files whose inputs changed are analysed, and the rest of the
 * results come from the cache. Last, the suppression comments are checked (directives.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { LintRequest, LintRun } from './api';
import { analyzeReached, compareFindings, type AnalyzedFiles } from './analyze';
import {
  cacheKey,
  FileHashes,
  filesNaming,
  hashText,
  isGlobalText,
  resolutionProbe,
  reachedFiles,
  readCache,
  writeCache,
  type CachedWrapper,
  type CacheEntry,
  type CacheFile,
} from './cache';
import { directiveFindings } from './directives';
import { collectFiles, readSourceFile } from './files';
import type { ConsumerReport, FileProblem, Finding } from '../model';
import { mentionsBroker } from './prefilter';
import { findTsconfig, loadProgram, readTsconfig, type LoadedProgram } from './program';
import { WorkspacePackage, findWorkspacePackages } from './workspaces';

/** The linted files, read and sorted by the prefilter. */
interface Sources {
  /** Every linted file's text. */
  texts: Map<string, string>;
  /** Files that import a broker library (or show a library's call shape). */
  candidates: string[];
  /** The other linted files: where wrapper callers are looked for. */
  others: Map<string, string>;
}

interface ProgramSetting {
  tsconfigPath?: string;
  explicit: boolean;
  workspaces: WorkspacePackage[];
}

/** One analysis of some broker files (all of them, or those a cache could not answer for). */
interface Analysis {
  result: AnalyzedFiles;
  /** Files analysed because they call a wrapper. */
  callers: string[];
  /** Syntax errors of the broker files. */
  syntax: FileProblem[];
  loaded: LoadedProgram;
}

/** A cache entry in memory: the files it reaches by path (the file stores indexes into its table). */
type Entry = Omit<CacheEntry, 'deps'> & { deps: string[] };

export function runLint(request: LintRequest): LintRun {
  const contents = request.contents ?? new Map<string, string>();
  const collected = collectFiles(request.paths, request.cwd, request.config.ignore, contents);
  const explicit = new Set(collected.explicit);
  const problems: FileProblem[] = [...collected.problems];
  const sources: Sources = { texts: new Map(), candidates: [], others: new Map() };
  const unreadable = new Set<string>();
  for (const file of collected.files) {
    const source = readSourceFile(file, contents);
    if (source.problem) {
      unreadable.add(file);
      problems.push({ filePath: file, message: source.problem, ...(explicit.has(file) ? { explicit: true } : {}) });
    }
    if (source.text === undefined) continue;
    sources.texts.set(file, source.text);
    if (mentionsBroker(source.text)) sources.candidates.push(file);
    else sources.others.set(file, source.text);
  }
  const warnings = [...collected.warnings];
  const filesLinted = collected.files.filter((file) => !unreadable.has(file));
  let run: LintRun;
  if (!sources.candidates.length) {
    run = { consumers: [], findings: [], problems, filesLinted, filesAnalyzed: 0, warnings };
  } else {
    const setting: ProgramSetting = {
      tsconfigPath: request.project ?? findTsconfig(request.paths[0] ?? request.cwd),
      explicit: request.project !== undefined,
      workspaces: findWorkspacePackages(request.cwd),
    };
    const analysed = request.cache ? cachedRun(request, sources, setting) : fullRun(request, sources, setting);
    run = {
      ...analysed,
      problems: [...problems, ...analysed.problems],
      filesLinted,
      warnings: [...warnings, ...analysed.warnings],
    };
  }
  run.findings.push(
    ...directiveFindings({
      files: [...sources.texts.keys()],
      judged: new Set([...sources.candidates, ...run.consumers.map((consumer) => consumer.handlerRange.filePath)]),
      texts: sources.texts,
      findings: run.findings,
      suppressed: run.suppressed ?? [],
      consumers: run.consumers,
      config: request.config,
      unused: request.unusedDirectives,
    }),
  );
  run.findings.sort(compareFindings);
  return run;
}

/** Everything analysed in one program: the run without a cache. */
function fullRun(request: LintRequest, sources: Sources, setting: ProgramSetting): Omit<LintRun, 'filesLinted'> {
  const analysis = analyse(request, sources, setting, sources.candidates, []);
  const { result } = analysis;
  return {
    consumers: result.consumers,
    findings: result.findings,
    suppressed: result.suppressed,
    problems: [...analysis.syntax, ...result.problems],
    filesAnalyzed: sources.candidates.length + analysis.callers.length,
    tsconfigPath: analysis.loaded.tsconfigPath,
    warnings: analysis.loaded.warnings,
  };
}

/**
 * Loads `files` (broker files), with `roots` as extra roots of the program, and analyses them; then
 * the linted files that call a wrapper found among them.
 */
function analyse(
  request: LintRequest,
  sources: Sources,
  setting: ProgramSetting,
  files: readonly string[],
  roots: readonly string[],
): Analysis {
  const loaded = loadProgram(
    [...files, ...roots.filter((root) => !files.includes(root))],
    setting.tsconfigPath,
    setting.explicit,
    request.cwd,
    request.contents,
  );
  // Files that call a wrapper (a function whose callers supply a consumer's handler) are consumers
  // too: they are added as roots, and looked for again, until no wrapper has callers left to add (a
  // caller may forward its own callback, making it a wrapper in turn). The rounds only find the
  // consumers and wrappers; the reports and rules run once, over everything found.
  const others = new Map(sources.others);
  let linted = [...files];
  let callers: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const discovered = analyzeReached(
      loaded,
      { files: linted, brokerFiles: files, config: request.config, discoverOnly: true },
      others,
    );
    const added = wrapperCallers(discovered.wrappers, others, importResolver(loaded), setting.workspaces);
    if (!added.length) break;
    loaded.addRoots(added);
    for (const file of added) others.delete(file);
    callers = [...callers, ...added];
    linted = [...linted, ...added];
  }
  let result = analyzeReached(
    loaded,
    {
      files: linted,
      brokerFiles: files,
      config: request.config,
      onProgress: request.onProgress,
      timelines: request.timelines,
      budget: request.budget,
    },
    sources.others,
  );
  // Syntax errors are read from the program the analysis built: asked before it, they would build
  // a program of the broker files alone, then the analysis another with their imports (on gauzy
  // 0.4 s of 9.5 s, and 36 MiB).
  const syntax: FileProblem[] = [];
  for (const file of files) {
    const sourceFile = loaded.program.getSourceFile(file);
    const diagnostics = sourceFile ? loaded.program.getSyntacticDiagnostics(sourceFile) : [];
    if (diagnostics.length) {
      const first = diagnostics[0];
      const line = first.start !== undefined ? sourceFile!.getLineAndCharacterOfPosition(first.start).line + 1 : 0;
      syntax.push({
        filePath: file,
        message: `has syntax errors (line ${line}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}); analysed what could be parsed`,
      });
    }
  }
  // Files left out of the program (nested too deeply, unreadable imports): named, with why.
  const skipped = loaded.problems;
  const skippedFiles = new Set(skipped.map((problem) => problem.filePath));
  result = {
    ...result,
    problems: [...skipped, ...result.problems.filter((problem) => !skippedFiles.has(problem.filePath))],
  };
  return { result, callers, syntax, loaded };
}

// ---- the cached run ------------------------------------------------------------------------

function cachedRun(request: LintRequest, sources: Sources, setting: ProgramSetting): Omit<LintRun, 'filesLinted'> {
  const cache = request.cache!;
  const tsconfig = setting.tsconfigPath ? readTsconfig(setting.tsconfigPath) : undefined;
  const key = cacheKey({
    version: cache.version,
    config: { ...request.config, configPath: undefined },
    timelines: request.timelines ?? false,
    tsconfig: setting.tsconfigPath,
    compilerOptions: tsconfig?.options,
    tsconfigErrors: tsconfig?.errors,
    explicit: setting.explicit,
    workspaces: setting.workspaces,
  });
  const previous = readCache(cache.location);
  const hashes = new FileHashes(new Map([...(request.contents ?? []), ...sources.texts]));
  const plan = planRun(previous?.key === key ? previous : undefined, sources, hashes);

  let analysis: Analysis | undefined;
  let fresh = new Map<string, Entry>();
  let orphans = false;
  let wrappers = plan.wrappers;
  if (plan.stale.size) {
    // Analyse the stale files; a wrapper found among them pulls in every broker file that names it.
    const stale = new Set(plan.stale);
    for (let round = 0; ; round++) {
      const files = sources.candidates.filter((file) => stale.has(file));
      analysis = analyse(request, sources, setting, files, plan.roots);
      const known = (wrapper: { name: string; filePath: string }): boolean =>
        wrappers.some((other) => other.name === wrapper.name && other.filePath === wrapper.filePath);
      const missing = analysis.result.wrappers
        .filter((wrapper) => !known(wrapper))
        .flatMap((wrapper) => membersOf(wrapper, sources))
        .filter((file) => sources.candidates.includes(file) && !stale.has(file));
      if (!missing.length) break;
      for (const file of round < 3 ? missing : sources.candidates) stale.add(file);
    }
    const split = entriesOf(analysis, hashes);
    fresh = split.entries;
    orphans = split.orphans;
    const analysed: CachedWrapper[] = analysis.result.wrappers.map((wrapper) => ({
      name: wrapper.name,
      filePath: wrapper.filePath,
      members: Object.fromEntries(membersOf(wrapper, sources).map((file) => [file, hashes.get(file) ?? ''])),
    }));
    const same = (a: CachedWrapper, b: CachedWrapper): boolean => a.name === b.name && a.filePath === b.filePath;
    wrappers = [...wrappers.filter((known) => !analysed.some((wrapper) => same(wrapper, known))), ...analysed];
  }

  const entries = new Map<string, Entry>([...plan.reused, ...fresh]);
  const consumers: ConsumerReport[] = [];
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  const problems: FileProblem[] = [];
  const callers = [...entries].filter(([, entry]) => entry.caller).map(([file]) => file);
  for (const file of [...sources.candidates, ...callers]) {
    const entry = entries.get(file);
    if (!entry) continue;
    consumers.push(...entry.consumers);
    findings.push(...entry.findings);
    suppressed.push(...entry.suppressed);
    problems.push(...entry.problems);
  }
  findings.sort(compareFindings);

  const warnings = [...(analysis ? analysis.loaded.warnings : (previous?.warnings ?? []))];
  const tsconfigPath = analysis ? analysis.loaded.tsconfigPath : previous?.tsconfigPath;
  if (cache.write !== false && !orphans) {
    const global = new Set<string>(plan.roots);
    if (analysis)
      for (const sourceFile of analysis.loaded.program.getSourceFiles()) {
        if (analysis.loaded.program.isSourceFileDefaultLibrary(sourceFile)) continue;
        // A file the analysis never read is an empty stand-in in the program: judge its own text.
        const text = analysis.loaded.isLoaded(sourceFile.fileName)
          ? sourceFile.text
          : readSourceFile(path.resolve(sourceFile.fileName), request.contents).text;
        if (text !== undefined && isGlobalText(text)) global.add(path.resolve(sourceFile.fileName));
      }
    const failure = writeCache(
      cache.location,
      cacheFileOf({ key, entries, wrappers, global, sources, hashes, warnings, tsconfigPath }),
    );
    if (failure) warnings.push(failure);
  }
  return {
    consumers,
    findings,
    suppressed,
    problems,
    filesAnalyzed: sources.candidates.length + callers.length,
    tsconfigPath,
    warnings,
    cacheStats: { reused: plan.reused.size, analysed: fresh.size },
  };
}

interface Plan {
  /** Valid entries, by lint file. */
  reused: Map<string, Entry>;
  /** Broker files to analyse. */
  stale: Set<string>;
  /** Extra roots for the program of a partial run: the global files the cache knows. */
  roots: string[];
  /** Wrappers none of whose files changed. */
  wrappers: CachedWrapper[];
}

/** Which entries of the cache still hold, and which broker files need analysing. */
function planRun(previous: CacheFile | undefined, sources: Sources, hashes: FileHashes): Plan {
  const everything: Plan = { reused: new Map(), stale: new Set(sources.candidates), roots: [], wrappers: [] };
  if (!previous) return everything;
  const files = previous.files;
  const changed = (index: number): boolean => hashes.get(files[index].path) !== files[index].hash;
  // A global file changed, or the linted files hold a new or changed one: nothing holds.
  if (previous.global.some(changed)) return everything;
  if (JSON.stringify(globalCandidatesOf(sources)) !== JSON.stringify(previous.globalCandidates)) return everything;

  const valid = new Map<string, Entry>();
  const nowResolves = resolutionProbe();
  const nothingChanged = previous.everything === everythingOf(sources);
  for (const [file, entry] of Object.entries(previous.entries)) {
    if (entry.caller ? !sources.others.has(file) : !sources.candidates.includes(file)) continue;
    if (hashes.get(file) !== entry.hash || entry.deps.some(changed) || entry.unresolved.some(nowResolves)) continue;
    if (entry.searched && !nothingChanged) continue;
    valid.set(file, { ...entry, deps: entry.deps.map((index) => files[index].path) });
  }
  // A wrapper's files are analysed together: when one of them changed, all of them are stale (the
  // callers among them come back from the second pass of its file's analysis).
  const wrappers: CachedWrapper[] = [];
  for (const wrapper of previous.wrappers) {
    const members = membersOf(wrapper, sources);
    const same =
      members.length === Object.keys(wrapper.members).length &&
      members.every(
        (file) => wrapper.members[file] === hashes.get(file) && (!previous.entries[file] || valid.has(file)),
      );
    if (same) wrappers.push(wrapper);
    else for (const file of new Set([...members, ...Object.keys(wrapper.members)])) valid.delete(file);
  }
  return {
    reused: valid,
    stale: new Set(sources.candidates.filter((file) => !valid.has(file))),
    roots: previous.global.map((index) => files[index].path).filter((file) => hashes.get(file) !== undefined),
    wrappers,
  };
}

/** The wrapper's file and the linted files that name it. */
function membersOf(wrapper: { name: string; filePath: string }, sources: Sources): string[] {
  return [...new Set([wrapper.filePath, ...filesNaming(wrapper.name, sources.texts)])].sort();
}

/** A hash of every linted file's path and text. */
function everythingOf(sources: Sources): string {
  const sorted = [...sources.texts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return hashText(JSON.stringify(sorted.map(([file, text]) => [file, hashText(text)])));
}

function globalCandidatesOf(sources: Sources): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [file, text] of [...sources.texts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (isGlobalText(text)) found[file] = hashText(text);
  return found;
}

/** The analysis split by lint file, each with the files it reaches; `orphans` when some result has no lint file. */
function entriesOf(analysis: Analysis, hashes: FileHashes): { entries: Map<string, Entry>; orphans: boolean } {
  const { result, callers, syntax, loaded } = analysis;
  const entries = new Map<string, Entry>();
  let orphans = false;
  const resolves = resolutionProbe();
  for (const file of result.filesLinted) {
    const reached = reachedFiles(file, loaded.resolutions);
    const manifests = manifestsAbove(file);
    entries.set(file, {
      hash: hashes.get(file) ?? '',
      deps: [...reached.files, ...manifests.present],
      // An import of a file that is there but did not resolve (a .json without resolveJsonModule, a
      // stylesheet) waits on the compiler options, which are in the key, not on the file appearing.
      unresolved: [...reached.unresolved.filter((base) => !resolves(base)), ...manifests.absent],
      ...(callers.includes(file) ? { caller: true } : {}),
      consumers: [],
      findings: [],
      suppressed: [],
      problems: [],
    });
  }
  const entryOf = (file: string | undefined): Entry | undefined => {
    const entry = file === undefined ? undefined : entries.get(file);
    if (!entry) orphans = true;
    return entry;
  };
  for (const consumer of result.consumers) {
    const entry = entryOf(result.origins.get(consumer.id));
    entry?.consumers.push(consumer);
    if (entry && result.searched?.has(consumer)) entry.searched = true;
  }
  const place = (finding: Finding): string | undefined =>
    finding.consumerId ? result.origins.get(finding.consumerId) : finding.location.filePath;
  for (const finding of result.findings) entryOf(place(finding))?.findings.push(finding);
  for (const finding of result.suppressed) entryOf(place(finding))?.suppressed.push(finding);
  for (const problem of [...syntax, ...result.problems]) entryOf(problem.filePath)?.problems.push(problem);
  return { entries, orphans };
}

/**
 * The package.json files above a file, those there and those that are not: the analysis reads the
 * nearest manifest that declares a library, for its version (analysis/libraries/sqs-consumer.ts).
 */
function manifestsAbove(file: string): { present: string[]; absent: string[] } {
  const present: string[] = [];
  const absent: string[] = [];
  for (let directory = path.dirname(file); ; directory = path.dirname(directory)) {
    const manifest = path.join(directory, 'package.json');
    (fs.existsSync(manifest) ? present : absent).push(manifest);
    if (path.dirname(directory) === directory) break;
  }
  return { present, absent };
}

function cacheFileOf(parts: {
  key: string;
  entries: Map<string, Entry>;
  wrappers: CachedWrapper[];
  global: Set<string>;
  sources: Sources;
  hashes: FileHashes;
  warnings: string[];
  tsconfigPath?: string;
}): Omit<CacheFile, 'format'> {
  const table: { path: string; hash: string }[] = [];
  const indexes = new Map<string, number>();
  const indexOf = (file: string): number => {
    let index = indexes.get(file);
    if (index === undefined) {
      index = table.length;
      indexes.set(file, index);
      table.push({ path: file, hash: parts.hashes.get(file) ?? '' });
    }
    return index;
  };
  const entries: Record<string, CacheEntry> = {};
  for (const [file, entry] of parts.entries) entries[file] = { ...entry, deps: entry.deps.map(indexOf) };
  return {
    key: parts.key,
    tsconfigPath: parts.tsconfigPath,
    warnings: parts.warnings,
    files: table,
    global: [...parts.global].sort().map(indexOf),
    globalCandidates: globalCandidatesOf(parts.sources),
    everything: everythingOf(parts.sources),
    wrappers: parts.wrappers,
    entries,
  };
}

// ---- wrapper callers ---------------------------------------------------------------------------

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
  resolveImport: (specifier: string, from: string) => string | undefined,
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
    if (text === undefined) text = readSourceFile(file).text;
    let leads = false;
    for (const match of (text ?? '').matchAll(RE_EXPORT)) {
      const target = resolveImport(match[1], file);
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
      const target = resolveImport(specifier, file);
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

/**
 * The project file an import specifier resolves to (relative, `paths`, workspace packages), if any,
 * resolved as the program resolves it: with the importing file's own package's tsconfig.
 */
function importResolver(loaded: LoadedProgram): (specifier: string, from: string) => string | undefined {
  return (specifier, from) => {
    try {
      return loaded.resolveImport(specifier, from);
    } catch {
      return undefined; // a malformed specifier: no caller found through it
    }
  };
}
