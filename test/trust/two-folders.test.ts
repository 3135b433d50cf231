import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { metadataFile } from '../../runtime/src/core/plan.ts';
import { VALIDATION_NODES } from '../helpers/pipelines.ts';

/** Artifacts do not depend on where the workspace lives. */
describe('one pipeline in two folders', function () {
  this.timeout(240_000);
  let top: string;
  before(() => {
    // Inside the repository, as a user's project with node_modules above it.
    mkdirSync('test/.tmp', { recursive: true });
    top = mkdtempSync(join('test/.tmp', 'two-folders-'));
  });
  after(() => rmSync(top, { recursive: true, force: true }));

  function workspace(path: string): string {
    mkdirSync(join(path, 'data'), { recursive: true });
    const [header, ...rows] = readFileSync('samples/taxi/data/taxi.csv', 'utf8').trimEnd().split('\n');
    writeFileSync(join(path, 'data', 'taxi.csv'), [header, ...rows.slice(0, 1500)].join('\n') + '\n');
    cpSync('samples/taxi/taxi_transform.ts', join(path, 'taxi_transform.ts'));
    writeFileSync(
      join(path, 'taxi.pipeline.yaml'),
      `name: two
root: .tributary
nodes:
  example_gen:
    component: CsvExampleGen
    params: { input: data/taxi.csv }
${VALIDATION_NODES}  transform:
    component: Transform
    inputs: { examples: example_gen.examples, schema: schema_gen.schema }
    params: { module_file: taxi_transform.ts, label: tips_xf }
`,
    );
    return join(path, 'taxi.pipeline.yaml');
  }

  async function fingerprints(file: string): Promise<Record<string, string>> {
    const plan = await loadPlanOrThrow(file);
    const summary = await runPipeline(plan, { workers: 1 });
    assert.equal(summary.state, 'COMPLETE', JSON.stringify(summary.nodes.map((n) => [n.id, n.state, n.error])));
    const data = await (await MetadataStore.open(metadataFile(plan.root))).read();
    const out: Record<string, string> = {};
    for (const n of summary.nodes) {
      for (const [name, a] of Object.entries(n.outputs ?? {})) out[`${n.id}.${name}`] = data.artifacts.find((x) => x.id === a.id)!.fingerprint;
    }
    return out;
  }

  it('gives byte-identical artifacts (equal content fingerprints), the TransformGraph included', async () => {
    const a = await fingerprints(workspace(join(top, 'first')));
    const b = await fingerprints(workspace(join(top, 'elsewhere', 'deeper', 'second')));
    assert.ok(a['transform.transform_graph'].startsWith('content:'));
    assert.deepEqual(b, a);
  });
});
