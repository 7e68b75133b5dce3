/**
 * The installable package, as a user gets it: `npm pack` the repository (its dist/ built by
 * `npm run build`), install the tarball into a separate sample project offline (the package has
 * no dependencies: everything it runs is bundled), and run the README's "Add it to your project"
 * commands there as written: the CLI, the config's `$schema`, the pre-commit hook (in a real git
 * repository), the GitHub Actions steps' commands, and the language server the Neovim snippet
 * starts. The README's blocks are found by their `<!-- example:<name> -->` markers.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { allRules } from '../../server/src/rules';
import { LspClient } from '../lsp/client';

const REPO = path.resolve(__dirname, '../..');
const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

/** The fenced block after `<!-- example:<name> -->` in the README. */
function example(name: string): string {
  const marker = README.indexOf(`<!-- example:${name} -->`);
  assert.ok(marker >= 0, `the README has an example:${name} block`);
  const fence = /```[a-z]*\n([\s\S]*?)```/.exec(README.slice(marker));
  assert.ok(fence, `a fenced block follows example:${name}`);
  return fence[1];
}

/** npm and git with a home of their own: no user config, nothing fetched (npm is offline). */
function env(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: home,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_cache: path.join(home, '.npm'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    NO_COLOR: '1',
  };
}

function sh(command: string, cwd: string, environment: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const result = spawnSync('sh', ['-c', command], { cwd, env: environment, encoding: 'utf8', timeout: 180_000 });
  if (result.error) throw result.error;
  return result;
}

