/**
 * What the analysis reads, and the consumer reports that stay valid while it grows the program
 * (pipeline/analyze.ts, `analyzeReached`; ARCHITECTURE.md, "Program").
 */
import type { ts } from 'ts-morph';
import { PROGRAM_WIDE_TEXT } from '../analysis/libraries';
import type { ProjectSources, TextSearch } from '../analysis/source/project-sources';
import { registerReadCapture, type CapturedReads, type ReadCapture } from '../analysis/source/read-capture';
import { useCarrier } from '../analysis/source/carried';
import { isNode } from '../analysis/source/ast';
import { holdsFile, sourceFilesByName } from './program-files';
import { SharedSummaries, useSummaries, type Summary } from '../analysis/handler/summaries';
import type { ConsumerReport } from '../model';
import { CarriedAnswers, type EditedFile, type ImportsOf } from './carried-answers';

const PROGRAM_WIDE_SEARCHES: readonly TextSearch[] = PROGRAM_WIDE_TEXT.map((pattern) => ({
  key: `program-wide:${pattern.source}`,
  test: (text) => pattern.test(text),
}));

/** What one consumer's report read: the files of the nodes it asked about, or the whole program. */
interface Reads {
  files: Set<ts.SourceFile>;
  /** It listed the program's files (a NestJS bootstrap search, CQRS handlers): more files can change it. */
  wholeProgram: boolean;
  /** Those searches, by key: only a file passing one's test can change what they found. */
  searches: Map<string, TextSearch>;
}

/**
 * Consumer reports kept across the rounds of analyzeReached (and its second pass), so that a
 * round re-builds only the consumers whose reading can still change. A report that searched the
 * whole program stays valid while every file its searches' text tests match is settled and no file
 * read since matches one: a file that fails them all holds nothing the searches look for.
 */
export class ReportCache {
  private readonly entries = new Map<string, { report: ConsumerReport; reads: Reads; final: boolean }>();

  build(key: string, recorder: ReadRecorder, build: () => ConsumerReport | undefined): ConsumerReport | undefined {
    const entry = this.entries.get(key);
    if (entry?.final) return entry.report;
    const reads = recorder.forConsumer(build);
    if (reads.value) this.entries.set(key, { report: reads.value, reads: reads.reads, final: false });
    return reads.value;
  }

  /** The reports whose analysis searched the whole program: any file may change them. */
  searchedWholeProgram(): Set<ConsumerReport> {
    return new Set([...this.entries.values()].filter((entry) => entry.reads.wholeProgram).map((entry) => entry.report));
  }

  /**
   * Marks final the reports whose every read file is settled, and, for a whole-program search,
   * every file of `programFiles` its tests match.
   */
  settle(isSettled: (sourceFile: ts.SourceFile) => boolean, programFiles: readonly ts.SourceFile[]): void {
    // The unsettled files are listed only when a whole-program report asks: each check resolves imports.
    let answers: ((search: TextSearch) => boolean) | undefined;
    const matches = (search: TextSearch): boolean =>
      (answers ??= matchingSearches(programFiles.filter((file) => !isSettled(file)).map((file) => file.text)))(search);
    for (const entry of this.entries.values()) {
      if (entry.final) continue;
      entry.final =
        [...entry.reads.files].every(isSettled) &&
        (!entry.reads.wholeProgram || ![...entry.reads.searches.values()].some(matches));
    }
  }

  /** Files read in full since the last settle: a whole-program search that matches one must run again. */
  added(texts: readonly string[]): void {
    const matches = matchingSearches(texts);
    for (const entry of this.entries.values())
      if (entry.final && entry.reads.wholeProgram && [...entry.reads.searches.values()].some(matches))
        entry.final = false;
  }
}

/**
 * The language server's consumer reports, kept from one edit to the next: a report is reused while
 * every file it read (and its registration's and handler's files) is the same parsed file in the
 * new program, no file was added to or removed from the program, and the config is the same. An
 * edit to one file re-builds only the reports that read it. A report (or summary) that searched
 * the whole program is kept as well while no edited file, before or after the edit, passes one of
 * its searches' text tests: as in the CLI's rounds (ReportCache), a file that fails them all holds
 * nothing those searches look for.
 */
