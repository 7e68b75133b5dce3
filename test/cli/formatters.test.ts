import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatExplainText, consumersForJson, consumerHeadline } from '../../server/src/cli/formatters/explain';
import { escapeData, escapeProperty, formatGithub } from '../../server/src/cli/formatters/github';
import { formatters } from '../../server/src/cli/formatters/index';
import { formatJson } from '../../server/src/cli/formatters/json';
import {
  buildSarif,
  FINGERPRINT_KEY,
  fingerprint,
  formatSarif,
  normalizeMessageForFingerprint,
  pascalCase,
} from '../../server/src/cli/formatters/sarif';
import { formatStylish } from '../../server/src/cli/formatters/stylish';
import { relativePath } from '../../server/src/cli/formatters/util';
import type { EslintResult } from '../../server/src/cli/formatters/json';
import {
  consumer,
  CWD,
  finding,
  formatInput,
  lintRun,
  loc,
  parseAs,
  RULES,
  sampleFindings,
  type ExplainedJson,
  type SarifLog,
} from './helpers';

const ESC = '\u001b';

describe('stylish formatter', () => {
  it('groups findings by file, sorted by position, with related locations and a summary', () => {
    const out = formatStylish(formatInput());
    const expected = [
      'src/billing.ts',
      '  3:1  info  producer.send gives consumers no message id  producer-missing-event-id',
      '',
      'src/orders.ts',
      '  8:3   error    The offset is committed before the processing completes                              ack-before-process',
      '      ↳ src/orders.ts:20 chargeCustomer runs after the commit',
      '  14:5  warning  kafkajs consumer of orders.placed reaches Stripe charges.create with no dedup check  missing-event-id-check',
      '      ↳ src/billing.ts:40 Stripe charges.create (via chargeCustomer)',
      '',
      '✖ 3 problems (1 error, 1 warning, 1 info)',
      '',
    ].join('\n');
    assert.equal(out, expected);
  });

  it('has no escape codes without colour', () => {
    assert.ok(!formatStylish(formatInput()).includes(ESC));
  });

  it('colours severities, underlines file headers and paints the summary when colour is on', () => {
    const out = formatStylish(formatInput({ color: true }));
    assert.ok(out.includes(`${ESC}[4msrc/orders.ts${ESC}[24m`), 'underlined header');
    assert.ok(out.includes(`${ESC}[31merror`), 'red error');
    assert.ok(out.includes(`${ESC}[33mwarning`), 'yellow warning');
    assert.ok(out.includes(`${ESC}[34minfo`), 'blue info');
    assert.match(out, new RegExp(`${ESC}\\[31m${ESC}\\[1m✖ 3 problems`));
  });

  it('says how many files and consumers were clean', () => {
    const out = formatStylish(formatInput({ findings: [] }));
    assert.equal(out, 'No problems found in 3 files (1 consumer)\n');
    const one = formatStylish(
      formatInput({ findings: [], run: lintRun([], { filesLinted: ['/x/a.ts'], consumers: [] }) }),
    );
    assert.equal(one, 'No problems found in 1 file (0 consumers)\n');
  });

  it('pluralises the summary', () => {
    const two = [
      finding('double-ack', 'error', 'second ack', loc('a.ts', 2, 1)),
      finding('double-ack', 'error', 'third ack', loc('a.ts', 3, 1)),
    ];
    assert.match(formatStylish(formatInput({ findings: two })), /✖ 2 problems \(2 errors, 0 warnings, 0 infos\)\n$/);
    assert.match(
      formatStylish(formatInput({ findings: two.slice(0, 1) })),
      /✖ 1 problem \(1 error, 0 warnings, 0 infos\)\n$/,
    );
  });

  it('mentions findings hidden by --quiet', () => {
    const errorsOnly = sampleFindings().filter((f) => f.severity === 'error');
    const out = formatStylish(formatInput({ findings: errorsOnly, hiddenCount: 2 }));
    assert.match(out, /✖ 1 problem \(1 error, 0 warnings, 0 infos\) \(2 warnings and infos hidden by --quiet\)\n$/);
    const clean = formatStylish(formatInput({ findings: [], hiddenCount: 1 }));
    assert.equal(clean, 'No errors found in 3 files (1 consumer) (1 warning or info hidden by --quiet)\n');
  });

  it('indents the further lines of a multi-line message under the message column', () => {
    const out = formatStylish(
      formatInput({ findings: [finding('double-ack', 'error', 'first line\nsecond line', loc('a.ts', 2, 1))] }),
    );
    const lines = out.split('\n');
    const first = lines.findIndex((line) => line.includes('first line'));
    assert.equal(lines[first + 1], `${' '.repeat(2 + 3 + 2 + 5 + 2)}second line`);
    assert.equal(lines[first + 1].indexOf('second'), lines[first].indexOf('first'));
  });

  it('ends with what it could not analyse in full, and where to see why', () => {
    const consumers = [
      consumer(),
      consumer({ id: 'c2', incomplete: 'its transport is not statically known' }),
      consumer({ id: 'c3', partial: ['deep() is more than 8 calls deep and was not followed'] }),
    ];
    const out = formatStylish(formatInput({ run: lintRun(sampleFindings(), { consumers }) }));
    assert.match(out, /\n3 consumers, 1 not fully analysed, 1 partly analysed \(--explain shows why\)\n$/);
    // Fully analysed runs say nothing more.
    assert.ok(!formatStylish(formatInput()).includes('analysed ('));
  });

  it('prints the consumers first with --explain', () => {
    const out = formatStylish(formatInput({ explain: true }));
    assert.ok(
      out.startsWith(
        '1 consumer found\n\nkafkajs · orders.placed · eachMessage · implicit-after-return · src/orders.ts:12\n',
      ),
    );
    assert.ok(out.indexOf('1 consumer found') < out.indexOf('src/billing.ts\n'));
  });
});

