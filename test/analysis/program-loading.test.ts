/**
 * The CLI's program holds the files to lint that matter and their import closure
 * (pipeline/program.ts, `LoadedProgram`), barrels followed through, and grows only for what the
 * whole-project searches ask for; the rest of the project is never parsed. The findings are those
 * of the full program.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeReached } from '../../server/src/pipeline/analyze';
import { loadProgram } from '../../server/src/pipeline/program';
import { MODES, TestProject, configWith } from '../helpers/project';

const CONSUMER = `import { Kafka } from 'kafkajs';
import { BillingService } from './services';

const billing = new BillingService();
const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'billing' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; total: number };
      await billing.invoice(order);
    },
  });
}
`;

/** A barrel: its names resolve through it, though the analysis never asks about its own nodes. */
const BARREL = `export * from './billing';
export * from './reports';
`;

const BILLING = `import { Pool } from 'pg';
import { alreadyInvoiced } from './ledger';

const pool = new Pool();

export class BillingService {
  async invoice(order: { id: string; total: number }): Promise<void> {
    if (alreadyInvoiced(order.id)) return;
    await pool.query('INSERT INTO invoices (total) VALUES ($1)', [order.total]);
  }
}
`;

/** The check consults a Set declared in yet another module: in memory, so it guards nothing. */
const LEDGER = `import { INVOICED } from './constants';

export function alreadyInvoiced(id: string): boolean {
  return INVOICED.has(id);
}
`;

const CONSTANTS = `export const INVOICED: Set<string> = new Set();
`;

/** Re-exported by the barrel, though nothing the handler reaches uses it. */
const REPORTS = `import { render } from './heavy';

export function monthlyReport(): string {
  return render();
}
`;

/** A consumer whose handler reads only its own file: its report is final after the first round. */
const LOCAL = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'audit' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await pool.query('INSERT INTO audit (body) VALUES ($1)', [message.value!.toString()]);
    },
  });
}
`;

const HEAVY = `export function render(): string {
  return ${JSON.stringify('x'.repeat(1000))};
}
`;

/** A Subject the consumer pushes into; nothing it imports subscribes to it. */
const UPLOAD_BUS = `import { Subject } from 'rxjs';

export interface Upload {
  name: string;
}

export const uploads$ = new Subject<Upload>();
`;

const PUSHING_CONSUMER = `import { Kafka } from 'kafkajs';
import { uploads$ } from './bus';

const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'uploads' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      uploads$.next(JSON.parse(message.value!.toString()) as { name: string });
    },
  });
}
`;

/** The subscriber imports the subject: the consumer's imports never lead here. */
const SUBSCRIBER = `import { Pool } from 'pg';
import { uploads$ } from './bus';

const pool = new Pool();

uploads$.subscribe(async (upload) => {
  await pool.query('INSERT INTO uploads (name) VALUES ($1)', [upload.name]);
});
`;

/** Subjects for a chain of subscribers, each pushing on to the next. */
const CHAIN_BUS = `import { Subject } from 'rxjs';
export interface Upload {
  name: string;
}
export const uploads$ = new Subject<Upload>();
export const audits$ = new Subject<Upload>();
export const archives$ = new Subject<Upload>();
`;

const CHAIN_SUBSCRIBER = `import { audits$, uploads$ } from './bus';
uploads$.subscribe((upload) => audits$.next(upload));
`;

const CHAIN_AUDITOR = `import { archives$, audits$ } from './bus';
audits$.subscribe((upload) => archives$.next(upload));
`;

const CHAIN_ARCHIVER = `import { Pool } from 'pg';
import { archives$ } from './bus';
const pool = new Pool();
archives$.subscribe(async (upload) => {
  await pool.query('INSERT INTO archive (name) VALUES ($1)', [upload.name]);
});
`;

/** A base consumer whose abstract method a subclass in a file of its own implements. */
const BASE_CONSUMER = `import { Kafka } from 'kafkajs';

export abstract class BaseConsumer {
  protected abstract handle(payload: { id: string }): Promise<void>;

  async start(): Promise<void> {
    const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'audit' });
    await consumer.run({
      eachMessage: async ({ message }) => {
        await this.handle(JSON.parse(message.value!.toString()) as { id: string });
      },
    });
  }
}
`;

const AUDIT_CONSUMER = `import { Pool } from 'pg';
import { BaseConsumer } from './base';

