/**
 * Editor features computed from an analysis, without a connection: what the code lens says of a
 * consumer the analysis could not see in full.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeActions, codeLenses, type DocumentAnalysis } from '../../server/src/lsp/features';
import { consumer } from '../cli/helpers';

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

describe('the suppress quick-fix', () => {
  const filePath = '/project/src/consumer.ts';
  const text = "export async function handle() {\n  await pool.query('INSERT INTO t VALUES (1)');\n}\n";
  const finding = {
    ruleId: 'missing-event-id-check',
    messageId: 'noIdentityCheck',
    severity: 'warning' as const,
    message: 'm',
    location: { filePath, start: 35, end: 79, line: 2, column: 3, endLine: 2, endColumn: 47 },
    related: [],
    consumerId: 'c',
    fixes: [],
  };
  const analysis: DocumentAnalysis = {
    uri: `file://${filePath}`,
    filePath,
    version: 7,
    text,
    findings: [finding],
    consumers: [],
    textOf: () => text,
  };
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
