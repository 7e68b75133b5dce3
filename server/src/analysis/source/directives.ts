/**
 * Suppressions (docs/model.md, "Suppressions and declarations"): `// delivery-lint-disable-next-line <rule> -- reason`,
 * `// delivery-lint-disable-line <rule>`, `/* delivery-lint-disable <rule> *\/` up to a matching
 * `/* delivery-lint-enable <rule> *\/`, and the handler JSDoc tags `@idempotent` and `@delivery`.
 * The parser's API is shared with the CLI: `new Suppressions(text, sourceFile)`, `isSuppressed`,
 * and `problems` (directives written wrong, which the pipeline reports).
 */
import { ts } from 'ts-morph';
import type { Semantics } from '../../model';

export interface Directive {
  kind: 'next-line' | 'line' | 'disable' | 'enable';
  /** The 1-based line of the comment. */
  line: number;
  /** Empty means every rule (unless `inert`). */
  rules: string[];
  /** Every rule id as written, also those that are not shaped like one. */
  written: string[];
  /** Ids were written but none is shaped like a rule id: the directive suppresses nothing. */
  inert?: boolean;
  /** Offsets of the directive in the text, from `//` or `/*` to the end of its rule ids. */
  start: number;
  end: number;
}

/**
 * A directive that is honoured but not written as it should be: `missing-reason` is a `--` with
 * nothing after it, `-- reason:` left empty, or a placeholder left as it was (`-- <why this is
 * safe>`, what the editor's suppress fix writes for the user to fill in). Offsets span the comment.
 */
export interface DirectiveProblem {
  kind: 'missing-reason';
  line: number;
  start: number;
  end: number;
}

/** The text after ` -- ` that says why; undefined when the directive has no `--` at all. */
function reasonOf(text: string): string | undefined {
  const separator = /\s--(\s|$)/.exec(text);
  if (!separator) return undefined;
  return text.slice(separator.index + separator[0].length).trim();
}

/** Whether a reason says nothing: empty, an empty `reason:` label, or a `<placeholder>`. */
export function isEmptyReason(reason: string): boolean {
  const stripped = reason.replace(/^reason\s*:\s*/i, '').trim();
  return stripped === '' || /^<[^>]*>$/.test(stripped);
}

// `(?![\w-])`: `delivery-lint-disable-nextline` is a typo, not a file-wide `disable`.
const DIRECTIVE =
  /(?:\/\/|\/\*)\s*delivery-lint-(disable-next-line|disable-line|disable|enable)(?![\w-])([^\n]*?)(?:\*\/|$)/gm;

/** Rule ids of a directive (`rules` undefined when ids were written but none is valid: it then suppresses nothing). */
function parseRules(text: string): { rules: string[] | undefined; written: string[]; length: number } {
  const withoutReason = text.split(/\s--\s|\s--$/)[0];
  const words = withoutReason
    .split(/[\s,]+/)
    .map((rule) => rule.trim())
    .filter(Boolean);
  const rules = words.filter((rule) => /^[a-z]+(-[a-z]+)*$/.test(rule));
  return {
    rules: words.length && !rules.length ? undefined : rules,
    written: words,
    length: withoutReason.trimEnd().length,
  };
}

const LITERAL_KINDS = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.JsxText,
]);

/** Whether a position falls inside a string, template or regex literal rather than in a comment. */
function insideLiteral(sourceFile: ts.SourceFile, position: number): boolean {
  let node: ts.Node = sourceFile;
  for (;;) {
    const child: ts.Node | undefined = ts.forEachChild(node, (candidate) =>
      candidate.getStart(sourceFile) <= position && position < candidate.getEnd() ? candidate : undefined,
    );
    if (!child) return LITERAL_KINDS.has(node.kind);
    if (LITERAL_KINDS.has(child.kind)) return true;
    node = child;
  }
}

export class Suppressions {
  /** The directives of the file, in order. */
  readonly directives: Directive[] = [];
  /** Directives honoured but written wrong (an empty reason); see DirectiveProblem. */
  readonly problems: DirectiveProblem[] = [];

  /** Reads the directives of a file; only real comments count (not `"// delivery-lint-…"` in a string). */
  constructor(text: string, sourceFile?: ts.SourceFile) {
    const lineStarts = computeLineStarts(text);
    let parsed = sourceFile;
    for (const match of text.matchAll(DIRECTIVE)) {
      const position = match.index ?? 0;
      parsed ??= ts.createSourceFile('directives.tsx', text, ts.ScriptTarget.Latest, true);
      if (insideLiteral(parsed, position)) continue;
      const ids = parseRules(match[2] ?? '');
      const kind =
        match[1] === 'disable-next-line'
          ? 'next-line'
          : match[1] === 'disable-line'
            ? 'line'
            : (match[1] as 'disable' | 'enable');
      const line = lineOf(lineStarts, position);
      const idsAt = position + match[0].indexOf(match[1]) + match[1].length;
      this.directives.push({
        kind,
        line,
        rules: ids.rules ?? [],
        written: ids.written,
        ...(ids.rules ? {} : { inert: true }),
        start: position,
        end: idsAt + ids.length,
      });
      const reason = kind === 'enable' || !ids.rules ? undefined : reasonOf(match[2] ?? '');
      if (reason !== undefined && isEmptyReason(reason))
        this.problems.push({ kind: 'missing-reason', line, start: position, end: position + match[0].length });
    }
  }

  /** Whether a finding of `ruleId` on 1-based `line` is suppressed. */
  isSuppressed(ruleId: string, line: number): boolean {
    return this.suppressing(ruleId, line) !== undefined;
  }

  /** The directive that suppresses a finding of `ruleId` on 1-based `line`, if one does. */
  suppressing(ruleId: string, line: number): Directive | undefined {
    let region: Directive | undefined;
    for (const directive of this.directives) {
      const applies = !directive.inert && (directive.rules.length === 0 || directive.rules.includes(ruleId));
      if (!applies) continue;
      if (directive.kind === 'next-line' && directive.line + 1 === line) return directive;
      if (directive.kind === 'line' && directive.line === line) return directive;
      if (directive.kind === 'disable' && directive.line <= line) region = directive;
      if (directive.kind === 'enable' && directive.line <= line) region = undefined;
    }
    return region;
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) === 10) starts.push(index + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

export interface HandlerTags {
  idempotent?: string;
  delivery?: Semantics;
}

const SEMANTICS: readonly Semantics[] = ['at-most-once', 'at-least-once', 'effectively-once', 'exactly-once'];

/** JSDoc tags on a handler, its variable, property or method. */
export function handlerTags(handler: ts.Node): HandlerTags {
  const tags: HandlerTags = {};
  const holders: ts.Node[] = [handler];
  let parent = handler.parent;
  for (let hops = 0; parent && hops < 3; hops++, parent = parent.parent) {
    if (
      ts.isVariableDeclaration(parent) ||
      ts.isVariableDeclarationList(parent) ||
      ts.isVariableStatement(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)
    ) {
      holders.push(parent);
    } else {
      break;
    }
  }
  for (const holder of holders) {
    for (const tag of ts.getJSDocTags(holder)) {
      const name = tag.tagName.text;
      const comment = typeof tag.comment === 'string' ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? '');
      if (name === 'idempotent' && tags.idempotent === undefined)
        tags.idempotent = comment.trim() || 'vouched idempotent';
      if (name === 'delivery') {
        const value = comment.trim().split(/\s+/)[0] as Semantics;
        if (SEMANTICS.includes(value)) tags.delivery = value;
      }
    }
  }
  return tags;
}
