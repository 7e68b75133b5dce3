/**
 * A project in the language server keeps one program: the program made for the current texts.
 * Every edit makes a new one (pipeline/workspace-project.ts), and nothing may keep the ones before
 * it alive: not the new program's compiler host, not the report cache, not the analysis's memos.
 * A soak of 1,000 edits once grew the live heap by ~180 MB a minute because each program's host
 * kept its predecessor, and so every program of the session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { ts } from 'ts-morph';
import { WorkspaceProject } from '../../server/src/pipeline/workspace-project';
import { MODES, TestProject } from '../helpers/project';

const WORKER = `import amqp from 'amqplib';
import { saveShipment } from './store';

export async function startShipments(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('shipments', async (msg) => {
    if (!msg) return;
    await saveShipment(JSON.parse(msg.content.toString()) as { trackingId: string });
    channel.ack(msg);
  });
}
`;

const STORE = `import { Pool } from 'pg';

const pool = new Pool();

export async function saveShipment(shipment: { trackingId: string }): Promise<void> {
  await pool.query('INSERT INTO shipments (tracking_id) VALUES ($1)', [shipment.trackingId]);
}
`;

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/**
 * Which targets are collected. A WeakRef made or read in this turn keeps its target, and one
 * collection may leave an object that a second frees (a weak map's value): a few turns and
 * collections are given; what something still holds stays whatever the number.
 */
async function collected(references: WeakRef<ts.Program>[]): Promise<boolean[]> {
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
  }
  return references.map((reference) => reference.deref() === undefined);
}

for (const mode of MODES) {
  describe(`a project's programs across edits (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'project-memory');
      project.write({ 'worker.ts': WORKER, 'store.ts': STORE });
    });
    after(() => project.remove());

    test('the programs of earlier edits are freed, analysed or not', async () => {
      const workspace = new WorkspaceProject(
        project.root,
        { info: () => undefined, warn: () => undefined },
        () => ({}),
      );
      const worker = project.path('worker.ts');
      const store = project.path('store.ts');
      workspace.setOverlay(worker, WORKER);
      const earlier: WeakRef<ts.Program>[] = [];
      for (let edit = 1; edit <= 6; edit++) {
        earlier.push(new WeakRef(workspace.getProgram()));
        // Alternate the edited file and whether the edit is analysed: both paths make programs.
        workspace.setOverlay(edit % 2 ? worker : store, `${edit % 2 ? WORKER : STORE}\n// edit ${edit}\n`);
        if (edit % 3) assert.equal(workspace.analyze([worker]).consumers.length, 1);
      }
      // The report cache holds the program it last analysed: analyse the current one.
      assert.equal(workspace.analyze([worker]).consumers.length, 1);
      const current = workspace.getProgram();
      assert.deepEqual(await collected(earlier), [true, true, true, true, true, true]);
      assert.ok(current.getSourceFile(worker)?.text.endsWith('// edit 5\n'), 'the current program is kept');
    });
  });
}
