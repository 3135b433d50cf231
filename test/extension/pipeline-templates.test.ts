/**
 * "New Pipeline" templates as the command writes them (extension/src/write-template.ts), in a
 * temp workspace: the Chicago taxi one validates clean and runs end to end through the CLI (on a
 * smaller table of the same generator), every template's row names only components it has, and
 * writing one again keeps the user's data and code.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import type { RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { PIPELINE_TEMPLATES } from '../../extension/src/pipeline-templates.ts';
import { writePipelineTemplate } from '../../extension/src/write-template.ts';
import { runCli } from '../helpers/run-cli.ts';

const extensionRoot = resolve('.');
const TAXI_CHAIN = ['CsvExampleGen', 'StatisticsGen', 'SchemaGen', 'ExampleValidator', 'Transform', 'Trainer', 'Evaluator', 'Pusher'];

describe('New Pipeline templates', function () {
  this.timeout(300_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'template-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("each template's row names only components its pipeline has, and every one parses", () => {
    const kinds = builtinRegistry().list().map((d) => d.spec.type);
    for (const template of PIPELINE_TEMPLATES) {
      const text = readFileSync(join(extensionRoot, 'extension', 'templates', `${template.id}.pipeline.yaml`), 'utf8').replaceAll('${name}', 'demo');
      const parsed = parsePipeline(text, `${template.id}.pipeline.yaml`);
      const has = new Set(Object.values(parsed.spec.nodes ?? {}).map((n) => n.component));
      const promised = kinds.filter((k) => new RegExp(`\\b${k}\\b`).test(template.detail));
      for (const k of promised) assert.ok(has.has(k), `${template.label}: its row says ${k}, the template has ${[...has].join(', ')}`);
    }
    const taxi = readFileSync(join(extensionRoot, 'extension', 'templates', 'taxi.pipeline.yaml'), 'utf8');
    const components = [...taxi.matchAll(/component: (\w+)/g)].map((m) => m[1]);
    assert.deepEqual(components, TAXI_CHAIN);
  });

  it('Chicago taxi writes its modules and data beside the pipeline, validates clean and runs end to end with the CLI', async () => {
    const pipelineFile = join(dir, 'cabs.pipeline.yaml');
    const written = await writePipelineTemplate({ extensionRoot, template: 'taxi', name: 'cabs', pipelineFile, rows: 2000 });
    assert.deepEqual(
      written.written.map((f) => f.slice(dir.length + 1)),
      ['cabs.pipeline.yaml', 'cabs_transform.ts', 'cabs_trainer.ts', 'data/taxi.csv'],
    );
    assert.equal(readFileSync(join(dir, 'data', 'taxi.csv'), 'utf8').trimEnd().split('\n').length, 2001, 'a header and 2000 trips');
    assert.match(readFileSync(join(dir, 'cabs_transform.ts'), 'utf8'), /export const preprocessing_fn/);
    assert.match(readFileSync(pipelineFile, 'utf8'), /module_file: cabs_transform\.ts/);

    const validated = await runCli(['validate', pipelineFile, '--json']);
    assert.equal(validated.code, 0, validated.stderr);
    assert.deepEqual(JSON.parse(validated.stdout), [], 'no problem at all, not even a warning');

    const ran = await runCli(['run', pipelineFile, '--json', '--workers', '2']);
    assert.equal(ran.code, 0, ran.stderr.slice(-3000));
    const summary = JSON.parse(ran.stdout.trim().split('\n').pop() ?? '') as RunSummary;
    assert.equal(summary.state, 'COMPLETE');
    assert.deepEqual(
      summary.nodes.map((n) => n.id),
      ['example_gen', 'statistics_gen', 'schema_gen', 'example_validator', 'transform', 'trainer', 'evaluator', 'pusher'],
    );
    const node = (id: string) => summary.nodes.find((n) => n.id === id)!;
    assert.ok(node('transform').outputs?.transform_graph && node('transform').outputs?.transformed_examples, 'the Transform wrote its graph and the transformed examples');
    assert.equal(node('trainer').outputs?.model?.properties.label, 'tips_xf', 'the Trainer learned the label the Transform made');
    // Even 2,000 trips train a model past the template's accuracy bar (0.76 against 0.6): blessed, so pushed.
    assert.equal(node('evaluator').outputs?.blessing?.properties.blessed, true);
    assert.equal(node('pusher').outputs?.pushed_model?.properties.pushed, true);
  });

  it('writing a template again keeps the data and code already there', async () => {
    const pipelineFile = join(dir, 'taxi.pipeline.yaml');
    await writePipelineTemplate({ extensionRoot, template: 'taxi', name: 'taxi', pipelineFile, rows: 10 });
    writeFileSync(join(dir, 'taxi_trainer.ts'), '// my own trainer\n');
    const again = await writePipelineTemplate({ extensionRoot, template: 'taxi', name: 'taxi', pipelineFile, rows: 10 });
    assert.deepEqual(again.written, [pipelineFile]);
    assert.deepEqual(again.kept.map((f) => f.slice(dir.length + 1)), ['taxi_transform.ts', 'taxi_trainer.ts', 'data/taxi.csv']);
    assert.equal(readFileSync(join(dir, 'taxi_trainer.ts'), 'utf8'), '// my own trainer\n');
    await assert.rejects(writePipelineTemplate({ extensionRoot, template: 'taxi', name: '../up', pipelineFile }), /not a pipeline name/);
    await assert.rejects(writePipelineTemplate({ extensionRoot, template: 'nope', name: 'x', pipelineFile }), /No pipeline template "nope"/);
  });

  it('does not write a companion through a symlinked folder that leads out of the pipeline folder', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'template-outside-'));
    try {
      const folder = join(dir, 'ws');
      mkdirSync(folder);
      symlinkSync(outside, join(folder, 'data'));
      await assert.rejects(
        writePipelineTemplate({ extensionRoot, template: 'taxi', name: 'taxi', pipelineFile: join(folder, 'taxi.pipeline.yaml'), rows: 10 }),
        /data resolves outside .* \(a symlink\?\): not writing data\/taxi\.csv there/,
      );
      assert.equal(existsSync(join(outside, 'taxi.csv')), false);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
