/**
 * Readings of a parsed file's syntax kept across programs (analysis/source/ast.ts,
 * `perParsedFile`): the language server makes a program per edit, reusing the parsed files the
 * edit left alone, and the scans of every file (the class hierarchy behind calls through an
 * interface, NestJS bootstraps and modules) read again only the edited ones. A class the edit adds
 * is an implementation at once. Which parsed files a program holds after an edit (the server's
 * caches ask it of every file a kept report read; pipeline/program-files.ts) is checked here too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ts } from 'ts-morph';
import { heritageIn, implementationsOf } from '../../server/src/analysis/source/symbols';
import { functionName, perParsedFile } from '../../server/src/analysis/source/ast';
import { holdsFile, sourceFilesByName } from '../../server/src/pipeline/program-files';

const NOTIFIER = `export interface Notifier {
  notify(customerId: string): Promise<void>;
}
`;

const WEBHOOK = `import type { Notifier } from './notifier';

export class WebhookNotifier implements Notifier {
  async notify(customerId: string): Promise<void> {
    await fetch('https://hooks.example.com/shipped', { method: 'POST', body: customerId });
  }
}
`;

const SHIPPING = `import type { Notifier } from './notifier';
import { WebhookNotifier } from './webhook';

export async function onShipped(notifier: Notifier, customerId: string): Promise<void> {
  await notifier.notify(customerId);
}

export const notifiers = [new WebhookNotifier()];
`;

/** The edit: a second implementation, in the file that calls through the interface. */
const SHIPPING_WITH_LEDGER = `${SHIPPING.replace('[new WebhookNotifier()]', '[new WebhookNotifier(), new LedgerNotifier()]')}
class LedgerNotifier implements Notifier {
  async notify(customerId: string): Promise<void> {
    console.log('shipped', customerId);
  }
}
`;

/** Programs over in-memory files, each reusing the last one's parsed files that did not change. */
class EditedProject {
  private readonly texts = new Map<string, string>();
  private readonly parsed = new Map<string, ts.SourceFile>();
  private last: ts.Program | undefined;
  private readonly options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    noLib: true,
  };

  write(name: string, text: string): void {
    this.texts.set(`/project/${name}`, text);
    this.parsed.delete(`/project/${name}`);
  }

  program(): ts.Program {
    const host = ts.createCompilerHost(this.options);
    host.fileExists = (file) => this.texts.has(file);
    host.directoryExists = (folder) => [...this.texts.keys()].some((file) => file.startsWith(`${folder}/`));
    host.readFile = (file) => this.texts.get(file);
    host.getSourceFile = (file) => {
      const text = this.texts.get(file);
      if (text === undefined) return undefined;
      let sourceFile = this.parsed.get(file);
      if (!sourceFile) {
        sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
        this.parsed.set(file, sourceFile);
      }
      return sourceFile;
    };
    this.last = ts.createProgram([...this.texts.keys()], this.options, host, this.last);
    return this.last;
  }
}

/** The notifier, its webhook implementation and the shipping code that calls through the interface. */
function shippingProject(): EditedProject {
  const project = new EditedProject();
  project.write('notifier.ts', NOTIFIER);
  project.write('webhook.ts', WEBHOOK);
  project.write('shipping.ts', SHIPPING);
  return project;
}

function notifyCall(program: ts.Program): ts.CallExpression {
  let found: ts.CallExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.getText() === 'notifier.notify') found = node;
    ts.forEachChild(node, visit);
  };
  visit(program.getSourceFile('/project/shipping.ts')!);
  return found!;
}

function implementationNames(program: ts.Program): string[] {
  const checker = program.getTypeChecker();
  const found = implementationsOf(notifyCall(program), checker, program) ?? [];
  return found.map(functionName).sort();
}

describe('a reading of a parsed file', () => {
  test('is made once per parsed file, and again for the file an edit parses anew', () => {
    const read: string[] = [];
    const classNames = perParsedFile((file: ts.SourceFile) => {
      read.push(file.fileName);
      return file.statements.filter(ts.isClassDeclaration).map((node) => node.name?.text);
    });
    const webhook = ts.createSourceFile('/project/webhook.ts', WEBHOOK, ts.ScriptTarget.ES2022, true);
    assert.deepEqual(classNames(webhook), ['WebhookNotifier']);
    assert.deepEqual(classNames(webhook), ['WebhookNotifier']);
    assert.deepEqual(read, ['/project/webhook.ts']);
    const edited = ts.createSourceFile(
      '/project/webhook.ts',
      `${WEBHOOK}\nexport class Quiet {}\n`,
      ts.ScriptTarget.ES2022,
      true,
    );
    assert.deepEqual(classNames(edited), ['WebhookNotifier', 'Quiet']);
    assert.deepEqual(read, ['/project/webhook.ts', '/project/webhook.ts']);
  });
});

describe('the class hierarchy across edits', () => {
  test('a new program reads the hierarchy of the files the edit left alone from their last reading', () => {
    const project = shippingProject();
    const before = project.program();
    assert.deepEqual(implementationNames(before), ['WebhookNotifier.notify']);
    const webhookBefore = heritageIn(before.getSourceFile('/project/webhook.ts')!);
    const shippingBefore = heritageIn(before.getSourceFile('/project/shipping.ts')!);

    project.write('shipping.ts', SHIPPING_WITH_LEDGER);
    const after = project.program();
    assert.equal(after.getSourceFile('/project/webhook.ts'), before.getSourceFile('/project/webhook.ts'));
    assert.equal(heritageIn(after.getSourceFile('/project/webhook.ts')!), webhookBefore);
    assert.notEqual(heritageIn(after.getSourceFile('/project/shipping.ts')!), shippingBefore);
    assert.deepEqual(implementationNames(after), ['LedgerNotifier.notify', 'WebhookNotifier.notify']);
  });
});

describe('the parsed files a program holds', () => {
  test('are those it reuses and those the edit parsed anew, not the ones the edit replaced', () => {
    const project = shippingProject();
    const before = project.program();
    project.write('shipping.ts', SHIPPING_WITH_LEDGER);
    const after = project.program();
    const [webhook, shippingBefore, shippingAfter] = [
      before.getSourceFile('/project/webhook.ts')!,
      before.getSourceFile('/project/shipping.ts')!,
      after.getSourceFile('/project/shipping.ts')!,
    ];
    assert.equal(holdsFile(after, webhook), true, 'the file the edit left alone');
    assert.equal(holdsFile(after, shippingAfter), true, 'the file parsed anew');
    assert.equal(holdsFile(after, shippingBefore), false, 'the file the edit replaced');
    assert.equal(holdsFile(before, shippingAfter), false, 'a file of a later program');
    for (const program of [before, after])
      for (const file of program.getSourceFiles())
        assert.equal(sourceFilesByName(program).get(file.fileName), program.getSourceFile(file.fileName));
  });
});