const pool = new Pool();

export class AuditConsumer extends BaseConsumer {
  protected async handle(payload: { id: string }): Promise<void> {
    await pool.query('INSERT INTO audit (entry) VALUES ($1)', [payload.id]);
  }
}
`;

/** Constructs the subclass: what makes it the one that runs. */
const MAIN = `import { AuditConsumer } from './audit';

void new AuditConsumer().start();
`;

const UNRELATED = `export function unrelated(): number {
  return 42;
}
`;

/**
 * analyzeReached over `roots`, noting every report built: with the report cache as it is, or
 * (`keepReports` false) never final, so that every round builds every report.
 */
function analyzeCounting(
  project: TestProject,
  roots: string[],
  keepReports: boolean,
  texts?: ReadonlyMap<string, string>,
): { built: string[]; summary: string[]; searched: number } {
  const loaded = loadProgram(roots, path.join(project.root, 'tsconfig.json'), true);
  const cache = loaded.reportCache;
  const built: string[] = [];
  const build = cache.build.bind(cache);
  cache.build = (key, recorder, report) =>
    build(key, recorder, () => {
      built.push(key);
      return report();
    });
  if (!keepReports) cache.settle = () => undefined;
  const result = analyzeReached(loaded, { files: roots, config: configWith() }, texts);
  const summary = result.findings.map(
    (finding) => `${finding.ruleId} ${finding.location.filePath}:${finding.location.line}`,
  );
  return { built, summary, searched: result.searched?.size ?? 0 };
}

for (const mode of MODES) {
  describe(`whole-project searches read the files nothing loaded imports (${mode})`, () => {
    let project: TestProject;
    const FILES: Record<string, string> = {
      'bus.ts': UPLOAD_BUS,
      'consumer.ts': PUSHING_CONSUMER,
      'subscriber.ts': SUBSCRIBER,
      'base.ts': BASE_CONSUMER,
      'audit.ts': AUDIT_CONSUMER,
      'main.ts': MAIN,
      'unrelated.ts': UNRELATED,
    };
    before(() => {
      project = new TestProject(mode, 'program-searches');
      project.write(FILES);
    });
    after(() => project.remove());

    test("finds a Subject's subscriber and an abstract method's implementation in unimported files", () => {
      const roots = [project.path('consumer.ts'), project.path('base.ts')];
      const texts = new Map(
        Object.keys(FILES)
          .map((name) => project.path(name))
          .filter((file) => !roots.includes(file))
          .map((file) => [file, fs.readFileSync(file, 'utf8')] as const),
      );
      const loaded = loadProgram(roots, path.join(project.root, 'tsconfig.json'), true);
      const result = analyzeReached(loaded, { files: roots, config: configWith() }, texts);
      const found = (file: string): string[] =>
        result.findings
          .filter((finding) => finding.location.filePath === project.path(file))
          .map((finding) => finding.ruleId)
          .sort();
      assert.deepEqual(found('consumer.ts'), ['ack-before-process'], 'the subscriber inserts after the commit');
      assert.deepEqual(found('base.ts'), ['missing-event-id-check'], "the subclass's insert is followed");
      assert.equal(loaded.program.getSourceFile(project.path('unrelated.ts'))?.text ?? '', '', 'never read');
    });

    test('a report that searched the whole project is built again only when a file its searches match is read', () => {
      // Subjects pushed on by their subscribers, a hop per file: each round's search finds the next
      // subscriber, so the rounds go on after the subclass search has found all it looks for.
      const chain = {
        'chain/consumer.ts': PUSHING_CONSUMER,
        'chain/bus.ts': CHAIN_BUS,
        'chain/subscriber.ts': CHAIN_SUBSCRIBER,
        'chain/auditor.ts': CHAIN_AUDITOR,
        'chain/archiver.ts': CHAIN_ARCHIVER,
      };
      project.write(chain);
      const roots = [project.path('base.ts'), project.path('chain/consumer.ts')];
      const texts = new Map(
        [...Object.keys(FILES), ...Object.keys(chain)]
          .map((name) => project.path(name))
          .filter((file) => !roots.includes(file))
          .map((file) => [file, fs.readFileSync(file, 'utf8')] as const),
      );
      const kept = analyzeCounting(project, roots, true, texts);
      const fresh = analyzeCounting(project, roots, false, texts);
      assert.deepEqual(kept.summary, fresh.summary);
      assert.ok(
        kept.summary.some((line) => line.includes(project.path('chain/consumer.ts'))),
        "the archiver's insert, three subscribers away, is followed",
      );
      assert.ok(kept.searched > 0, 'the subclass search looked at the whole project');
      const builds = (keys: string[]) => keys.filter((key) => key.includes(project.path('base.ts'))).length;
      // Built while the search found new files (the subclass, the file that constructs it), not in every round.
      assert.ok(builds(kept.built) < builds(fresh.built), `${builds(kept.built)} < ${builds(fresh.built)}`);
    });
  });

  describe(`loading the program: the import closure of the files to lint (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'program-loading');
      project.write({
        'consumer.ts': CONSUMER,
        'services/index.ts': BARREL,
        'services/billing.ts': BILLING,
        'services/ledger.ts': LEDGER,
        'services/constants.ts': CONSTANTS,
        'services/reports.ts': REPORTS,
        'services/heavy.ts': HEAVY,
        'local.ts': LOCAL,
      });
    });
    after(() => project.remove());

    test('follows calls through a barrel and two modules, and judges the check with the Set three files away', () => {
      const result = project.analyze([project.path('consumer.ts')]);
      assert.deepEqual(
        result.findings.map((finding) => finding.ruleId),
        ['missing-event-id-check'],
      );
      const [finding] = result.findings;
      assert.ok(
        finding.related.some((related) => /INSERT INTO invoices/.test(related.message)),
        'the insert in services/billing.ts is named',
      );
      assert.ok(
        finding.related.some((related) => /in-memory collection/.test(related.message)),
        'the Set in services/constants.ts makes the check not count',
      );
    });

    test('loads the import closure and nothing else: a module behind an unused re-export is read, an unimported one is not', () => {
      const consumer = project.path('consumer.ts');
      const loaded = loadProgram([consumer], path.join(project.root, 'tsconfig.json'), true);
      analyzeReached(loaded, { files: [consumer], config: configWith() });
      const text = (file: string): string | undefined => loaded.program.getSourceFile(project.path(file))?.text;
      assert.ok(text('services/constants.ts')?.includes('new Set'), 'reached: read in full');
      assert.ok(text('services/reports.ts')?.includes('monthlyReport'), 'a barrel re-export: read in full');
      assert.ok(text('services/heavy.ts')?.includes('render'), 'imported by a re-exported module: read in full');
      assert.equal(text('local.ts'), undefined, 'nothing the consumer imports leads to it: not in the program');
    });

    test('each file of the closure is parsed once: the program takes the parses the closure made', () => {
      const loaded = loadProgram([project.path('consumer.ts')], path.join(project.root, 'tsconfig.json'), true);
      loaded.loadImportClosure();
      const parsed = loaded.parses;
      const read = loaded.program.getSourceFiles().filter((file) => loaded.isLoaded(file.fileName));
      assert.equal(read.length, 7, 'the consumer, the barrel and the five modules behind it');
      assert.equal(parsed, read.length, 'the closure parsed each once');
      assert.equal(loaded.parses, parsed, 'building the program parsed none of them again');
    });

    test('every report is built once: the closure is loaded before the first analysis', () => {
      const files = [project.path('consumer.ts'), project.path('local.ts')];
      const kept = analyzeCounting(project, files, true);
      const fresh = analyzeCounting(project, files, false);
      assert.deepEqual(kept.summary, fresh.summary);
      assert.equal(kept.summary.length, 2, 'an unguarded insert in each consumer');
      const builds = (keys: string[], file: string) => keys.filter((key) => key.includes(project.path(file))).length;
      assert.equal(builds(kept.built, 'local.ts'), 1, 'read only its own file: built once');
      assert.equal(builds(kept.built, 'consumer.ts'), 1, 'reached files three imports away: loaded already');
      assert.equal(builds(fresh.built, 'consumer.ts'), 1, 'no second round, even with no report kept');
    });
  });
}
