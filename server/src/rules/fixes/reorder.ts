/** Fixes that reorder a handler: settle after the work, await what was dropped, effects under the guard. */
import { ts } from 'ts-morph';
import type { ConsumerReport, EffectOccurrence, FixSuggestion, GuardOccurrence, SettleOccurrence } from '../../model';
import type { SourceReader } from '../../analysis/source/reader';
import { isAsyncFunction } from '../../analysis/source/ast';
import { fullLineRange, statementInBlock } from './statements';
import { functionOf, nodeAt } from '../../analysis/source/locate';

/** Moves the ack statement below the last statement of the same block that does the processing. */
export function moveAckAfterProcessingFix(
  consumer: ConsumerReport,
  settle: SettleOccurrence,
  effects: EffectOccurrence[],
  context: SourceReader,
): FixSuggestion[] {
  void consumer;
  const ack = nodeAt(context, settle.handlerLocation);
  const ackStatement = ack && statementInBlock(ack);
  if (!ackStatement || !ts.isExpressionStatement(ackStatement)) return [];
  const block = ackStatement.parent as ts.Block;
  const statements = block.statements;
  const ackIndex = statements.indexOf(ackStatement);
  let lastIndex = -1;
  for (const effect of effects) {
    const node = nodeAt(context, effect.handlerLocation);
    const statement = node && statementInBlock(node);
    if (!statement || statement.parent !== block) return []; // the work is in another block: moving is not mechanical
    lastIndex = Math.max(lastIndex, statements.indexOf(statement));
  }
  if (lastIndex <= ackIndex) return [];
  const text = ackStatement.getSourceFile().text;
  const removed = fullLineRange(text, ackStatement);
  const target = fullLineRange(text, statements[lastIndex]);
  const filePath = settle.handlerLocation.filePath;
  return [
    {
      title: `Move ${settle.label} after the processing`,
      safe: false,
      preferred: true,
      edits: [
        {
          filePath,
          start: target.end,
          end: target.end,
          newText: text.slice(removed.start, removed.end).replace(/^(?!.*\n$)(.*)$/s, '$1\n'),
        },
        { filePath, start: removed.start, end: removed.end, newText: '' },
      ],
    },
  ];
}

/** Adds `await` to a call whose promise is dropped (or turns `void p()` into `await p()`). */
export function addMissingAwaitFix(effect: EffectOccurrence, context: SourceReader): FixSuggestion[] {
  const call = nodeAt(context, effect.handlerLocation);
  if (!call || !ts.isCallExpression(call)) return [];
  const fn = functionOf(call);
  if (!fn || !isAsyncFunction(fn)) return [];
  // Inside forEach(async …) an await would not make the handler wait: that needs a loop rewrite.
  const callbackOf = fn.parent && ts.isCallExpression(fn.parent) ? fn.parent : undefined;
  if (
    callbackOf &&
    ts.isPropertyAccessExpression(callbackOf.expression) &&
    callbackOf.expression.name.text === 'forEach'
  )
    return [];
  const filePath = effect.handlerLocation.filePath;
  const parent = call.parent;
  if (ts.isVoidExpression(parent)) {
    return [
      {
        title: `Await ${call.expression.getText()}() instead of dropping its promise`,
        safe: false,
        preferred: true,
        edits: [{ filePath, start: parent.getStart(), end: call.getStart(), newText: 'await ' }],
      },
    ];
  }
  if (ts.isExpressionStatement(parent)) {
    return [
      {
        title: `Add the missing await to ${call.expression.getText()}()`,
        safe: false,
        preferred: true,
        edits: [{ filePath, start: call.getStart(), end: call.getStart(), newText: 'await ' }],
      },
    ];
  }
  return [];
}

/** Moves an effect that runs before the guard to just after the guard's if-statement. */
export function moveUnderGuardFix(
  consumer: ConsumerReport,
  effect: EffectOccurrence,
  guard: GuardOccurrence,
  context: SourceReader,
): FixSuggestion[] {
  void consumer;
  const effectNode = nodeAt(context, effect.handlerLocation);
  const guardNode = nodeAt(context, guard.handlerLocation);
  const effectStatement = effectNode && statementInBlock(effectNode);
  if (!effectStatement || !guardNode) return [];
  // The guard's if-statement, or the declaration the if reads, in the same block.
  const block = effectStatement.parent as ts.Block;
  const statements = block.statements;
  const effectIndex = statements.indexOf(effectStatement);
  const guardStatementIndex = statements.findIndex(
    (statement, index) =>
      index > effectIndex && ts.isIfStatement(statement) && statementMentions(statements, index, guardNode),
  );
  if (guardStatementIndex < 0) return [];
  const text = effectStatement.getSourceFile().text;
  const removed = fullLineRange(text, effectStatement);
  const target = fullLineRange(text, statements[guardStatementIndex]);
  const filePath = effect.handlerLocation.filePath;
  return [
    {
      title: `Move ${effect.description.label} under the dedup check`,
      safe: false,
      preferred: true,
      edits: [
        { filePath, start: target.end, end: target.end, newText: text.slice(removed.start, removed.end) },
        { filePath, start: removed.start, end: removed.end, newText: '' },
      ],
    },
  ];
}

/** Whether the if at `index` is the guard: it contains the guard call, or reads a variable declared from it. */
function statementMentions(statements: readonly ts.Statement[], index: number, guardNode: ts.Node): boolean {
  const statement = statements[index];
  if (guardNode.getStart() >= statement.getStart() && guardNode.getEnd() <= statement.getEnd()) return true;
  const holder = statementInBlock(guardNode);
  if (!holder || !ts.isVariableStatement(holder)) return false;
  const names = holder.declarationList.declarations.flatMap((declaration) => bindingNames(declaration.name));
  const condition = (statement as ts.IfStatement).expression.getText();
  return names.some((name) => new RegExp(`\\b${name}\\b`).test(condition));
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) => (ts.isBindingElement(element) ? bindingNames(element.name) : []));
}