export class EditorReportCache {
  private readonly entries = new Map<
    string,
    {
      report: ConsumerReport;
      files: Set<ts.SourceFile>;
      searches: Map<string, TextSearch>;
      fileSet: number;
      config: object;
    }
  >();
  private fileSet = 0;
  private fileNames = '';
  private program: ts.Program | undefined;
  private config: object | undefined;
  private recorder = new ReadRecorder();
  /** The keys the last analysis asked for: the others (a site whose position moved) are dropped. */
  private used = new Set<string>();
  /**
   * Function summaries kept from one edit to the next, as reports are: a summary stays while every
   * file it read and every function it entered is the same parsed file in the new program.
   */
  private readonly summaries = new SharedSummaries();
  /** The checker's answers about unchanged files, kept from one program to the next (carried-answers.ts). */
  private readonly carried = new CarriedAnswers();

  /**
   * Starts an analysis of `program` under `config`; returns the program to analyse (it records
   * reads). `importsOf` says what each file imports: without it no checker answer is carried over.
   */
  begin(program: ts.Program, config: object, importsOf?: ImportsOf): ts.Program {
    for (const key of this.entries.keys()) if (!this.used.has(key)) this.entries.delete(key);
    this.used = new Set();
    const names = program
      .getSourceFiles()
      .map((file) => file.fileName)
      .join('\n');
    if (names !== this.fileNames) {
      this.summaries.clear();
      // The answers from here on are made under this resolver: the next edit keeps them.
      this.carried.clear(importsOf);
    } else {
      const editedFiles = this.editedFiles(program);
      const edited = matchingSearches(
        editedFiles.flatMap(({ before, after }) => (before ? [after.text, before.text] : [after.text])),
      );
      // A summary reads the config (configured effects and guards); the checker's answers do not.
      if (config !== this.config) this.summaries.clear();
      else this.summaries.retain((summary) => summaryHolds(summary, program, edited));
      for (const [key, entry] of this.entries) if ([...entry.searches.values()].some(edited)) this.entries.delete(key);
      if (importsOf) this.carried.retain(program, editedFiles, importsOf);
      else this.carried.clear();
    }
    if (names !== this.fileNames) {
      this.fileNames = names;
      this.fileSet++;
    }
    this.program = program;
    this.config = config;
    this.recorder = new ReadRecorder();
    const recording = this.recorder.recording(program, importsOf && this.carried);
    useSummaries(recording.getTypeChecker(), this.summaries);
    return recording;
  }

  /**
   * What the analysis of the program `begin` gave is told of its searches through: the server reads
   * no file beyond its program, so nothing is unread, but each search is noted with the report (and
   * summary) that made it, for the test above.
   */
  projectSources(): ProjectSources {
    return { unread: new Map(), wanted: new Set(), searched: (search) => this.recorder.readsWholeProgram(search) };
  }

  build(key: string, build: () => ConsumerReport | undefined): ConsumerReport | undefined {
    const program = this.program!;
    this.used.add(key);
    const entry = this.entries.get(key);
    if (
      entry &&
      entry.fileSet === this.fileSet &&
      entry.config === this.config &&
      [...entry.files].every((sourceFile) => holdsFile(program, sourceFile))
    )
      return entry.report;
    const { value, reads } = this.recorder.forConsumer(build);
    if (!value) {
      this.entries.delete(key);
      return value;
    }
    const files = new Set(reads.files);
    for (const fileName of [value.registration.location.filePath, value.handlerRange.filePath]) {
      const sourceFile = program.getSourceFile(fileName);
      if (sourceFile) files.add(sourceFile);
    }
    this.entries.set(key, {
      report: value,
      files,
      searches: reads.searches,
      fileSet: this.fileSet,
      config: this.config!,
    });
    return value;
  }

