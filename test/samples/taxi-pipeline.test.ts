import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sample = join(root, 'samples', 'taxi');

// The data half through the CLI from source, on a copy so the run's artifacts stay out of the tree
// (the model half: test/integration/taxi-model.test.ts).
const DATA_NODES = ['example_gen', 'statistics_gen', 'schema_gen', 'example_validator'];
describe('samples/taxi pipeline', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taxi-pipeline-'));
    await cp(join(sample, 'taxi.pipeline.yaml'), join(dir, 'taxi.pipeline.yaml'));
    await cp(join(sample, 'data'), join(dir, 'data'), { recursive: true });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs CsvExampleGen → StatisticsGen → SchemaGen → ExampleValidator to completion', async () => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', 'run', join(dir, 'taxi.pipeline.yaml'), '--json', '--workers', '2', '--only', ...DATA_NODES], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '');
    assert.equal(summary.state, 'COMPLETE');
    assert.deepEqual(summary.nodes.map((n: { id: string }) => n.id), DATA_NODES);

    const csv = await readFile(join(dir, 'data', 'taxi.csv'), 'utf8');
    const header = csv.slice(0, csv.indexOf('\n')).split(',');
    const dataLines = csv.split('\n').length - 2; // header and the empty string after the final newline
    const examples = summary.nodes[0].outputs.examples.properties;
    const splitRows = Object.values(examples.splits as Record<string, { rows: number }>).reduce((sum, s) => sum + s.rows, 0);
    assert.equal(splitRows, dataLines);
    assert.deepEqual(examples.columns.map((c: { name: string }) => c.name), header);
    assert.equal(summary.nodes[2].outputs.schema.properties.features, header.length);
    // A schema inferred from this very data must accept it.
    assert.equal(summary.nodes[3].outputs.anomalies.properties.errorCount, 0);
  });
});
