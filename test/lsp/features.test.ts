/**
 * Editor features computed from an analysis, without a connection: what the code lens says of a
 * consumer the analysis could not see in full.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeLenses, type DocumentAnalysis } from '../../server/src/lsp/features';
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