  /** The files `program` parsed anew since the last analysis, as they were and as they are. */
  private editedFiles(program: ts.Program): EditedFile[] {
    const previous = this.program;
    if (!previous) return [];
    const edited: EditedFile[] = [];
    const previousFiles = sourceFilesByName(previous);
    for (const after of program.getSourceFiles()) {
      const before = previousFiles.get(after.fileName);
      if (before !== after) edited.push({ fileName: after.fileName, before, after });
    }
    return edited;
  }

  clear(): void {
    this.entries.clear();
    this.summaries.clear();
    this.carried.clear();
  }
}

/**
 * Whether a summary built against an earlier program holds in `program`: no edited file passes one
 * of its whole-program searches' tests (`edited`), and every file it read (through the checker)
 * and every function it entered is the same parsed file there.
 */
function summaryHolds(summary: Summary, program: ts.Program, edited: (search: TextSearch) => boolean): boolean {
  const reads = summary.reads as Reads | undefined;
  if (!reads || [...reads.searches.values()].some(edited)) return false;
  for (const file of reads.files) if (!holdsFile(program, file)) return false;
  for (const fn of summary.dependencies.entered) if (!holdsFile(program, fn.getSourceFile())) return false;
  return true;
}

/** Whether a search's test passes on one of `texts`: each search (by key) is run once. */
function matchingSearches(texts: readonly string[]): (search: TextSearch) => boolean {
  const answers = new Map<string, boolean>();
  return (search) => {
    let answer = answers.get(search.key);
    if (answer === undefined) {
      answer = texts.some((text) => search.test(text));
      answers.set(search.key, answer);
    }
    return answer;
  };
}

/**
 * Notes the files each consumer's analysis reads through the type checker: those of the nodes it
 * asks about, and of the declarations and signatures it gets back (it goes on to read those).
 */
export class ReadRecorder implements ReadCapture {
  private current: Reads | undefined;
  /** Builds whose reads are noted apart too (a function summary other consumers may reuse). */
  private readonly captures: Reads[] = [];

  /** Runs a build and gives what it read; the reads count for the consumer as well. */
  capture<T>(build: () => T): { value: T; reads: Reads } {
    const reads: Reads = { files: new Set(), wholeProgram: false, searches: new Map() };
    this.captures.push(reads);
    try {
      return { value: build(), reads };
    } finally {
      this.captures.pop();
    }
  }

  /** What a reused build read, read again by the consumer reusing it (and the builds around it). */
  replay(captured: CapturedReads): void {
    const reads = captured as Reads;
    for (const file of reads.files) this.noteFile(file);
    for (const search of reads.searches.values()) this.readsWholeProgram(search);
    if (reads.wholeProgram) for (const target of this.targets()) target.wholeProgram = true;
  }

  /** The reads a read goes to: the consumer's and every capture under way. */
  private targets(): Reads[] {
    return this.current ? [this.current, ...this.captures] : this.captures;
  }

  private noteFile(sourceFile: ts.SourceFile): void {
    this.current?.files.add(sourceFile);
    for (const capture of this.captures) capture.files.add(sourceFile);
  }

  forConsumer<T>(build: () => T): { value: T; reads: Reads } {
    const outer = this.current;
    const reads: Reads = { files: new Set(), wholeProgram: false, searches: new Map() };
    this.current = reads;
    try {
      return { value: build(), reads };
    } finally {
      this.current = outer;
    }
  }

  /** The consumer being built searched the whole project (analysis/source/project-sources.ts). */
  readsWholeProgram(search: TextSearch): void {
    for (const target of this.targets()) {
      target.wholeProgram = true;
      target.searches.set(search.key, search);
    }
  }

