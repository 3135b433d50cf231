import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// The CLI runs from source; tsx is named by path because some runs use another working directory.
const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
const cli = (args: string[], cwd?: string) =>
  spawnSync(process.execPath, ['--import', TSX, join(process.cwd(), 'runtime/src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    cwd,
  });

describe('tributary CLI', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-cli-'));
    cpSync('test/fixtures/taxi-data.pipeline.yaml', join(dir, 'taxi.pipeline.yaml'));
    cpSync('samples/taxi/data', join(dir, 'data'), { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('validate prints file:line:column diagnostics and exits 1', () => {
    mkdirSync(join(dir, 'bad'));
    const file = join(dir, 'bad', 'bad.pipeline.yaml');
    writeFileSync(file, 'name: bad\nnodes:\n  gen:\n    component: CsvExampleGenn\n');
    const r = cli(['validate', file]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`${file}:4:16: error unknown-component: .*CsvExampleGen`));
    const ok = cli(['validate', join(dir, 'taxi.pipeline.yaml')]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /ok$/m);
  });

  it('run refuses an invalid pipeline without running anything', () => {
    const r = cli(['run', join(dir, 'bad', 'bad.pipeline.yaml')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown-component/);
  });

  it('run, runs, lineage and logs tell one consistent story', () => {
    const run = cli(['run', 'taxi.pipeline.yaml', '--json', '--workers', '2'], dir);
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    assert.equal(summary.state, 'COMPLETE');
    assert.match(run.stderr, /example_gen: [\d,]+ rows/, 'progress is shown');
    const rerun = JSON.parse(cli(['run', 'taxi.pipeline.yaml', '--json'], dir).stdout.trim().split('\n').pop()!);
    assert.deepEqual(rerun.nodes.map((n: { state: string }) => n.state), ['CACHED', 'CACHED', 'CACHED', 'CACHED']);

    const runs = cli(['runs'], dir);
    assert.equal(runs.status, 0, runs.stderr);
    assert.match(runs.stdout, new RegExp(`${summary.runId}\\s+COMPLETE`));
    assert.match(runs.stdout, new RegExp(`${rerun.runId}\\s+COMPLETE`));
    // Ids come from the store (run number × 100,000 + n), so name the execution the first run made.
    const validated = summary.nodes.find((n: { id: string }) => n.id === 'example_validator').executionId;
    assert.match(runs.stdout, new RegExp(`example_validator\\s+CACHED .*\\(from execution ${validated}\\)`));

    const anomalies = summary.nodes.find((n: { id: string }) => n.id === 'example_validator').outputs.anomalies.id;
    const lineage = cli(['lineage', String(anomalies)], dir);
    assert.equal(lineage.status, 0, lineage.stderr);
    for (const text of ['ExampleAnomalies', 'ExampleValidator', 'SchemaGen', 'StatisticsGen', 'CsvExampleGen', '"input":"data/taxi.csv"']) {
      assert.ok(lineage.stdout.includes(text), `lineage mentions ${text}:\n${lineage.stdout}`);
    }

    const logs = cli(['logs', summary.runId, 'example_gen'], dir);
    assert.equal(logs.status, 0, logs.stderr);
    const generated = summary.nodes.find((n: { id: string }) => n.id === 'example_gen').executionId;
    assert.match(logs.stdout, new RegExp(`CsvExampleGen@1 execution ${generated}\\b`));
  });

  it('components lists every registered component with its parameters', () => {
    const r = cli(['components', '--json']);
    const specs = JSON.parse(r.stdout) as { type: string; params: { properties: object } }[];
    assert.ok(['CsvExampleGen', 'StatisticsGen', 'SchemaGen', 'ExampleValidator'].every((t) => specs.some((s) => s.type === t)));
    assert.ok(specs.every((s) => typeof s.params.properties === 'object'));
  });
});
