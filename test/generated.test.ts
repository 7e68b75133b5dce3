import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { allGenerated, librariesTable, rulesTable } from '../scripts/generate';
import { allRules } from '../server/src/rules';

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
  for (const name of ['kafkajs', 'amqplib', 'sqs-consumer']) assert.ok(table.includes(name), `${name} missing from the table`);
});