describe('explain output', () => {
  it('has a headline per consumer and a line per effect, settle and guard', () => {
    const c = consumer({
      settles: [
        {
          id: 2,
          kind: 'commit',
          label: 'consumer.commitOffsets',
          location: loc('src/orders.ts', 25, 5),
          chain: [],
          handlerLocation: loc('src/orders.ts', 25, 5),
        },
      ],
      guards: [
        {
          id: 3,
          kind: 'check',
          label: 'seen.has',
          location: loc('src/orders.ts', 16, 9),
          keyedByIdentity: false,
          scope: 'message',
          invalidReason: 'in-memory Set',
          chain: [],
          handlerLocation: loc('src/orders.ts', 16, 9),
        },
      ],
      incomplete: 'dynamic dispatch',
    });
    const text = formatExplainText([c], CWD, false);
    assert.equal(
      consumerHeadline(c, CWD),
      'kafkajs · orders.placed · eachMessage · implicit-after-return · src/orders.ts:12',
    );
    assert.equal(
      text,
      [
        '1 consumer found',
        '',
        'kafkajs · orders.placed · eachMessage · implicit-after-return · src/orders.ts:12',
        '  handler handleOrder · declared at-least-once · effective at-least-once',
        '  identity: topic + partition + message.offset',
        '  not fully analysed: dynamic dispatch',
        '  effect  duplicate-unsafe  Stripe charges.create   src/billing.ts:40 (via chargeCustomer)',
        '  settle  commit            consumer.commitOffsets  src/orders.ts:25',
        '  guard   check             seen.has                src/orders.ts:16 (guards nothing: in-memory Set)',
        '  crash timeline (main path; crash: the process dies after the step; error: the next step throws)',
        '    #  step                                            where             crash  error',
        '    0  receive  receive (eachMessage · orders.placed)  src/orders.ts:14  safe   -',
        '    1  return   return (kafkajs acks) (implicit ack)                     safe   -',
        '    concurrent copies: safe. Two copies processed at the same time change nothing twice: no effect on this path is duplicate-unsafe.',
        '    worst: safe',
        '    note: the analysis could not see the whole handler (dynamic dispatch): steps may be missing',
        '    note: seen.has guards nothing: in-memory Set',
        '',
      ].join('\n'),
    );
  });

  it('prints the crash timeline as a table of steps with the outcome of a crash and of an error after each', () => {
    const base = consumer();
    const settle = {
      id: 2,
      kind: 'commit' as const,
      label: 'consumer.commitOffsets',
      location: loc('src/orders.ts', 25, 5),
      chain: [],
      handlerLocation: loc('src/orders.ts', 25, 5),
    };
    const c = consumer({
      registration: { ...base.registration, ackMode: 'explicit' },
      settles: [settle],
      paths: [
        {
          events: [
            { kind: 'effect', effect: base.effects[0], completion: 'awaited', guarded: false },
            { kind: 'settle', settle, completion: 'awaited' },
          ],
          exit: 'end',
        },
      ],
    });
    const text = formatExplainText([c], CWD, false);
    const timeline = text.slice(text.indexOf('  crash timeline'));
    assert.equal(
      timeline,
      [
        '  crash timeline (main path; crash: the process dies after the step; error: the next step throws)',
        '    #  step                                                                    where              crash      error',
        '    0  receive  receive (eachMessage · orders.placed)                          src/orders.ts:14   safe       safe',
        '    1  effect   Stripe charges.create (duplicate-unsafe) (via chargeCustomer)  src/billing.ts:40  duplicate  duplicate',
        '    2  settle   consumer.commitOffsets (commit)                                src/orders.ts:25   safe       -',
        '    after 1: crash or error → duplicate: Stripe charges.create runs twice. Not settled: the broker redelivers it. Nothing checks the message identity, so the handler runs again.',
        '    concurrent copies: duplicate. Two copies processed at the same time (a redelivery while the first still runs: an expired visibility timeout or lease, a rebalance) both run Stripe charges.create: nothing checks the message identity.',
        '    worst: duplicate after step 1 (crash): Stripe charges.create runs twice',
        '',
      ].join('\n'),
    );
    // With colour the outcome words are painted, and still there as words.
    const coloured = formatExplainText([c], CWD, true);
    assert.ok(coloured.includes(`${ESC}[33mduplicate`), 'duplicate in yellow');
    assert.ok(coloured.includes(`${ESC}[32msafe`), 'safe in green');
    // Acked first: the crash after the commit loses the charge.
    const ackFirst = consumer({
      registration: { ...base.registration, ackMode: 'explicit' },
      settles: [settle],
      paths: [
        {
          events: [
            { kind: 'settle', settle, completion: 'awaited' },
            { kind: 'effect', effect: base.effects[0], completion: 'awaited', guarded: false },
          ],
          exit: 'end',
        },
      ],
    });
    assert.match(
      formatExplainText([ackFirst], CWD, false),
      /^ {4}after 1: crash or error → lost: Stripe charges\.create never happens\. Already settled/m,
    );
  });

  it('names a consumer whose source is not a static string', () => {
    const c = consumer();
    delete c.registration.source;
    assert.match(consumerHeadline(c, CWD), /^kafkajs · \(source not static\) · eachMessage/);
  });

  it('drops the per-path event lists from JSON consumers', () => {
    const [json] = consumersForJson([consumer()], CWD);
    assert.ok(!('paths' in json));
    assert.equal(json.handlerName, 'handleOrder');
    assert.equal(json.effects.length, 1);
  });

  it('keeps the crash timeline in JSON consumers', () => {
    const [json] = consumersForJson([consumer()], CWD);
    assert.ok(json.timeline, 'timeline present');
    assert.deepEqual(
      json.timeline.steps.map((step) => step.kind),
      ['receive', 'return'],
    );
    assert.equal(json.timeline.points.length, 2);
    assert.equal(json.timeline.worst.kind, 'safe');
    const parsed = parseAs<typeof json>(JSON.stringify(json));
    assert.deepEqual(Object.keys(parsed.timeline ?? {}), ['steps', 'points', 'concurrency', 'worst', 'notes']);
  });
});

