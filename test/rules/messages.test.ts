/**
 * Every rule message starts with a short sentence that says what happens and what follows from
 * it, with no placeholder in it, short enough for the Problems panel's row (about 100 characters);
 * the detail (the consumer, the calls, the lines, what to do) comes after it. Message ids stay the
 * keys tests and configs use.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allRules } from '../../server/src/rules';

const MAX_FIRST_SENTENCE = 100;

test('every message opens with a short first sentence, the detail after it', () => {
  for (const rule of allRules) {
    for (const [id, template] of Object.entries(rule.meta.messages)) {
      const end = template.indexOf('. ');
      assert.ok(end > 0, `${rule.meta.id}.${id} has one sentence only`);
      const first = template.slice(0, end + 1);
      assert.ok(!first.includes('{{'), `${rule.meta.id}.${id}: the first sentence has a placeholder: ${first}`);
      assert.ok(
        first.length <= MAX_FIRST_SENTENCE,
        `${rule.meta.id}.${id}: the first sentence has ${first.length} characters: ${first}`,
      );
      assert.match(first, /^[A-Z]/, `${rule.meta.id}.${id}: ${first}`);
      assert.ok(template.slice(end + 2).trim().length > 0, `${rule.meta.id}.${id} has no detail after it`);
    }
  }
});
