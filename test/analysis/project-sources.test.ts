/**
 * The whole-project searches over the files the program has not read
 * (server/src/analysis/source/project-sources.ts): each search, by its key, runs once per round
 * over the unread files however many calls ask, and every ask is still told to the round (the
 * report that asked depends on what the search looks for).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ts } from 'ts-morph';
import {
  naming,
  setProjectSources,
  wantUnread,
  type ProjectSources,
  type TextSearch,
} from '../../server/src/analysis/source/project-sources';

function programOver(): ts.Program {
  return ts.createProgram({ rootNames: [], options: {} });
}

describe('whole-project searches over the unread files', () => {
  const unread = new Map([
    ['/p/src/audit.ts', 'export class AuditConsumer extends BaseConsumer {}'],
    ['/p/src/other.ts', 'export const other = 1;'],
    ['/p/src/audit.spec.ts', 'class FakeConsumer extends BaseConsumer {}'],
  ]);

  test('a search runs once per key over the unread files that are not tests, and every ask is told', () => {
    const told: string[] = [];
    const sources: ProjectSources = { unread, wanted: new Set(), searched: (search) => told.push(search.key) };
    const program = programOver();
    setProjectSources(program, sources);
    let runs = 0;
    const search: TextSearch = {
      key: 'heritage:BaseConsumer',
      test: (text) => {
        runs++;
        return /extends BaseConsumer/.test(text);
      },
    };
    for (let ask = 0; ask < 50; ask++) wantUnread(program, search);
    assert.deepEqual([...sources.wanted], ['/p/src/audit.ts'], 'the test file is left out');
    assert.equal(runs, 2, 'two candidate files, tested once each');
    assert.equal(told.length, 50, 'each ask is recorded for the report that made it');
  });

  test('a new round (a new program) searches again', () => {
    const first = programOver();
    const second = programOver();
    const wanted = new Set<string>();
    setProjectSources(first, { unread, wanted });
    setProjectSources(second, { unread: new Map([...unread].slice(1)), wanted });
    wantUnread(first, naming('AuditConsumer'));
    wantUnread(second, naming('other'));
    assert.deepEqual([...wanted].sort(), ['/p/src/audit.ts', '/p/src/other.ts']);
  });

  test('names the key by what it looks for, so different searches do not share answers', () => {
    assert.notEqual(naming('X').key, naming('X', { key: 'heritage', test: () => true }).key);
    assert.notEqual(naming('X').key, naming('Y').key);
    assert.equal(naming('X', { key: 'subscribes', test: () => false }).test('X'), false, 'both parts must pass');
  });

  test('a file names what it mentions as a whole identifier, not inside a longer one', () => {
    const logger = naming('Logger');
    for (const text of [
      'new Logger()',
      'constructor(private readonly log: Logger) {}',
      'import { Logger as Log } from "x";',
    ])
      assert.equal(logger.test(text), true, text);
    for (const text of [
      'private readonly logger: AmplicationLogger',
      'const Loggers = [];',
      'const $Logger = 1;',
      'Logger_v2',
    ])
      assert.equal(logger.test(text), false, text);
    assert.equal(naming('$store').test('this.$store.commit()'), true, 'a name that starts with $');
    assert.equal(naming('$store').test('this.my$store'), false);
  });
});
