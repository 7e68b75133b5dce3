/** Loading the analyzer's bundle through V8's code cache (server/src/cli/code-cache.ts). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, beforeEach, describe, it } from 'node:test';
import { codeCacheFolder, requireWithCodeCache } from '../../server/src/cli/code-cache';

const CODE_CACHE = path.resolve(__dirname, '../../server/src/cli/code-cache.ts');

interface Loaded {
  exports: { where: string; answer: number; self: boolean };
  fromCache: boolean;
}

/**
 * Loads the bundle in a new process, as each CLI run does (in one process V8 compiles a source it
 * has seen from memory and Node's require cache answers for the helper), and saves the cache.
 */
function loadInProcess(bundle: string, folder: string): Loaded {
  const script = `const { requireWithCodeCache } = require(${JSON.stringify(CODE_CACHE)});
const load = requireWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(folder)}, module);
load.save();
process.stdout.write(JSON.stringify({ exports: load.exports, fromCache: load.fromCache }));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Loaded;
}

/** A bundle that needs what Node gives a CommonJS module: require (beside it and built-in), __dirname. */
const BUNDLE = `const path = require('node:path');
const helper = require('./helper.js');
exports.where = path.basename(__dirname);
exports.answer = helper.double(21);
exports.self = module.id === __filename;
`;
const HELPER = `exports.double = (n) => n * 2;\n`;

describe('code cache for the analyzer bundle', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-code-cache-'));
  let folder: string;
  let bundle: string;
  let sequence = 0;

  beforeEach(() => {
    // A fresh folder and bundle path per test: Node's require cache must not answer for the bundle.
    const dir = path.join(root, `case-${sequence++}`);
    fs.mkdirSync(dir);
    bundle = path.join(dir, 'engine.js');
    fs.writeFileSync(bundle, BUNDLE);
    fs.writeFileSync(path.join(dir, 'helper.js'), HELPER);
    folder = path.join(dir, 'cache');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const cacheFiles = (): string[] => (fs.existsSync(folder) ? fs.readdirSync(folder) : []);

  it('runs the bundle as a module, writes the cache as the run ends, and takes the code from it the next time', () => {
    const inProcess = requireWithCodeCache(bundle, folder, module);
    assert.deepEqual(inProcess.exports, { where: path.basename(path.dirname(bundle)), answer: 42, self: true });
    assert.equal(inProcess.fromCache, false);
    assert.deepEqual(cacheFiles(), [], 'nothing is written before the run ends');
    inProcess.save();
    const [written] = cacheFiles();
    assert.match(written, /^engine-[0-9a-f]{32}-v8-.+\.cache$/);

    const next = loadInProcess(bundle, folder);
    assert.deepEqual(next.exports, inProcess.exports);
    assert.equal(next.fromCache, true, 'V8 accepted the cache');
    const saved = fs.statSync(path.join(folder, written)).mtimeMs;
    loadInProcess(bundle, folder);
    assert.equal(fs.statSync(path.join(folder, written)).mtimeMs, saved, 'a cache in use is not written again');
  });

  it('compiles again when the cache file is damaged, and replaces it', () => {
    loadInProcess(bundle, folder);
    const [written] = cacheFiles();
    fs.writeFileSync(path.join(folder, written), 'not a code cache');
    const damaged = loadInProcess(bundle, folder);
    assert.equal(damaged.fromCache, false);
    assert.equal(damaged.exports.answer, 42);
    assert.equal(loadInProcess(bundle, folder).fromCache, true, 'the cache was written again');
  });

  it("never uses another build's cache, even one of the same length", () => {
    loadInProcess(bundle, folder);
    const changed = BUNDLE.replace('double(21)', 'double(40)');
    assert.equal(changed.length, BUNDLE.length);
    fs.writeFileSync(bundle, changed);
    fs.writeFileSync(path.join(path.dirname(bundle), 'helper.js'), HELPER.replace('n * 2', 'n + 2'));
    const rebuilt = loadInProcess(bundle, folder);
    assert.equal(rebuilt.fromCache, false);
    assert.equal(rebuilt.exports.answer, 42, 'the new code ran: 40 + 2');
    assert.equal(cacheFiles().length, 2, 'each build has its own cache file');
  });

  it('loads the plain way without a folder, and a folder that cannot be written is no error', () => {
    const plain = requireWithCodeCache(bundle, undefined, module);
    assert.equal((plain.exports as { answer: number }).answer, 42);
    plain.save();
    assert.deepEqual(cacheFiles(), []);

    fs.writeFileSync(folder, 'a file where the folder should be');
    const blocked = requireWithCodeCache(path.join(path.dirname(bundle), 'engine.js'), folder, module);
    assert.doesNotThrow(() => blocked.save());
    assert.equal((blocked.exports as { answer: number }).answer, 42);
  });

  it("follows Node's variables: NODE_COMPILE_CACHE names the folder, NODE_DISABLE_COMPILE_CACHE turns it off", () => {
    assert.equal(codeCacheFolder({ NODE_COMPILE_CACHE: '/somewhere' }), '/somewhere');
    assert.equal(codeCacheFolder({ NODE_COMPILE_CACHE: '/somewhere', NODE_DISABLE_COMPILE_CACHE: '1' }), undefined);
    assert.equal(codeCacheFolder({}), path.join(os.tmpdir(), 'delivery-lint-code-cache'));
  });
});

describe("the CLI's code cache", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-cli-cache-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  /** The size of the engine's cache a run of the built CLI on examples/ writes (node given `flags`). */
  function cacheWritten(label: string, flags: string[]): number {
    const folder = path.join(root, label);
    const run = spawnSync(process.execPath, [...flags, path.resolve(__dirname, '../../dist/cli.js'), '.'], {
      cwd: path.resolve(__dirname, '../../examples'),
      env: { ...process.env, NODE_COMPILE_CACHE: folder, NODE_DISABLE_COMPILE_CACHE: '' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 1, run.stderr); // the examples have findings
    const [file] = fs.readdirSync(folder);
    return fs.statSync(path.join(folder, file)).size;
  }

  it('holds the functions a long run used at its start: V8 does not drop their bytecode', () => {
    // --stress-flush-code drops unused bytecode at every collection, as a long run does over time.
    const flushed = cacheWritten('stress', ['--stress-flush-code']);
    const plain = cacheWritten('plain', []);
    assert.ok(flushed > plain * 0.9, `${flushed} bytes against ${plain} written by a short run`);
  });
});

describe('the built bundles', () => {
  it('are ASCII: one other character makes V8 hold a whole bundle as a two-byte string', () => {
    const dist = path.resolve(__dirname, '../../dist');
    for (const bundle of ['cli.js', 'engine.js', 'server.js', 'extension.js']) {
      const text = fs.readFileSync(path.join(dist, bundle), 'utf8');
      const at = text.search(/[\u0080-\uffff]/);
      assert.equal(at, -1, `${bundle}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
    }
  });
});
