/**
 * Editor features computed from an analysis, without a connection: what the code lens says of a
 * consumer the analysis could not see in full.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { code, codeActions, codeLenses, hover, text, type DocumentAnalysis } from '../../server/src/lsp/features';
import { consumer, finding, loc } from '../cli/helpers';

function analysisOf(consumers: DocumentAnalysis['consumers']): DocumentAnalysis {
  const filePath = consumers[0].registration.location.filePath;
  return { uri: `file://${filePath}`, filePath, version: 1, text: '', findings: [], consumers, textOf: () => '' };
}

describe('code lens', () => {
  it('says why a consumer is not fully analysed', () => {
    const [lens] = codeLenses(analysisOf([consumer({ incomplete: 'its transport is not statically known' })]));
    assert.equal(lens.command?.title, 'kafkajs · not fully analysed: its transport is not statically known · Explain');
  });

  it('summarises a consumer that was analysed', () => {
    const [lens] = codeLenses(analysisOf([consumer()]));
    assert.match(
      lens.command?.title ?? '',
      /^kafkajs · orders\.placed · at-least-once · 1 unsafe effect, no dedup check · Explain$/,
    );
  });
});

/** A document with one missing-event-id-check finding on the insert of line 2, offering `fixes`. */
function handlerAnalysis(
  filePath: string,
  text: string,
  version: number,
  fixes: DocumentAnalysis['findings'][number]['fixes'],
): DocumentAnalysis {
  const finding = {
    ruleId: 'missing-event-id-check',
    messageId: 'noIdentityCheck',
    severity: 'warning' as const,
    message: 'm',
    location: { filePath, start: 35, end: 79, line: 2, column: 3, endLine: 2, endColumn: 47 },
    related: [],
    consumerId: 'c',
    fixes,
  };
  return { uri: `file://${filePath}`, filePath, version, text, findings: [finding], consumers: [], textOf: () => text };
}

describe('the suppress quick-fix', () => {
  const filePath = '/project/src/consumer.ts';
  const text = "export async function handle() {\n  await pool.query('INSERT INTO t VALUES (1)');\n}\n";
  const analysis = handlerAnalysis(filePath, text, 7, []);
  const range = { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } };

  it('is a snippet whose reason is a selected placeholder, where the client takes snippet edits', () => {
    const [action] = codeActions(analysis, range, undefined, { snippets: true }).filter((candidate) =>
      candidate.title.startsWith('Suppress'),
    );
    const change = action.edit?.documentChanges?.[0] as {
      textDocument: { version: number };
      edits: { snippet: { value: string } }[];
    };
    assert.equal(change.textDocument.version, 7);
    assert.equal(
      change.edits[0].snippet.value,
      '  // delivery-lint-disable-next-line missing-event-id-check -- ${1:<why this finding does not apply>}\n',
    );
  });

  it('writes the placeholder as text elsewhere (it is reported until it is replaced)', () => {
    const [action] = codeActions(analysis, range, undefined).filter((candidate) =>
      candidate.title.startsWith('Suppress'),
    );
    const [edit] = action.edit?.changes?.[analysis.uri] ?? [];
    assert.equal(
      edit.newText,
      '  // delivery-lint-disable-next-line missing-event-id-check -- <why this finding does not apply>\n',
    );
  });
});

