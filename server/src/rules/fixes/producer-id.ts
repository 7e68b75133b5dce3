/**
 * The producer-missing-event-id quick-fix: give the published message an ID made with
 * `randomUUID()` from 'node:crypto' (and import it). Offered where the publish is inside a function,
 * so the ID is made once per event at the publish; the title says it must be kept across retries.
 */
import { ts } from 'ts-morph';
import type { FixSuggestion, TextEdit } from '../../model';
import { addObjectProperty } from './effect-level';
import { detectStyle, quoted } from './style';

/** How the file can call randomUUID(), and the edit that makes it available. */
export function randomUuidAccess(sourceFile: ts.SourceFile): { call: string; edits: TextEdit[] } {
  const filePath = sourceFile.fileName;
  const style = detectStyle(sourceFile.text);
  let lastImport: ts.Statement | undefined;
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    lastImport = statement;
    const module = ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : '';
    if (module !== 'node:crypto' && module !== 'crypto') continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) return { call: `${bindings.name.text}.randomUUID()`, edits: [] };
    if (bindings && ts.isNamedImports(bindings) && !statement.importClause?.isTypeOnly) {
      const existing = bindings.elements.find(
        (element) => (element.propertyName ?? element.name).text === 'randomUUID',
      );
      if (existing) return { call: `${existing.name.text}()`, edits: [] };
      const last = bindings.elements[bindings.elements.length - 1];
      if (last)
        return {
          call: 'randomUUID()',
          edits: [{ filePath, start: last.getEnd(), end: last.getEnd(), newText: ', randomUUID' }],
        };
    }
  }
  // A `const { randomUUID } = require('crypto')` already there.
  if (/\{\s*[^}]*\brandomUUID\b[^}]*\}\s*=\s*require\(\s*['"](node:)?crypto['"]\s*\)/.test(sourceFile.text))
    return { call: 'randomUUID()', edits: [] };
  const module = quoted('node:crypto', style);
  const commonJs = !lastImport && /\brequire\s*\(/.test(sourceFile.text) && !/^\s*export\s/m.test(sourceFile.text);
  const line = commonJs
    ? `const { randomUUID } = require(${module})${style.semicolon}`
    : `import { randomUUID } from ${module}${style.semicolon}`;
  if (lastImport)
    return {
      call: 'randomUUID()',
      edits: [{ filePath, start: lastImport.getEnd(), end: lastImport.getEnd(), newText: `${style.newline}${line}` }],
    };
  // At the top, below a leading comment block or 'use strict'.
  const first = sourceFile.statements[0];
  const at =
    first && ts.isExpressionStatement(first) && ts.isStringLiteral(first.expression)
      ? first.getEnd()
      : first
        ? first.getStart(sourceFile)
        : 0;
  const newText =
    at === (first?.getStart(sourceFile) ?? 0) ? `${line}${style.newline}${style.newline}` : `${style.newline}${line}`;
  return { call: 'randomUUID()', edits: [{ filePath, start: at, end: at, newText }] };
}

/**
 * Adds `name: randomUUID()` to an options object, or appends `{ name: randomUUID() }` as a new last
 * argument. `safe` where the ID is metadata nothing else reads, so adding it changes no delivery:
 * the caller decides (an SQS FIFO MessageDeduplicationId is not: it replaces content-based dedup).
 */
export function addIdFix(
  sourceFile: ts.SourceFile,
  target:
    | { object: ts.ObjectLiteralExpression }
    | { appendAfter: ts.Node }
    | { objects: { object: ts.ObjectLiteralExpression; property: string }[] },
  name: string,
  title: string,
  safe: boolean,
): FixSuggestion {
  const filePath = sourceFile.fileName;
  const access = randomUuidAccess(sourceFile);
  const edits: TextEdit[] = [...access.edits];
  if ('object' in target) edits.push(...addObjectProperty(target.object, `${name}: ${access.call}`, filePath));
  else if ('appendAfter' in target)
    edits.push({
      filePath,
      start: target.appendAfter.getEnd(),
      end: target.appendAfter.getEnd(),
      newText: `, { ${name}: ${access.call} }`,
    });
  else
    for (const { object, property } of target.objects)
      edits.push(...addObjectProperty(object, property.replace('$ID', access.call), filePath));
  return { title, safe, preferred: true, edits };
}
