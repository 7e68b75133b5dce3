/**
 * The comment-directive injection grammar (syntaxes/delivery-lint.injection.tmLanguage.json),
 * injected into VS Code's own TypeScript/TSX/JavaScript/JSX grammars (from the tm-grammars
 * package) and tokenized by vscode-textmate, as VS Code does:
 * - the annotated cases in test/grammar/cases/*.tmtest, run by `vscode-tmgrammar-test`;
 * - the snapshots in test/grammar/snapshots/, run by `vscode-tmgrammar-snap` (after a deliberate
 *   grammar change, refresh them with the command in test/grammar/README.md);
 * - every rule of the catalogue is highlighted as a rule id;
 * - the grammar agrees with the server's own parsers (server/src/analysis/source/directives.ts) on
 *   what is a directive, which rule ids it names, and which @delivery values count.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { ts } from 'ts-morph';
import { createRegistry, loadConfiguration } from 'vscode-tmgrammar-test/dist/common/index.js';
import { Suppressions, handlerTags } from '../../server/src/analysis/source/directives';
import { allRules } from '../../server/src/rules';

const REPO = path.resolve(__dirname, '..', '..');
const CONFIG = path.join(__dirname, 'grammars.json');
const CASES = path.join(__dirname, 'cases');
const SNAPSHOTS = path.join(__dirname, 'snapshots');
const GRAMMAR = path.join(REPO, 'syntaxes', 'delivery-lint.injection.tmLanguage.json');
const TOOL = path.dirname(require.resolve('vscode-tmgrammar-test/package.json'));

/** vscode-textmate's grammar, as the tool's registry loads it. */
type IGrammar = NonNullable<Awaited<ReturnType<ReturnType<typeof createRegistry>['loadGrammar']>>>;

const KEYWORD = 'keyword.control.directive.delivery-lint';
const RULE = 'entity.name.tag.rule.delivery-lint';
const TAG = 'keyword.other.tag.delivery-lint';
const SEMANTICS = 'constant.language.semantics.delivery-lint';
const BAD_SEMANTICS = 'invalid.illegal.semantics.delivery-lint';

