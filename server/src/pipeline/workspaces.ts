/**
 * Monorepo workspace packages without node_modules: CI often lints a checkout that was never
 * installed, so `import { subscribe } from '@acme/bus'` cannot resolve. Each package.json found in
 * the project maps its name to its entry file, so calls into sibling packages are followed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SKIPPED = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.turbo']);
const MAX_DEPTH = 4;

export interface WorkspacePackage {
  name: string;
  directory: string;
  /** Its main entry's source ('' when it only has subpath exports). */
  entry: string;
  /** Subpath exports as `paths` patterns relative to the name (`queues/*` -> `<dir>/src/queues/*.ts`). */
  subpaths?: Record<string, string[]>;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A built file's TypeScript source: `./dist/x.js` -> `src/x.ts`, then `x.ts` beside it. */
function sourceCandidates(entry: string): string[] {
  return [
    entry.replace(/\.d\.ts$/, '.ts'),
    entry.replace(/\.(c|m)?js$/, '.ts'),
    entry
      .replace(/^\.?\/?(dist|build|lib)\//, 'src/')
      .replace(/\.(c|m)?js$/, '.ts')
      .replace(/\.d\.ts$/, '.ts'),
  ];
}

/** The target of one `exports` entry: a string, or the first of its conditions that names a file. */
function exportTarget(value: unknown, depth = 0): string[] {
  if (typeof value === 'string') return [value];
  if (!value || typeof value !== 'object' || Array.isArray(value) || depth > 3) return [];
  const conditions = value as Record<string, unknown>;
  return ['types', 'source', 'import', 'require', 'node', 'default'].flatMap((key) =>
    key in conditions ? exportTarget(conditions[key], depth + 1) : [],
  );
}

/**
 * Subpath exports (`"./queues": "./dist/queues.js"`, `"./*": { "types": "./src/*.ts" }`) as `paths`
 * patterns: the package-relative key, and the sources it maps to (wildcards kept).
 */
function subpathsOf(directory: string, manifest: Record<string, unknown>): Record<string, string[]> | undefined {
  const exportsField = manifest.exports;
  if (!exportsField || typeof exportsField !== 'object' || Array.isArray(exportsField)) return undefined;
  const subpaths: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(exportsField as Record<string, unknown>)) {
    if (!key.startsWith('./') || key === './package.json' || (key.match(/\*/g) ?? []).length > 1) continue;
    const targets = exportTarget(value).filter((target) => (target.match(/\*/g) ?? []).length <= 1);
    const sources = [
      ...new Set(
        targets.flatMap((target) =>
          sourceCandidates(target)
            .filter((candidate) => /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(candidate) && !candidate.endsWith('.d.ts'))
            .map((candidate) => path.resolve(directory, candidate))
            .filter((file) => file.includes('*') || fs.existsSync(file)),
        ),
      ),
    ];
    if (sources.length) subpaths[key.slice(2)] = sources;
  }
  return Object.keys(subpaths).length ? subpaths : undefined;
}

/** The TypeScript source a package's manifest points at (types, main, exports, or src/index.ts). */
function entryOf(directory: string, manifest: Record<string, unknown>): string | undefined {
  const exportsField = manifest.exports as Record<string, unknown> | string | undefined;
  const dotExport =
    typeof exportsField === 'string'
      ? exportsField
      : exportsField && typeof exportsField === 'object'
        ? exportsField['.']
        : undefined;
  const declared = [
    manifest.types,
    manifest.typings,
    manifest.source,
    typeof dotExport === 'string' ? dotExport : undefined,
    manifest.main,
  ].filter((value): value is string => typeof value === 'string');
  const candidates = [
    ...declared.flatMap((entry) => [
      entry,
      entry.replace(/\.(c|m)?js$/, '.ts'),
      entry
        .replace(/^\.?\/?(dist|build|lib)\//, 'src/')
        .replace(/\.(c|m)?js$/, '.ts')
        .replace(/\.d\.ts$/, '.ts'),
    ]),
    'src/index.ts',
    'index.ts',
    'src/index.js',
    'index.js',
  ];
  for (const candidate of candidates) {
    const file = path.resolve(directory, candidate);
    if (/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(file) && !file.endsWith('.d.ts') && fs.existsSync(file)) return file;
  }
  return undefined;
}

export function findWorkspacePackages(root: string): WorkspacePackage[] {
  const packages: WorkspacePackage[] = [];
  const walk = (directory: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((entry) => entry.isFile() && entry.name === 'package.json')) {
      const manifest = readJson(path.join(directory, 'package.json'));
      const name = manifest?.name;
      const entry = manifest && typeof name === 'string' ? entryOf(directory, manifest) : undefined;
      const subpaths = manifest ? subpathsOf(directory, manifest) : undefined;
      if (typeof name === 'string' && (entry || subpaths))
        packages.push({ name, directory, entry: entry ?? '', ...(subpaths ? { subpaths } : {}) });
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED.has(entry.name) && !entry.name.startsWith('.'))
        walk(path.join(directory, entry.name), depth + 1);
    }
  };
  walk(root, 0);
  return packages;
}

/**
 * `paths` entries for the workspace packages that do not resolve through node_modules, keeping any
 * mapping the tsconfig already has.
 */
export function workspacePaths(
  root: string,
  existing: Record<string, string[]> | undefined,
): Record<string, string[]> | undefined {
  const mapped: Record<string, string[]> = { ...(existing ?? {}) };
  let added = 0;
  for (const workspace of findWorkspacePackages(root)) {
    if (mapped[workspace.name] || fs.existsSync(path.join(root, 'node_modules', workspace.name))) continue;
    if (workspace.entry) mapped[workspace.name] = [workspace.entry];
    // Subpath exports first (`@acme/bus/queues` -> its source), then any file of the package.
    for (const [subpath, sources] of Object.entries(workspace.subpaths ?? {}))
      mapped[`${workspace.name}/${subpath}`] = sources;
    const wildcard = `${workspace.name}/*`;
    mapped[wildcard] = [...(mapped[wildcard] ?? []), path.join(workspace.directory, '*')];
    added++;
  }
  return added ? mapped : undefined;
}