const BUGGY = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [msg.properties.messageId]);
  });
}
`;
const FIXED = BUGGY.replace(
  "    channel.ack(msg);\n    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [msg.properties.messageId]);\n",
  "    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [msg.properties.messageId]);\n    channel.ack(msg);\n",
);

describe('the packed package, installed into a separate project', () => {
  let work: string;
  let sample: string;
  let home: string;
  let tarball: string;
  let installed: string;
  let install: SpawnSyncReturns<string>;

  before(() => {
    assert.ok(fs.existsSync(path.join(REPO, 'dist/cli.js')), 'dist/ is built: run "npm run build" first');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-package-'));
    home = path.join(work, 'home');
    sample = path.join(work, 'sample-service');
    fs.mkdirSync(home, { recursive: true });
    const packed = sh(`npm pack --silent --pack-destination "${work}"`, REPO, env(home));
    assert.equal(packed.status, 0, packed.stderr);
    tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
    fs.mkdirSync(path.join(sample, 'src'), { recursive: true });
    fs.writeFileSync(
      path.join(sample, 'package.json'),
      JSON.stringify({ name: 'sample-service', version: '1.0.0', private: true }, null, 2),
    );
    fs.writeFileSync(
      path.join(sample, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true }, include: ['src'] }),
    );
    fs.writeFileSync(path.join(sample, 'src/orders.consumer.ts'), BUGGY);
    install = sh(`npm install --save-dev "${tarball}"`, sample, env(home));
    installed = path.join(sample, 'node_modules', PACKAGE.name);
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('npm pack ships the bundles, the schema, the docs and nothing else', () => {
    const listed = sh(`tar -tzf "${tarball}"`, work, env(home));
    const files = listed.stdout
      .trim()
      .split('\n')
      .map((file) => file.replace(/^package\//, ''))
      .sort();
    const ruleDocs = allRules.map((rule) => `docs/rules/${rule.meta.id}.md`);
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/cli.js',
      'dist/engine.js',
      'dist/server.js',
      'schemas/delivery-lint.config.schema.json',
      'docs/model.md',
      'docs/rules/README.md',
      ...ruleDocs,
    ])
      assert.ok(files.includes(needed), `${needed} is in the package`);
    assert.deepEqual(
      files.filter((file) => /\.map$|^server\/|^client\/|^test\/|^examples\/|^node_modules\/|\.ts$/.test(file)),
      [],
      'no sources, tests, examples or source maps',
    );
  });

  test('installs offline, with no other package, no install script and no warning', () => {
    assert.equal(install.status, 0, install.stderr);
    assert.doesNotMatch(install.stderr, /warn|EBADENGINE|allowScripts|install-scripts/i, install.stderr);
    assert.deepEqual(
      fs.readdirSync(path.join(sample, 'node_modules')).filter((name) => !name.startsWith('.')),
      [PACKAGE.name],
    );
    const bin = path.join(sample, 'node_modules/.bin/delivery-lint');
    assert.ok(fs.existsSync(bin), 'the bin is linked');
    assert.equal(sh('npx delivery-lint --version', sample, env(home)).stdout, `${PACKAGE.version}\n`);
  });

  test("the README's CLI command finds the bug, and passes once it is fixed", () => {
    const command = example('cli').trim();
    const buggy = sh(command, sample, env(home));
    assert.equal(buggy.status, 1, buggy.stderr);
    assert.match(buggy.stdout, /src\/orders\.consumer\.ts\n\s+10:5\s+error\s+.*ack-before-process/);
    fs.writeFileSync(path.join(sample, 'src/orders.consumer.ts'), FIXED);
    try {
      const fixed = sh(command, sample, env(home));
      assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
    } finally {
      fs.writeFileSync(path.join(sample, 'src/orders.consumer.ts'), BUGGY);
    }
  });

  test("the README's config: its $schema is the installed schema, and the CLI reads the file", () => {
    const config = JSON.parse(example('config')) as { $schema: string };
    const target = path.join(sample, 'delivery-lint.config.json');
    fs.writeFileSync(target, JSON.stringify(config, null, 2));
    try {
      const schema = path.resolve(sample, config.$schema);
      assert.ok(fs.existsSync(schema), `${config.$schema} exists once installed`);
      assert.equal((JSON.parse(fs.readFileSync(schema, 'utf8')) as { type: string }).type, 'object');
      const printed = sh('npx delivery-lint --print-config src/orders.consumer.ts', sample, env(home));
      assert.equal(printed.status, 0, printed.stderr);
      assert.equal(
        (JSON.parse(printed.stdout) as { rules: Record<string, string> }).rules['producer-missing-event-id'],
        'warn',
      );
    } finally {
      fs.rmSync(target);
    }
  });

  test("the README's pre-commit hook refuses a commit with the bug, and lets the fixed one through", () => {
    const environment = env(home);
    assert.equal(sh('git init -q . && git add package.json tsconfig.json', sample, environment).status, 0);
    fs.writeFileSync(path.join(sample, '.gitignore'), 'node_modules/\n');
    const hook = path.join(sample, '.git/hooks/pre-commit');
    fs.writeFileSync(hook, example('pre-commit'));
    fs.chmodSync(hook, 0o755);
    assert.equal(
      sh('git add .gitignore && git commit -q -m "no sources yet"', sample, environment).status,
      0,
      'no source staged: the hook passes',
    );
    const refused = sh('git add src && git commit -q -m "orders consumer"', sample, environment);
    assert.equal(refused.status, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /ack-before-process/, "git shows the hook's report on stderr");
    fs.writeFileSync(path.join(sample, 'src/orders.consumer.ts'), FIXED);
    try {
      const accepted = sh(
        'git add src && git commit -q -m "orders consumer, acked after the insert"',
        sample,
        environment,
      );
      assert.equal(accepted.status, 0, accepted.stdout + accepted.stderr);
      assert.ok(
        fs.existsSync(path.join(sample, 'node_modules/.cache/delivery-lint/.delivery-lint-cache')),
        'the hook used the cache',
      );
    } finally {
      fs.writeFileSync(path.join(sample, 'src/orders.consumer.ts'), BUGGY);
    }
  });

  test("the README's GitHub Actions steps: the lint step fails on the bug and leaves SARIF for the upload", () => {
    const workflow = example('github-actions');
    const commands = [...workflow.matchAll(/^\s*- run: (.*delivery-lint.*)$/gm)].map((match) => match[1]);
    assert.equal(commands.length, 1, workflow);
    assert.match(workflow, /- run: npm ci\n/, 'dependencies (delivery-lint among them) are installed first');
    assert.match(workflow, /upload-sarif@v3\n\s+if: always\(\)\n\s+with: \{ sarif_file: delivery-lint\.sarif \}/);
    const result = sh(commands[0], sample, env(home));
    assert.equal(result.status, 1, result.stderr);
    const sarif = JSON.parse(fs.readFileSync(path.join(sample, 'delivery-lint.sarif'), 'utf8')) as {
      version: string;
      runs: {
        results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
      }[];
    };
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(
      sarif.runs[0].results.map(
        (entry) => `${entry.ruleId} ${entry.locations[0].physicalLocation.artifactLocation.uri}`,
      ),
      ['ack-before-process src/orders.consumer.ts'],
    );
  });

  test("the language server the README's Neovim snippet starts, from the installed package", async () => {
    const snippet = example('neovim');
    const relative = /root \.\. '\/([^']+)'/.exec(snippet)?.[1];
    assert.equal(relative, 'node_modules/delivery-lint/dist/server.js');
    assert.match(snippet, /cmd = \{ 'node', server, '--stdio' \}/);
    const client = new LspClient(path.join(sample, relative));
    try {
      await client.initialize(sample);
      const file = path.join(sample, 'src/orders.consumer.ts');
      const published = client.waitForDiagnostics(file);
      await client.open(file, BUGGY);
      const { diagnostics } = await published;
      assert.deepEqual(
        diagnostics.map((diagnostic) => `${String(diagnostic.code)}:${diagnostic.range.start.line + 1}`),
        ['ack-before-process:10'],
      );
    } finally {
      await client.shutdown();
    }
  });

  test('links in the shipped docs resolve inside the package, and every rule links its page', () => {
    const broken: string[] = [];
    const markdown = (folder: string): string[] =>
      fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdown(full);
        return entry.name.endsWith('.md') ? [full] : [];
      });
    for (const file of markdown(installed)) {
      const text = fs
        .readFileSync(file, 'utf8')
        .replace(/```[\s\S]*?```/g, '')
        .replace(/`[^`\n]*`/g, '');
      for (const match of text.matchAll(/\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)/g)) {
        if (!fs.existsSync(path.join(path.dirname(file), match[1])))
          broken.push(`${path.relative(installed, file)} links ${match[1]}`);
      }
    }
    assert.deepEqual(broken, []);
    for (const rule of allRules) {
      const page = /\/(docs\/rules\/[\w-]+\.md)$/.exec(rule.meta.docsUrl)?.[1];
      assert.ok(page && fs.existsSync(path.join(installed, page)), `${rule.meta.docsUrl} is shipped`);
    }
  });
});