function runTool(script: string, args: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [path.join(TOOL, 'dist', script), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}${run.error ? String(run.error) : ''}` };
}

function filesIn(folder: string, suffix: string): string[] {
  return fs
    .readdirSync(folder)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => path.relative(REPO, path.join(folder, name)));
}

interface Token {
  text: string;
  scopes: string[];
}

/** Tokens of each line of `source`, with the line state carried across lines. */
function tokenize(grammar: IGrammar, source: string): Token[][] {
  let state = null;
  const lines: Token[][] = [];
  for (const line of source.split('\n')) {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    lines.push(
      result.tokens.map((token) => ({ text: line.slice(token.startIndex, token.endIndex), scopes: token.scopes })),
    );
  }
  return lines;
}

function withScope(lines: Token[][], scope: string): string[] {
  return lines
    .flat()
    .filter((token) => token.scopes.includes(scope))
    .map((token) => token.text);
}

describe('comment-directive grammar', () => {
  const grammars = new Map<string, IGrammar>();

  before(async () => {
    const registry = createRegistry(loadConfiguration(CONFIG, undefined, []).grammars);
    for (const scope of ['source.ts', 'source.tsx', 'source.js', 'source.js.jsx']) {
      const grammar = await registry.loadGrammar(scope);
      assert.ok(grammar, `base grammar ${scope} loads`);
      grammars.set(scope, grammar);
    }
  });

  test('the annotated cases pass vscode-tmgrammar-test', () => {
    const cases = filesIn(CASES, '.tmtest');
    assert.ok(cases.length >= 5, `cases found: ${cases.join(', ')}`);
    const { status, output } = runTool('unit.js', ['--config', path.relative(REPO, CONFIG), ...cases]);
    assert.equal(status, 0, output);
    for (const file of cases)
      assert.match(output, new RegExp(`✓ ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} run successful`), output);
  });

  test('the snapshots match vscode-tmgrammar-snap', () => {
    const sources = filesIn(SNAPSHOTS, '.tmsnap');
    assert.ok(sources.length >= 1, 'snapshot sources found');
    const before = new Map<string, string>();
    for (const source of sources) {
      const snap = path.join(REPO, `${source}.snap`);
      // Without its .snap the tool would write one and pass: a missing snapshot is a failure here.
      assert.ok(
        fs.existsSync(snap),
        `${snap} is missing: generate it with the command in test/grammar/README.md and review it`,
      );
      before.set(snap, fs.readFileSync(snap, 'utf8'));
    }
    const { status, output } = runTool('snapshot.js', [
      '--config',
      path.relative(REPO, CONFIG),
      '--scope',
      'source.ts',
      ...sources,
    ]);
    assert.equal(status, 0, output);
    for (const [snap, text] of before) assert.equal(fs.readFileSync(snap, 'utf8'), text, `${snap} was not rewritten`);
  });

  test('the injection selector names the comment scopes the base grammars use', () => {
    const injection = JSON.parse(fs.readFileSync(GRAMMAR, 'utf8')) as { scopeName: string; injectionSelector: string };
    assert.equal(injection.scopeName, 'delivery-lint.comment-directives');
    const selectors = injection.injectionSelector.split(',').map((part) => part.trim());
    for (const selector of selectors)
      assert.match(selector, /^L:comment\./, 'left-priority injections into comments only');
    const names = new Set(selectors.map((selector) => selector.slice(2)));
    const config = JSON.parse(fs.readFileSync(CONFIG, 'utf8')) as {
      contributes: { grammars: { scopeName: string; path: string; injectTo?: string[] }[] };
    };
    const bases = config.contributes.grammars.filter((grammar) => !grammar.injectTo);
    assert.equal(bases.length, 4);
    for (const base of bases) {
      const text = fs.readFileSync(path.join(__dirname, base.path), 'utf8');
      const commentScopes = new Set(
        [...text.matchAll(/"(comment\.(?:line\.double-slash|block(?:\.documentation)?)\.[\w.]+)"/g)].map(
          (match) => match[1],
        ),
      );
      assert.ok(commentScopes.size >= 3, `${base.scopeName} has line, block and documentation comments`);
      for (const scope of commentScopes)
        assert.ok(names.has(scope), `${scope} (from ${base.scopeName}) is in the injectionSelector`);
    }
  });

  test('every rule of the catalogue is highlighted as a rule id, in every language', () => {
    assert.ok(allRules.length >= 3);
    for (const [scope, grammar] of grammars) {
      for (const rule of allRules) {
        const lines = tokenize(
          grammar,
          `// delivery-lint-disable-next-line ${rule.meta.id} -- reviewed\n/* delivery-lint-disable ${rule.meta.id}, ${rule.meta.id} */`,
        );
        assert.deepEqual(
          withScope(lines, RULE),
          [rule.meta.id, rule.meta.id, rule.meta.id],
          `${rule.meta.id} in ${scope}`,
        );
        assert.deepEqual(
          withScope(lines, KEYWORD),
          ['delivery-lint-disable-next-line', 'delivery-lint-disable'],
          scope,
        );
      }
    }
  });

  describe('agrees with the server on suppression directives', () => {
    const samples = [
      '// delivery-lint-disable-next-line ack-before-process -- the gateway acks',
      '// delivery-lint-disable-next-line ack-before-process, missing-event-id-check -- reviewed',
      '// delivery-lint-disable-next-line ack-before-process,non-idempotent-handler',
      '// delivery-lint-disable-next-line non-atomic-dedup double-ack',
      'channel.ack(message); // delivery-lint-disable-line ack-before-process',
      '/* delivery-lint-disable missing-event-id-check */ handle(message);',
      '/*delivery-lint-disable*/',
      '/* delivery-lint-disable ack-before-process --*/',
      '// delivery-lint-disable-next-line -- every rule',
      '// delivery-lint-disable-next-line Ack_Before_Process ack-before-process. -- typos name no rule',
      '// delivery-lint-disable-line ack-before-process because the gateway acks',
      '// delivery-lint-disable-next-line ack-before-process */ not-a-rule',
      '/// delivery-lint-disable-next-line ack-before-process',
      '// see delivery-lint-disable-next-line ack-before-process in the docs',
      '/** delivery-lint-disable ack-before-process */',
    ];
    const others = [
      'ack-before-process',
      'missing-event-id-check',
      'non-idempotent-handler',
      'double-ack',
      'some-other-rule',
    ];

    for (const sample of samples) {
      test(sample, () => {
        const lines = tokenize(grammars.get('source.ts')!, sample);
        const isDirective = withScope(lines, KEYWORD).length > 0;
        const ids = withScope(lines, RULE);
        // Ids written but none valid: the directive suppresses nothing (it is not "every rule").
        const invalidIds = withScope(lines, 'invalid.illegal.rule.delivery-lint');
        const suppressions = new Suppressions(`${sample}\nhandle(message);\n`);
        for (const id of new Set([...ids, ...others])) {
          const serverSuppresses = suppressions.isSuppressed(id, 1) || suppressions.isSuppressed(id, 2);
          const grammarSays = isDirective && (ids.length === 0 ? invalidIds.length === 0 : ids.includes(id));
          assert.equal(
            grammarSays,
            serverSuppresses,
            `${id}: grammar ${grammarSays ? 'names it' : 'does not name it'}, server ${serverSuppresses ? 'suppresses it' : 'does not'}`,
          );
        }
      });
    }

    test('a misspelt keyword is no directive', () => {
      const suppressions = new Suppressions(
        '// delivery-lint-disable-nextline ack-before-process\nhandle(message);\nhandle(message);\n',
      );
      assert.equal(suppressions.isSuppressed('ack-before-process', 3), false);
    });
    test('a directive inside a string is no directive', () => {
      const suppressions = new Suppressions('const text = "// delivery-lint-disable-line ack-before-process";\n');
      assert.equal(suppressions.isSuppressed('ack-before-process', 1), false);
    });
    test('a directive whose ids are all invalid suppresses nothing', () => {
      const suppressions = new Suppressions('// delivery-lint-disable-next-line AckBeforeProcess\nhandle(message);\n');
      assert.equal(suppressions.isSuppressed('ack-before-process', 2), false);
    });
  });

  describe('agrees with the server on @idempotent and @delivery', () => {
    const samples = [
      '/** @delivery at-most-once */',
      '/** @delivery at-least-once */',
      '/** @delivery effectively-once */',
      '/** @delivery exactly-once*/',
      '/**\n * Sends the receipt.\n * @delivery at-most-once\n */',
      '/** @delivery at-most-twice */',
      '/** @delivery at-most-once. */',
      '/** @idempotent keyed by the order id */',
      '/**\n * Charges once.\n * @idempotent Stripe dedups on the idempotencyKey\n */',
      '/** Charges once. @idempotent keyed by orderId @delivery at-least-once */',
      '/** Mail support@delivery.example or ops@idempotent.example */',
      '/** @idempotent-ish is another tag, so is @deliveryMode at-most-once */',
    ];

    for (const sample of samples) {
      test(sample.replace(/\n/g, '⏎'), () => {
        const lines = tokenize(grammars.get('source.ts')!, sample);
        const tags = withScope(lines, TAG).filter((text) => text !== '@');
        const semantics = withScope(lines, SEMANTICS);
        const file = ts.createSourceFile(
          'handler.ts',
          `${sample}\nconst handler = async () => {};\n`,
          ts.ScriptTarget.Latest,
          true,
        );
        const statement = file.statements[0] as ts.VariableStatement;
        const server = handlerTags(statement.declarationList.declarations[0].initializer!);
        assert.equal(
          tags.includes('idempotent'),
          server.idempotent !== undefined,
          `@idempotent: grammar ${JSON.stringify(tags)}, server ${JSON.stringify(server)}`,
        );
        assert.deepEqual(
          semantics,
          server.delivery ? [server.delivery] : [],
          `@delivery: grammar ${JSON.stringify(semantics)}, server ${JSON.stringify(server)}`,
        );
        if (tags.includes('delivery') && !server.delivery)
          assert.equal(withScope(lines, BAD_SEMANTICS).length, 1, 'an unknown semantics is marked invalid');
      });
    }
  });
});
