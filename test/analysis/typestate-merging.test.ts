/**
 * The facts' typestate leaves out what no later transition reads (facts.ts, `typestate`): paths
 * that differ only there merge, so a long tail after them is walked once, not once per difference.
 * Each test counts the states the walk steps (the budget's ticks) over a hand-built step tree, with
 * and without the difference, and checks that a difference still read later keeps paths apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ts } from 'ts-morph';
import { computeFacts } from '../../server/src/analysis/dataflow/facts';
import { Budget } from '../../server/src/analysis/dataflow/budget';
import { OccurrenceRegistry } from '../../server/src/analysis/dataflow/occurrences';
import { locationOf } from '../../server/src/analysis/source/ast';
import type { GuardTemplate, Step } from '../../server/src/analysis/handler/steps';

/** Counts the states the walk steps. */
class CountingBudget extends Budget {
  ticks = 0;
  override tick(count = 1): void {
    this.ticks += count;
    super.tick(count);
  }
}

/** A handler with many calls, one node per effect, and a try/catch for the catch steps. */
const SOURCE = ts.createSourceFile(
  '/src/handler.ts',
  `async function handle(msg) {
  try { await work(); } catch (error) { console.warn(error); }
  try { await work(); } catch (error) { console.warn(error); }
${Array.from({ length: 40 }, (_, index) => `  await call${index}(msg);`).join('\n')}
}`,
  ts.ScriptTarget.Latest,
  true,
);
const HANDLER = SOURCE.statements[0] as ts.FunctionDeclaration;
const TRY = HANDLER.body!.statements[0] as ts.TryStatement;
const OTHER_TRY = HANDLER.body!.statements[1] as ts.TryStatement;
const CALLS = HANDLER.body!.statements.slice(2).map((statement) => (statement as ts.ExpressionStatement).expression);

function effect(index: number): Step {
  return {
    t: 'effect',
    completion: 'awaited',
    effect: {
      description: { class: 'duplicate-unsafe', label: `INSERT into t${index}`, category: 'sql', processing: true },
      node: CALLS[index],
      keyedByMessage: false,
      chain: [],
    },
  };
}

function check(index: number): GuardTemplate {
  return {
    kind: 'check',
    label: `seen ${index}`,
    node: CALLS[index],
    keyedByIdentity: true,
    scope: 'message',
    chain: [],
  };
}

/** `if (await seen(id)) return;`: the path that goes on passed the check. */
function skipSeen(index: number): Step {
  return {
    t: 'if',
    guard: { guard: check(index), thenMeans: 'seen' },
    then: [{ t: 'exit', kind: 'return', node: CALLS[index] }],
    else: [],
  };
}

const ACK: Step = {
  t: 'settle',
  completion: 'awaited',
  settle: { kind: 'ack', label: 'channel.ack', node: CALLS[39], chain: [] },
};

/** `try { await work(); } catch (error) { console.warn(error); }`: a failure of `work` is caught and logged. */
const BEST_EFFORT: Step = {
  t: 'try',
  body: [effect(38)],
  handler: [],
  catchNode: TRY.catchClause,
  enclosesProcessing: true,
};

/** The same, caught by the second `try`'s catch. */
const BEST_EFFORT_ELSEWHERE: Step = { ...BEST_EFFORT, catchNode: OTHER_TRY.catchClause };

/** A call the analysis cannot follow: what it did with a caught failure cannot be told. */
const UNSEEN: Step = { t: 'unknown', node: CALLS[37], reason: 'not followed', inCondition: false };

/** `count` optional writes: each keeps the paths it meets, and splits none by what they carry. */
function tail(count: number): Step[] {
  return Array.from({ length: count }, (_, index) => ({ t: 'if', then: [effect(10 + index)], else: [] }));
}

function ticks(steps: Step[], exitDetails: boolean): number {
  const budget = new CountingBudget();
  const handlerRange = locationOf(HANDLER);
  computeFacts(steps, new OccurrenceRegistry(), { implicitAck: false, handlerRange, budget, exitDetails });
  return budget.ticks;
}

/** The states stepped by a tail of 20 optional writes after `prefix` (exit details kept unless told). */
function tailTicks(prefix: Step[], suffix: Step[] = [], exitDetails = true): number {
  return ticks([...prefix, ...tail(20), ...suffix], exitDetails) - ticks([...prefix, ...suffix], exitDetails);
}