describe('json formatter', () => {
  it('emits ESLint result objects for every file linted, errors as 2 and warnings/infos as 1', () => {
    const results = parseAs<EslintResult[]>(formatJson(formatInput()));
    assert.ok(Array.isArray(results));
    assert.deepEqual(
      results.map((r: { filePath: string }) => r.filePath),
      ['src/billing.ts', 'src/clean.ts', 'src/orders.ts'].map((f) => `${CWD}/${f}`),
    );
    const [billing, clean, orders] = results;
    assert.deepEqual(clean, {
      filePath: `${CWD}/src/clean.ts`,
      messages: [],
      errorCount: 0,
      warningCount: 0,
      fixableErrorCount: 0,
      fixableWarningCount: 0,
    });
    assert.deepEqual(billing.messages, [
      {
        ruleId: 'producer-missing-event-id',
        severity: 1,
        message: 'producer.send gives consumers no message id',
        messageId: 'message',
        line: 3,
        column: 1,
        endLine: 3,
        endColumn: 11,
      },
    ]);
    assert.equal(billing.warningCount, 1);
    assert.deepEqual(
      orders.messages.map((m: { ruleId: string; severity: number; line: number }) => [m.ruleId, m.severity, m.line]),
      [
        ['ack-before-process', 2, 8],
        ['missing-event-id-check', 1, 14],
      ],
    );
    assert.equal(orders.errorCount, 1);
    assert.equal(orders.warningCount, 1);
    for (const result of results) {
      assert.deepEqual(Object.keys(result), [
        'filePath',
        'messages',
        'errorCount',
        'warningCount',
        'fixableErrorCount',
        'fixableWarningCount',
      ]);
      assert.ok(result.filePath.startsWith('/'), 'absolute path');
    }
  });

  it('adds files with findings that were not in filesLinted', () => {
    const input = formatInput({ run: lintRun(sampleFindings(), { filesLinted: [] }) });
    const results = parseAs<EslintResult[]>(formatJson(input));
    assert.deepEqual(
      results.map((r: { filePath: string }) => r.filePath),
      [`${CWD}/src/billing.ts`, `${CWD}/src/orders.ts`],
    );
  });

  it('is an empty array when nothing was linted', () => {
    assert.equal(formatJson(formatInput({ findings: [], run: lintRun([], { filesLinted: [] }) })), '[]\n');
  });

  it('with --explain is an object of results and consumers (without paths)', () => {
    const out = parseAs<ExplainedJson>(formatJson(formatInput({ explain: true })));
    assert.deepEqual(Object.keys(out), ['results', 'consumers']);
    assert.equal(out.results.length, 3);
    assert.equal(out.consumers.length, 1);
    assert.equal(out.consumers[0].registration.library, 'kafkajs');
    assert.ok(!('paths' in out.consumers[0]), 'no paths');
    const timeline = out.consumers[0].timeline;
    assert.ok(timeline);
    assert.deepEqual(
      timeline.steps.map((step) => step.kind),
      ['receive', 'return'],
    );
    assert.equal(timeline.points[0].crash.kind, 'safe');
  });
});