  /**
   * `program`, its checker noting what it is asked and answers. With `carried`, its symbol answers
   * and, through the carrier it registers (analysis/source/carried.ts), the values the analysis
   * computes from a node are first looked up among those kept from earlier programs.
   */
  recording(program: ts.Program, carried?: CarriedAnswers): ts.Program {
    const checker = program.getTypeChecker();
    // The same nodes and symbols are asked about and answered again and again (every consumer
    // meets `Promise` and the project's helpers): their files are found once.
    const known = new WeakMap<object, readonly ts.SourceFile[]>();
    const note = (value: unknown): void => {
      if (!value || typeof value !== 'object') return;
      let files = known.get(value);
      if (!files) known.set(value, (files = filesOf(value)));
      for (const file of files) this.noteFile(file);
    };
    const noteResult = (result: unknown): void => {
      if (Array.isArray(result)) result.forEach(note);
      else note(result);
    };
    const methods = new Map<PropertyKey, unknown>();
    const recording: ts.TypeChecker = new Proxy(checker, {
      get(target, property, receiver) {
        const known = methods.get(property);
        if (known) return known;
        const member: unknown = Reflect.get(target, property, receiver);
        if (typeof member !== 'function') return member;
        const call = (member as (...parameters: unknown[]) => unknown).bind(target);
        const carry = carried && property === 'getSymbolAtLocation' ? carried : undefined;
        const recorded = NODE_QUERIES.has(property)
          ? answeredOnce(
              carry ? (node) => (isNode(node) ? carry.answer(node, () => call(node) as ts.Symbol) : call(node)) : call,
              note,
              noteResult,
            )
          : (...args: unknown[]): unknown => {
              args.forEach(note);
              const result = call(...args);
              noteResult(result);
              return result;
            };
        methods.set(property, recorded);
        return recorded;
      },
    });
    registerReadCapture(recording, this);
    if (carried)
      useCarrier(recording, {
        // A kept value asks nothing of the checker: what computing it read is read again here. A
        // value whose computation searched the whole program is not kept (an edit of any file may change it).
        value: (node, kind, compute) => {
          const { value, reads } = carried.value(
            node,
            kind,
            () => this.capture(compute),
            (captured) => !captured.reads.wholeProgram,
          );
          this.replay(reads);
          return value;
        },
      });
    return new Proxy(program, {
      get: (target, property, receiver): unknown => {
        if (property === 'getTypeChecker') return () => recording;
        // The program-wide scans (libraries/index.ts, PROGRAM_WIDE_TEXT); the project indexes of
        // symbols.ts list the files too, and each of their queries tells its own test.
        if (property === 'getSourceFiles') for (const search of PROGRAM_WIDE_SEARCHES) this.readsWholeProgram(search);
        if (property === 'getSourceFile') {
          return (fileName: string): ts.SourceFile | undefined => {
            const sourceFile = target.getSourceFile(fileName);
            if (sourceFile) this.noteFile(sourceFile);
            return sourceFile;
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });
  }
}

/** The files a checker argument or answer leads to: a node's, a symbol's declarations', a signature's declaration's. */
function filesOf(value: object): readonly ts.SourceFile[] {
  const files = new Set<ts.SourceFile>();
  const add = (node: object | undefined): void => {
    if (isNode(node)) files.add(node.getSourceFile());
  };
  add(value);
  if ('declarations' in value && 'flags' in value && 'escapedName' in value) {
    for (const declaration of (value as ts.Symbol).declarations ?? []) add(declaration);
  } else if ('declaration' in value && 'parameters' in value) {
    add((value as ts.Signature).declaration);
  }
  return [...files];
}

/**
 * Checker queries whose answer depends on their node alone. TypeScript caches the symbol of a
 * name it resolves, but not the failure to resolve one: without installed packages most property
 * accesses fail, and each ask re-checks the expression (on langfuse 7 of 8 asks were repeats).
 */
const NODE_QUERIES = new Set<PropertyKey>(['getSymbolAtLocation', 'getTypeAtLocation']);

/** A node query answered once per node (a program's checker never changes); every ask is still noted. */
function answeredOnce(
  query: (node: unknown) => unknown,
  note: (value: unknown) => void,
  noteResult: (result: unknown) => void,
): (node: unknown) => unknown {
  const answers = new WeakMap<object, unknown>();
  return (node) => {
    note(node);
    if (!node || typeof node !== 'object') return query(node);
    let result: unknown;
    if (answers.has(node)) result = answers.get(node);
    else {
      result = query(node);
      answers.set(node, result);
    }
    noteResult(result);
    return result;
  };
}
