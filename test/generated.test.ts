import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { allGenerated, COMMAND_TITLES, librariesTable, rulesTable } from '../scripts/generate';
import { RULES } from '../client/src/generated/rules';
import { LANGUAGE_IDS } from '../client/src/languages';
import { COMMANDS, SETTINGS_SECTION } from '../server/src/lsp/protocol';
import { allRules } from '../server/src/rules';

/** The parts of package.json these tests read. */
interface Setting {
  type?: string | (string | null)[];
  default?: unknown;
  enum?: unknown[];
  markdownDescription?: string;
  markdownEnumDescriptions?: string[];
  properties?: Record<string, Setting>;
}
interface Manifest {
  main: string;
  activationEvents: string[];
  scripts: Record<string, string>;
  repository?: { url?: string };
  capabilities: { untrustedWorkspaces: unknown };
  contributes: {
    configuration: { properties: Record<string, Setting> };
    commands: { command: string; title: string; category: string }[];
    jsonValidation: unknown[];
    grammars: unknown[];
    menus: { commandPalette: { command: string; when: string }[] };
  };
}

const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8')) as Manifest;

test('files generated from rule and library metadata are up to date (npm run generate)', () => {
  for (const { file, content } of allGenerated()) {
    assert.equal(fs.readFileSync(file, 'utf8'), content, `${file} is stale: run npm run generate`);
  }
});

test('every rule has a docs page and a row in the README table', () => {
  const table = rulesTable();
  for (const rule of allRules) {
    assert.ok(fs.existsSync(`docs/rules/${rule.meta.id}.md`), `docs/rules/${rule.meta.id}.md is missing`);
    assert.ok(table.includes(`\`${rule.meta.id}\``));
    assert.ok(rule.meta.docsUrl.endsWith(`/docs/rules/${rule.meta.id}.md`));
  }
});

test('the libraries table lists every library module', () => {
  const table = librariesTable();
  for (const name of ['kafkajs', 'amqplib', 'sqs-consumer'])
    assert.ok(table.includes(name), `${name} missing from the table`);
});

test('package.json contributes a setting per rule, with its default severity and docs link', () => {
  const properties = manifest.contributes.configuration.properties;
  assert.deepEqual(
    Object.keys(properties).sort(),
    ['enable', 'guardStrategy', 'rules', 'trace.server'].map((name) => `${SETTINGS_SECTION}.${name}`).sort(),
  );
  assert.equal(properties['deliveryLint.enable'].type, 'boolean');
  assert.equal(properties['deliveryLint.enable'].default, true);
  const rules = properties['deliveryLint.rules'];
  assert.equal(rules.type, 'object');
  // An empty default: only rules the user sets override delivery-lint.config.json.
  assert.deepEqual(rules.default, {});
  const ruleSettings = rules.properties ?? {};
  assert.deepEqual(
    Object.keys(ruleSettings),
    allRules.map((rule) => rule.meta.id),
  );
  for (const rule of allRules) {
    const setting = ruleSettings[rule.meta.id];
    assert.deepEqual(setting.enum, ['off', 'warn', 'error', 'info']);
    assert.equal(setting.default, rule.meta.defaultSeverity === 'warning' ? 'warn' : rule.meta.defaultSeverity);
    const description = setting.markdownDescription ?? '';
    assert.ok(description.includes(rule.meta.description));
    assert.ok(description.includes(`(${rule.meta.docsUrl})`));
  }
  const strategy = properties['deliveryLint.guardStrategy'];
  // Unset (null) leaves the choice to delivery-lint.config.json.
  assert.deepEqual(strategy.enum, ['redis', 'sql', 'powertools', 'memory', null]);
  assert.equal(strategy.default, null);
  assert.equal(strategy.markdownEnumDescriptions?.length, strategy.enum?.length);
  assert.deepEqual(properties['deliveryLint.trace.server'].enum, ['off', 'messages', 'verbose']);
});

test('package.json contributes every command of protocol.ts, the schema and the injection grammar', () => {
  const { commands, jsonValidation, grammars, menus } = manifest.contributes;
  assert.deepEqual(commands.map((entry: { command: string }) => entry.command).sort(), Object.values(COMMANDS).sort());
  for (const entry of commands) {
    assert.equal(entry.category, 'delivery-lint');
    assert.ok(entry.title && Object.values(COMMAND_TITLES).includes(entry.title));
  }
  assert.ok(
    menus.commandPalette.some(
      (entry: { command: string; when: string }) =>
        entry.command === COMMANDS.explainConsumer && entry.when === 'false',
    ),
  );
  assert.deepEqual(jsonValidation, [
    { fileMatch: 'delivery-lint.config.json', url: './schemas/delivery-lint.config.schema.json' },
  ]);
  assert.ok(fs.existsSync(jsonValidation[0].url));
  assert.deepEqual(grammars, [
    {
      scopeName: 'delivery-lint.comment-directives',
      path: './syntaxes/delivery-lint.injection.tmLanguage.json',
      injectTo: ['source.ts', 'source.tsx', 'source.js', 'source.js.jsx'],
    },
  ]);
  for (const language of LANGUAGE_IDS) assert.ok(manifest.activationEvents.includes(`onLanguage:${language}`));
});

test('the extension manifest runs the bundled client and declares what it needs', () => {
  assert.equal(manifest.main, './dist/extension.js');
  assert.deepEqual(manifest.capabilities.untrustedWorkspaces, { supported: true });
  assert.ok(manifest.repository?.url);
  assert.match(
    manifest.scripts.package,
    /build\.mjs --production && vsce package --no-dependencies -o delivery-lint\.vsix/,
  );
  assert.ok(fs.existsSync('LICENSE'));
});

test('the explainer panel knows every rule', () => {
  assert.deepEqual(
    RULES.map((rule) => rule.id),
    allRules.map((rule) => rule.meta.id),
  );
});