describe('sarif formatter', () => {
  const sarif = parseAs<SarifLog>(formatSarif(formatInput()));

  it('has the SARIF 2.1.0 envelope', () => {
    assert.equal(typeof sarif.$schema, 'string');
    assert.match(sarif.$schema, /sarif-2\.1\.0/);
    assert.equal(sarif.version, '2.1.0');
    assert.ok(Array.isArray(sarif.runs));
    assert.equal(sarif.runs.length, 1);
    assert.deepEqual(sarif.runs[0].originalUriBaseIds, { '%SRCROOT%': { uri: `file://${CWD}/` } });
  });

  it('describes the tool and every rule', () => {
    const driver = sarif.runs[0].tool.driver;
    assert.equal(driver.name, 'delivery-lint');
    assert.equal(driver.version, '9.8.7');
    assert.match(driver.informationUri, /^https:\/\//);
    assert.deepEqual(
      driver.rules.map((r: { id: string }) => r.id),
      RULES.map((r) => r.id),
    );
    for (const [index, rule] of driver.rules.entries()) {
      const meta = RULES[index];
      assert.equal(rule.name, pascalCase(meta.id));
      assert.match(rule.name, /^[A-Z][A-Za-z0-9]*$/);
      assert.equal(rule.shortDescription.text, meta.description);
      assert.equal(typeof rule.fullDescription.text, 'string');
      assert.ok(rule.fullDescription.text.includes(meta.rationale));
      assert.equal(rule.helpUri, meta.docsUrl);
      assert.equal(typeof rule.help.text, 'string');
      assert.ok(rule.help.text.includes(meta.docsUrl));
      assert.equal(
        rule.defaultConfiguration.level,
        { error: 'error', warning: 'warning', info: 'note' }[meta.defaultSeverity],
      );
      assert.ok(
        Array.isArray(rule.properties.tags) && rule.properties.tags.every((t: unknown) => typeof t === 'string'),
      );
    }
    assert.equal(pascalCase('ack-before-process'), 'AckBeforeProcess');
  });

  it('has one well-formed result per finding', () => {
    const driver = sarif.runs[0].tool.driver;
    const results = sarif.runs[0].results;
    assert.equal(results.length, 3);
    for (const result of results) {
      assert.equal(typeof result.ruleId, 'string');
      assert.ok(Number.isInteger(result.ruleIndex));
      assert.equal(driver.rules[result.ruleIndex].id, result.ruleId);
      assert.ok(['error', 'warning', 'note'].includes(result.level));
      assert.equal(typeof result.message.text, 'string');
      assert.equal(result.locations.length, 1);
      const physical = result.locations[0].physicalLocation;
      assert.equal(physical.artifactLocation.uriBaseId, '%SRCROOT%');
      assert.ok(!physical.artifactLocation.uri.startsWith('/'), 'relative uri');
      for (const key of ['startLine', 'startColumn', 'endLine', 'endColumn'] as const) {
        assert.ok(Number.isInteger(physical.region[key]) && physical.region[key] >= 1, key);
      }
      assert.ok(Array.isArray(result.relatedLocations));
      for (const related of result.relatedLocations) {
        assert.ok(Number.isInteger(related.id));
        assert.equal(typeof related.message.text, 'string');
        assert.equal(related.physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
      }
      assert.match(result.partialFingerprints[FINGERPRINT_KEY], /^[0-9a-f]{32}:\d+$/);
    }
    const error = results.find((r) => r.ruleId === 'ack-before-process');
    assert.ok(error);
    assert.equal(error.level, 'error');
    assert.equal(error.ruleIndex, 0);
    assert.deepEqual(error.locations[0].physicalLocation, {
      artifactLocation: { uri: 'src/orders.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 8, startColumn: 3, endLine: 8, endColumn: 30 },
    });
    assert.deepEqual(error.relatedLocations, [
      {
        id: 1,
        message: { text: 'chargeCustomer runs after the commit' },
        physicalLocation: {
          artifactLocation: { uri: 'src/orders.ts', uriBaseId: '%SRCROOT%' },
          region: { startLine: 20, startColumn: 7, endLine: 20, endColumn: 17 },
        },
      },
    ]);
    assert.equal(results.find((r) => r.ruleId === 'producer-missing-event-id')?.level, 'note');
  });

  it('keeps fingerprints stable when code moves and distinct for different findings', () => {
    const moved = (line: number, message: string) =>
      buildSarif(formatInput({ findings: [finding('double-ack', 'error', message, loc('src/a.ts', line, 1))] })).runs[0]
        .results[0].partialFingerprints[FINGERPRINT_KEY];
    assert.equal(moved(10, 'second ack (first at src/a.ts:5)'), moved(42, 'second ack (first at src/a.ts:37)'));
    assert.equal(moved(10, 'second ack, see line 5'), moved(11, 'second ack, see line 6'));
    assert.notEqual(moved(10, 'second ack'), moved(10, 'a different message'));
    assert.notEqual(fingerprint('double-ack', 'src/a.ts', 'm'), fingerprint('double-ack', 'src/b.ts', 'm'));
    assert.notEqual(fingerprint('double-ack', 'src/a.ts', 'm'), fingerprint('ack-before-process', 'src/a.ts', 'm'));
    assert.equal(normalizeMessageForFingerprint('at src/x.ts:12:4 and line 7'), 'at src/x.ts: and line');
  });

  it('tells identical findings in one file apart by occurrence', () => {
    const twins = [
      finding('double-ack', 'error', 'same', loc('src/a.ts', 3, 1)),
      finding('double-ack', 'error', 'same', loc('src/a.ts', 9, 1)),
    ];
    const prints = buildSarif(formatInput({ findings: twins })).runs[0].results.map(
      (r) => r.partialFingerprints[FINGERPRINT_KEY],
    );
    assert.equal(new Set(prints).size, 2);
    assert.match(prints[0], /:1$/);
    assert.match(prints[1], /:2$/);
  });

  it('adds a descriptor for a rule the catalogue does not list', () => {
    const out = buildSarif(formatInput({ findings: [finding('brand-new-rule', 'warning', 'x', loc('a.ts', 1, 1))] }));
    const driver = out.runs[0].tool.driver;
    const result = out.runs[0].results[0];
    assert.equal(driver.rules[result.ruleIndex].id, 'brand-new-rule');
    assert.equal(driver.rules[result.ruleIndex].name, 'BrandNewRule');
  });

  it('percent-encodes uris', () => {
    const out = buildSarif(
      formatInput({ findings: [finding('double-ack', 'error', 'x', loc('my dir/a#b.ts', 1, 1))] }),
    );
    assert.equal(out.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'my%20dir/a%23b.ts');
  });

  it('carries what the analysis could not see as tool notifications', () => {
    const consumers = [
      consumer({ incomplete: 'its transport is not statically known' }),
      consumer({ id: 'c2', partial: ['deep() is more than 8 calls deep and was not followed'] }),
    ];
    const run = buildSarif(formatInput({ run: lintRun(sampleFindings(), { consumers }) })).runs[0];
    const notes = run.invocations[0].toolExecutionNotifications;
    assert.deepEqual(
      notes.map((note) => (note as { message: { text: string } }).message.text),
      [
        'kafkajs consumer handleOrder: not fully analysed: its transport is not statically known',
        'kafkajs consumer handleOrder: partly analysed: deep() is more than 8 calls deep and was not followed',
      ],
    );
    assert.deepEqual(buildSarif(formatInput()).runs[0].invocations[0].toolExecutionNotifications, []);
  });

  it('has empty results when there are no findings', () => {
    const out = parseAs<SarifLog>(formatSarif(formatInput({ findings: [] })));
    assert.deepEqual(out.runs[0].results, []);
    assert.equal(out.runs[0].tool.driver.rules.length, RULES.length);
  });
});

describe('github formatter', () => {
  it('writes one workflow command per finding with error, warning and notice', () => {
    const lines = formatGithub(formatInput()).trimEnd().split('\n');
    assert.deepEqual(lines, [
      '::notice file=src/billing.ts,line=3,col=1,endLine=3,endColumn=11,title=delivery-lint(producer-missing-event-id)::producer.send gives consumers no message id',
      '::error file=src/orders.ts,line=8,col=3,endLine=8,endColumn=30,title=delivery-lint(ack-before-process)::The offset is committed before the processing completes%0A↳ src/orders.ts:20 chargeCustomer runs after the commit',
      '::warning file=src/orders.ts,line=14,col=5,endLine=14,endColumn=15,title=delivery-lint(missing-event-id-check)::kafkajs consumer of orders.placed reaches Stripe charges.create with no dedup check%0A↳ src/billing.ts:40 Stripe charges.create (via chargeCustomer)',
    ]);
  });

  it('escapes data and properties as the Actions runner expects', () => {
    assert.equal(escapeData('100% done\r\nnext: a,b'), '100%25 done%0D%0Anext: a,b');
    assert.equal(escapeProperty('dir:a,b/100%.ts\n'), 'dir%3Aa%2Cb/100%25.ts%0A');
    const out = formatGithub(
      formatInput({ findings: [finding('double-ack', 'error', 'rate 50%: a, b\nnext', loc('we,ird:dir/f.ts', 2, 3))] }),
    );
    assert.equal(
      out,
      '::error file=we%2Cird%3Adir/f.ts,line=2,col=3,endLine=2,endColumn=13,title=delivery-lint(double-ack)::rate 50%25: a, b%0Anext\n',
    );
  });

  it('prints nothing without findings', () => {
    assert.equal(formatGithub(formatInput({ findings: [] })), '');
  });
});

describe('formatter registry and paths', () => {
  it('has every format', () => {
    assert.deepEqual(Object.keys(formatters).sort(), ['github', 'json', 'sarif', 'stylish']);
  });

  it('makes paths relative with forward slashes', () => {
    assert.equal(relativePath(CWD, `${CWD}/src/a.ts`), 'src/a.ts');
    assert.equal(relativePath(CWD, 'src/a.ts'), 'src/a.ts');
    assert.equal(relativePath(CWD, '/elsewhere/a.ts'), '../../elsewhere/a.ts');
  });
});
