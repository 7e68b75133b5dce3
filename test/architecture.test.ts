/**
 * The layering of ARCHITECTURE.md, checked on every import of server/src and client/src
 * (type-only imports, `export … from`, `import()` and `require()` included):
 *
 * - no import cycle, between files or between layers;
 * - no import from a layer to a higher one, nor between two layers of the same rank (cli and lsp);
 * - the client talks to the server over LSP only: it imports nothing of the server but the model's
 *   types and the protocol's names;
 * - packages stay where they belong: nothing in model/ imports anything, only lsp/ imports
 *   vscode-languageserver, only client/ imports vscode;
 * - above the library modules, code reads a consumer's library traits: it never compares library
 *   ids or reads the display form (`form.includes('(RMQ)')`).
 *
 * LAYERS is the one copy of the layer table; ARCHITECTURE.md quotes it between
 * `<!-- layers:start -->` and `<!-- layers:end -->`, and the last test keeps the quote exact.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ts } from 'ts-morph';

interface Layer {
  /** Folder (or file) the layer owns, relative to the repository root. */
  folder: string;
  /** Lower ranks are below: a layer imports only from layers of a lower rank, and from itself. */
  rank: number;
  owns: string;
}

export const LAYERS: readonly Layer[] = [
  {
    folder: 'server/src/model/',
    rank: 1,
    owns: 'plain data: the consumer report, occurrences, locations, findings, fixes, the crash timeline, library traits',
  },
  {
    folder: 'server/src/config/',
    rank: 2,
    owns: 'delivery-lint.config.json: its types, parsing and validation (against the rule ids it is given)',
  },
  {
    folder: 'server/src/analysis/source/',
    rank: 3,
    owns: 'reading TypeScript: AST, symbol and checker helpers, message-derived values, comment directives',
  },
  { folder: 'server/src/analysis/effects/', rank: 4, owns: 'effect classification: one file per family of APIs' },
  {
    folder: 'server/src/analysis/handler/',
    rank: 5,
    owns: 'a handler as a step tree: the flow builder, guards, transactions',
  },
  {
    folder: 'server/src/analysis/libraries/',
    rank: 6,
    owns: 'one module per broker library (recognition, settles, identity, traits), wrappers',
  },
  {
    folder: 'server/src/analysis/dataflow/',
    rank: 7,
    owns: 'the dataflow over a handler: step tree to occurrences, the facts rules read, and sampled paths for the timeline',
  },
  {
    folder: 'server/src/analysis/report/',
    rank: 8,
    owns: 'the consumer report, semantics, the crash timeline, the ordering facts rules share',
  },
  {
    folder: 'server/src/rules/',
    rank: 9,
    owns: 'one file per rule, its messages and fixes; the registry, the runner, the wording helpers',
  },
  {
    folder: 'server/src/pipeline/',
    rank: 10,
    owns: "files, prefilter, program loading, analyzeFiles, runLint, the server's incremental project",
  },
  { folder: 'server/src/cli/', rank: 11, owns: 'the command line and its formatters' },
  { folder: 'server/src/lsp/', rank: 11, owns: 'the language server: the only code that knows LSP' },
  { folder: 'client/src/', rank: 12, owns: 'the VS Code extension: talks to the server over LSP only' },
];

/** What the client may import from the server: types of the model, and the protocol's names. */
const CLIENT_MAY_IMPORT = ['server/src/model/', 'server/src/lsp/protocol.ts'];

/** Packages only one layer may import. */
const PACKAGE_OWNERS: readonly { pattern: RegExp; folder: string }[] = [
  { pattern: /^vscode-languageserver(-textdocument)?(\/|$)/, folder: 'server/src/lsp/' },
  { pattern: /^vscode(-languageclient)?(\/|$)/, folder: 'client/src/' },
];

const ROOT = path.resolve(__dirname, '..');
const ROOTS = ['server/src', 'client/src'];

interface SourceFile {
  file: string;
  /** Imported files of this repository (relative to ROOT). */
  files: string[];
  /** Imported packages. */
  packages: string[];
}

function listFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, folder), { withFileTypes: true })) {
    const relative = path.posix.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(relative));
    else if (/\.tsx?$/.test(entry.name)) found.push(relative);
  }
  return found;
}

function resolveImport(from: string, specifier: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) {
    if (fs.existsSync(path.join(ROOT, candidate)) && fs.statSync(path.join(ROOT, candidate)).isFile()) return candidate;
  }
  return undefined;
}

function readSources(): SourceFile[] {
  return ROOTS.flatMap(listFiles).map((file) => {
    // preProcessFile sees every import form: `import type`, `export … from`, `import()`, `require()`.
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true);
    const files: string[] = [];
    const packages: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        const target = resolveImport(file, fileName);
        assert.ok(target, `${file} imports ${fileName}, which does not resolve`);
        files.push(target);
      } else {
        packages.push(fileName);
      }
    }
    return { file, files, packages };
  });
}