describe('versioned fix edits', () => {
  const filePath = '/project/src/consumer.ts';
  const other = '/project/src/helper.ts';
  const text = "export async function handle() {\n  await pool.query('INSERT INTO t VALUES (1)');\n}\n";
  const insert = (title: string, safe: boolean, at: string) => ({
    title,
    safe,
    edits: [{ filePath: at, start: 35, end: 35, newText: '/* guard */ ' }],
  });
  const analysis = handlerAnalysis(filePath, text, 12, [
    insert('Add a guard', false, filePath),
    insert('Tidy the helper', true, other),
  ]);
  const range = { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } };
  type Change = { textDocument: { uri: string; version: number | null }; edits: { newText: string }[] };

  it('name the version they were computed for, so a client refuses them once the file changed', () => {
    const actions = codeActions(analysis, range, undefined, { versioned: true });
    for (const action of actions) {
      const changes = (action.edit?.documentChanges ?? []) as Change[];
      assert.ok(changes.length, `${action.title}: documentChanges`);
      assert.equal(action.edit?.changes, undefined, `${action.title}: no unversioned changes`);
      for (const change of changes)
        assert.equal(change.textDocument.version, change.textDocument.uri === analysis.uri ? 12 : null);
    }
  });

  it('fix-all merges the safe fixes per file, versioned', () => {
    const [fixAll] = codeActions(analysis, range, ['source.fixAll'], { versioned: true }).filter(
      (action) => action.kind === 'source.fixAll.delivery-lint',
    );
    const changes = fixAll.edit?.documentChanges as Change[];
    assert.deepEqual(
      changes.map((change) => [change.textDocument.uri, change.textDocument.version, change.edits.length]),
      [[`file://${other}`, null, 1]],
    );
  });

  it('stay a plain changes map for clients without documentChanges', () => {
    const [guard] = codeActions(analysis, range, undefined).filter((action) => action.title === 'Add a guard');
    assert.equal(guard.edit?.changes?.[analysis.uri]?.[0].newText, '/* guard */ ');
  });
});

describe('hover escapes workspace-derived strings', () => {
  const hostile = 'orders`) ![x](https://evil.example/p.png) [y](command:evil) <img src=x> **b** _i_';

  function hoverValue(overrides: Parameters<typeof consumer>[0]): string {
    const report = consumer(overrides);
    const result = hover(analysisOf([report]), {
      line: report.handlerLocation.line - 1,
      character: report.handlerLocation.column,
    });
    return (result?.contents as { value: string }).value;
  }

  it('a topic with backticks stays inside its code span', () => {
    const base = consumer();
    const value = hoverValue({ registration: { ...base.registration, source: hostile } });
    const line = value.split('\n')[0];
    assert.ok(line.includes(`\`\` ${hostile} \`\``) || line.includes(`\`\`${hostile}\`\``), line);
  });

  it('effect labels and callee names cannot open a link, an image or HTML', () => {
    const base = consumer();
    const value = hoverValue({
      effects: [
        {
          ...base.effects[0],
          description: { ...base.effects[0].description, label: hostile },
          chain: [{ ...base.effects[0].chain[0], callee: hostile }],
        },
      ],
    });
    const lines = value.split('\n').filter((candidate) => candidate.includes('evil'));
    assert.ok(lines.length, value);
    // The label and the callee appear escaped, and escaped they open nothing.
    for (const line of lines) assert.ok(line.includes(text(hostile)), line);
    assert.doesNotMatch(text(hostile).replace(/\\./g, ''), /[![\]<>`*_]/);
  });

  it('text() and code() keep the string on one line and render it as itself', () => {
    assert.equal(text('a\nb'), 'a b');
    assert.equal(text('x_y*z'), 'x\\_y\\*z');
    assert.equal(text('# heading'), '\\# heading');
    assert.equal(text('1. list'), '1\\. list');
    assert.equal(code('a`b'), '``a`b``');
    assert.equal(code('`a'), '`` `a ``');
  });
});

describe('the suppress quick-fix in CRLF and tab-indented files', () => {
  function suppressEdit(source: string): string {
    const filePath = '/w/src/orders.ts';
    const analysis: DocumentAnalysis = {
      uri: `file://${filePath}`,
      filePath,
      version: 1,
      text: source,
      findings: [finding('missing-event-id-check', 'warning', 'm', loc(filePath, 2, 3))],
      consumers: [],
      textOf: () => source,
    };
    const actions = codeActions(
      analysis,
      { start: { line: 1, character: 0 }, end: { line: 1, character: 10 } },
      undefined,
    );
    const suppress = actions.find((action) => action.title.startsWith('Suppress'))!;
    return Object.values(suppress.edit!.changes!)[0][0].newText;
  }

  it("ends the comment with the file's own line ending and indentation", () => {
    assert.equal(
      suppressEdit('function f() {\r\n\tcall();\r\n}\r\n'),
      '\t// delivery-lint-disable-next-line missing-event-id-check -- <why this finding does not apply>\r\n',
    );
    assert.equal(
      suppressEdit('function f() {\n  call();\n}\n'),
      '  // delivery-lint-disable-next-line missing-event-id-check -- <why this finding does not apply>\n',
    );
  });
});