describe('paths that differ only in what no later step reads merge', () => {
  test('after the ack, which dedup check passed no longer keeps paths apart', () => {
    // Two paths: one passed check 0, the other check 1 (or check 0 too).
    const twoChecks: Step[] = [{ t: 'if', then: [skipSeen(0)], else: [skipSeen(1)] }, ACK];
    const oneCheck: Step[] = [{ t: 'if', then: [skipSeen(0)], else: [skipSeen(0)] }, ACK];
    assert.equal(tailTicks(twoChecks), tailTicks(oneCheck));
  });

  test('before the ack, which dedup check passed still keeps paths apart', () => {
    const twoChecks: Step[] = [{ t: 'if', then: [skipSeen(0)], else: [skipSeen(1)] }];
    const oneCheck: Step[] = [{ t: 'if', then: [skipSeen(0)], else: [skipSeen(0)] }];
    assert.equal(tailTicks(twoChecks, [ACK]), 2 * tailTicks(oneCheck, [ACK]));
  });

  test('once a caught failure is decided, whether processing ran no longer keeps paths apart', () => {
    // The logged failure of `work`, then an unseen call: on that path the failure is decided. Then
    // an optional write: the decided paths differ only in whether processing ran.
    const optional: Step[] = [BEST_EFFORT, UNSEEN, { t: 'if', then: [effect(0)], else: [] }];
    const always: Step[] = [BEST_EFFORT, UNSEEN, effect(0)];
    assert.equal(tailTicks(optional), tailTicks(always));
  });

  test('while no failure was caught, whether processing ran still keeps paths apart (a later catch reads it)', () => {
    const optional: Step[] = [UNSEEN, { t: 'if', then: [effect(0)], else: [] }];
    const always: Step[] = [UNSEEN, effect(0)];
    assert.equal(tailTicks(optional), 2 * tailTicks(always));
  });
});

describe('what only an exit record reads keeps paths apart only where a rule reads it', () => {
  // Two paths caught by different catches, then an unseen call that decides both failures: they
  // differ only in the last catch they went through, which only unsettled-message's exits read.
  const twoCatches: Step[] = [{ t: 'if', then: [BEST_EFFORT], else: [BEST_EFFORT_ELSEWHERE] }, UNSEEN];
  const oneCatch: Step[] = [{ t: 'if', then: [BEST_EFFORT], else: [BEST_EFFORT] }, UNSEEN];

  test('without exit details, paths that went through different catches merge', () => {
    assert.equal(tailTicks(twoCatches, [], false), tailTicks(oneCatch, [], false));
  });

  test('with exit details (a library that holds unsettled messages), they stay apart', () => {
    assert.ok(tailTicks(twoCatches, [], true) > tailTicks(oneCatch, [], true));
  });

  test('without exit details, coming back from a helper on one side no longer splits the paths', () => {
    // `if (…) await helper(msg);` with nothing after it before the tail: one path came back from
    // the helper, the other did not; only an exit record would say "after helper() returns".
    const helper: Step = { t: 'scope', call: CALLS[35] as ts.CallExpression, callee: 'helper', body: [] };
    const helperOnOneSide: Step[] = [ACK, { t: 'if', then: [helper], else: [] }];
    const noHelper: Step[] = [ACK];
    const tailAfter = (prefix: Step[], exitDetails: boolean): number => {
      // A tail whose first write is unconditional: the difference lives until that write, then the
      // paths are one either way.
      const steps = (tailed: boolean): Step[] => [...prefix, ...(tailed ? tail(20) : [])];
      return ticks(steps(true), exitDetails) - ticks(steps(false), exitDetails);
    };
    assert.equal(tailAfter(helperOnOneSide, false), tailAfter(noHelper, false));
    assert.ok(tailAfter(helperOnOneSide, true) > tailAfter(noHelper, true));
  });

  test('without exit details, an unseen call on one side no longer doubles the tail after the ack', () => {
    const unseenOnOneSide: Step[] = [ACK, { t: 'if', then: [UNSEEN], else: [] }];
    const unseenOnBoth: Step[] = [ACK, UNSEEN];
    assert.equal(tailTicks(unseenOnOneSide, [], false), tailTicks(unseenOnBoth, [], false));
    assert.equal(tailTicks(unseenOnOneSide, [], true), 2 * tailTicks(unseenOnBoth, [], true));
  });
});