function layerOf(file: string): Layer | undefined {
  return [...LAYERS].sort((a, b) => b.folder.length - a.folder.length).find((layer) => file.startsWith(layer.folder));
}

/** Strongly connected components with more than one member (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The layer table as ARCHITECTURE.md quotes it. */
export function layerTable(): string {
  return [
    '| rank | folder | owns |',
    '|---|---|---|',
    ...LAYERS.map((layer) => `| ${layer.rank} | \`${layer.folder}\` | ${layer.owns} |`),
  ].join('\n');
}

describe('architecture', () => {
  const sources = readSources();

  test('every file of server/src and client/src belongs to a layer', () => {
    const orphans = sources.filter((source) => !layerOf(source.file)).map((source) => source.file);
    assert.deepEqual(
      orphans,
      [],
      'files outside every layer of LAYERS: add the folder to the table (and to ARCHITECTURE.md)',
    );
  });

  test('no import cycle between files (type-only imports included)', () => {
    const found = cycles(new Map(sources.map((source) => [source.file, source.files])));
    assert.deepEqual(found, [], `import cycles:\n${found.map((cycle) => cycle.join(' → ')).join('\n')}`);
  });

  test('no import cycle between layers, and no import from a lower layer to a higher one', () => {
    const violations: string[] = [];
    for (const source of sources) {
      const from = layerOf(source.file)!;
      for (const target of source.files) {
        const to = layerOf(target);
        if (!to || to === from) continue;
        if (to.rank >= from.rank)
          violations.push(
            `${source.file} (${from.folder}, rank ${from.rank}) imports ${target} (${to.folder}, rank ${to.rank})`,
          );
      }
    }
    assert.deepEqual(violations, [], `imports against the layering:\n${violations.join('\n')}`);
  });

  test('the client imports nothing of the server but the model and the LSP protocol', () => {
    const violations = sources
      .filter((source) => source.file.startsWith('client/src/'))
      .flatMap((source) =>
        source.files
          .filter(
            (target) =>
              !target.startsWith('client/src/') && !CLIENT_MAY_IMPORT.some((allowed) => target.startsWith(allowed)),
          )
          .map((target) => `${source.file} imports ${target}`),
      );
    assert.deepEqual(violations, []);
  });

  test('the model is plain data: it imports no package and nothing outside itself', () => {
    const violations = sources
      .filter((source) => source.file.startsWith('server/src/model/'))
      .flatMap((source) =>
        [...source.packages, ...source.files.filter((target) => !target.startsWith('server/src/model/'))].map(
          (target) => `${source.file} imports ${target}`,
        ),
      );
    assert.deepEqual(violations, []);
  });

  test('only lsp/ knows LSP, only the client knows VS Code', () => {
    const violations: string[] = [];
    for (const source of sources) {
      for (const name of source.packages) {
        const owner = PACKAGE_OWNERS.find((entry) => entry.pattern.test(name));
        if (owner && !source.file.startsWith(owner.folder))
          violations.push(`${source.file} imports ${name} (only ${owner.folder} may)`);
      }
    }
    assert.deepEqual(violations, []);
  });

  test('above the library modules, nothing asks which library a consumer uses: it reads the traits', () => {
    // A library id compared or switched on, or the display form read for anything but display.
    const askingWhich =
      /\blibrary\s*[!=]==|[!=]==\s*'(?:kafkajs|confluent-kafka|amqplib|sqs-consumer|client-sqs|lambda-sqs|nestjs-microservices|bullmq|google-pubsub|azure-service-bus|nats-jetstream|redis-streams)'|case '(?:kafkajs|confluent-kafka|amqplib|sqs-consumer|client-sqs|lambda-sqs|nestjs-microservices|bullmq|google-pubsub|azure-service-bus|nats-jetstream|redis-streams)':|\bform\.(?:includes|startsWith|endsWith|match)\(|\bform\s*[!=]==/;
    const violations = sources
      .filter(
        (source) =>
          !source.file.startsWith('server/src/analysis/libraries/') && !source.file.startsWith('server/src/model/'),
      )
      .flatMap((source) =>
        fs
          .readFileSync(path.join(ROOT, source.file), 'utf8')
          .split('\n')
          .flatMap((line, index) => (askingWhich.test(line) ? [`${source.file}:${index + 1}: ${line.trim()}`] : [])),
      );
    assert.deepEqual(violations, []);
  });

  test('ARCHITECTURE.md quotes the layer table', () => {
    const text = fs.readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    const match = /<!-- layers:start -->\n([\s\S]*?)\n<!-- layers:end -->/.exec(text);
    assert.ok(match, 'ARCHITECTURE.md lacks the <!-- layers:start --> … <!-- layers:end --> markers');
    assert.equal(
      match[1],
      layerTable(),
      'the layer table in ARCHITECTURE.md differs from LAYERS in test/architecture.test.ts',
    );
  });
});
