import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunEvent } from '../../runtime/src/core/run-events.ts';
import { readStoreView } from '../../runtime/src/metadata/embedded/reader.ts';
import { LineSplitter, parseRunEvent, RunStates, tally, type PipelineRunState } from '../../extension/src/runs/state.ts';
import { artifactsByType, formatDuration, runsFromStore } from '../../extension/src/views/model.ts';
import { describeCpu } from '../../runtime/src/util/thread-cpu.ts';

const CLI = resolve('runtime/src/cli/main.ts');

/** Runs the real CLI with --events the way the extension's runner does, feeding RunStates. */
function runCli(file: string, states: RunStates, key: string): Promise<{ code: number | null; stdoutOther: string[] }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', file, '--events', '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = new LineSplitter();
    const other: string[] = [];
    const feed = (batch: string[]) => {
      for (const line of batch) {
        const event = parseRunEvent(line);
        if (event) states.apply(key, event);
        else other.push(line);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => feed(lines.push(chunk)));
    child.on('error', fail);
    child.on('exit', (code) => {
      feed(lines.flush());
      done({ code, stdoutOther: other });
    });
  });
}

describe('run states from the CLI’s --events', () => {
  let dir: string;
  let pipeline: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-runs-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    mkdirSync(join(dir, 'data'));
    // A small slice of the taxi sample keeps the two runs quick.
    const csv = readFileSync('samples/taxi/data/taxi.csv', 'utf8').split('\n').slice(0, 400).join('\n');
    writeFileSync(join(dir, 'data', 'taxi.csv'), `${csv}\n`);
    // The sample's data half (its model nodes need the modules and train for seconds).
    pipeline = join(dir, 'taxi.pipeline.yaml');
    writeFileSync(pipeline, readFileSync('test/fixtures/taxi-data.pipeline.yaml', 'utf8'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('follows a real run to the end, then a fully cached one; the views’ model agrees with the store', async function () {
    this.timeout(120_000);
    const states = new RunStates();
    const seen: PipelineRunState['phase'][] = [];
    states.onDidChange((run) => seen.push(run.phase));
    states.start('p');
    const first = await runCli(pipeline, states, 'p');
    assert.equal(first.code, 0);
    assert.deepEqual(first.stdoutOther, [], 'stdout carries only events');
    const run = states.current('p')!;
    assert.equal(run.phase, 'complete');
    assert.equal(seen[0], 'starting');
    assert.ok(seen.includes('running'));
    const nodes = ['example_gen', 'statistics_gen', 'schema_gen', 'example_validator'];
    assert.deepEqual(Object.keys(run.nodes), nodes);
    for (const id of nodes) assert.equal(run.nodes[id].state, 'succeeded', id);

    // Cross-check with what the engine recorded in the metadata store.
    const data = readStoreView(join(dir, '.tributary', 'metadata'))!;
    const recorded = data.executions.filter((e) => e.runId === run.runId);
    assert.deepEqual(recorded.map((e) => e.nodeId).sort(), [...nodes].sort());
    for (const e of recorded) assert.equal(run.nodes[e.nodeId].executionId, e.id);

    const states2 = new RunStates();
    const second = await runCli(pipeline, states2, 'p');
    assert.equal(second.code, 0);
    const cached = states2.current('p')!;
    assert.deepEqual(tally(cached), { done: 4, total: 4, running: [], failed: 0, cached: 4 });

    const after = readStoreView(join(dir, '.tributary', 'metadata'))!;
    const runs = runsFromStore(after);
    assert.deepEqual(runs.map((r) => r.runId), [cached.runId, run.runId], 'newest first');
    assert.deepEqual(runs[0].executions.map((e) => e.state), ['CACHED', 'CACHED', 'CACHED', 'CACHED']);
    // A cache hit lists the outputs of the execution it reused.
    const firstGen = runs[1].executions.find((e) => e.nodeId === 'example_gen')!;
    const cachedGen = runs[0].executions.find((e) => e.nodeId === 'example_gen')!;
    assert.equal(cachedGen.cachedFrom, firstGen.executionId);
    assert.deepEqual(cachedGen.outputs.map((a) => a.id), firstGen.outputs.map((a) => a.id));
    assert.equal(firstGen.outputs[0].type, 'Examples');
    // What each run cost, as the Runs view's tooltip shows it.
    for (const r of runs) {
      assert.ok(r.peakRssMb! > 0 && r.cpu!.totalMs >= 0, JSON.stringify({ peakRssMb: r.peakRssMb, cpu: r.cpu }));
      if (process.platform === 'linux') assert.match(describeCpu(r.cpu!), /^CPU [\d.]+ s: workers [\d.]+, main [\d.]+, V8 background [\d.]+$/);
    }

    const groups = artifactsByType(after);
    const liveTypes = [...new Set(after.artifacts.filter((a) => a.state === 'LIVE').map((a) => a.type))].sort((a, b) => a.localeCompare(b));
    assert.deepEqual([...groups.keys()], liveTypes);
    assert.equal(groups.get('Schema')![0].nodeId, 'schema_gen');
  });
});

describe('RunStates', () => {
  it('maps engine states to the canvas vocabulary, with durations and messages', () => {
    let clock = 1000;
    const states = new RunStates(() => clock);
    const events: RunEvent[] = [
      { type: 'run-start', runId: 'r1', nodes: ['a', 'b', 'c'] },
      { type: 'node-state', nodeId: 'a', state: 'RUNNING' },
      { type: 'node-state', nodeId: 'a', state: 'COMPLETE', executionId: 7, durationMs: 250 },
      { type: 'node-state', nodeId: 'b', state: 'RUNNING' },
    ];
    for (const e of events) states.apply('p', e);
    clock = 1600;
    states.apply('p', { type: 'node-state', nodeId: 'b', state: 'FAILED', error: 'boom' });
    states.apply('p', { type: 'node-state', nodeId: 'c', state: 'SKIPPED' });
    states.apply('p', { type: 'run-end', runId: 'r1', state: 'FAILED' });
    const run = states.current('p')!;
    assert.equal(run.phase, 'failed');
    assert.deepEqual(
      Object.fromEntries(Object.entries(run.nodes).map(([id, n]) => [id, [n.state, n.durationMs, n.message]])),
      { a: ['succeeded', 250, undefined], b: ['failed', 600, 'boom'], c: ['canceled', undefined, 'skipped: an upstream node did not succeed'] },
    );
  });

  it('announces progress at most once per interval, state changes at once', async () => {
    const states = new RunStates(Date.now, 30);
    let count = 0;
    states.onDidChange(() => count++);
    states.apply('p', { type: 'run-start', runId: 'r', nodes: ['a'] });
    states.apply('p', { type: 'node-state', nodeId: 'a', state: 'RUNNING' });
    assert.equal(count, 3); // start (implicit), run-start, RUNNING
    for (let i = 0; i < 50; i++) states.apply('p', { type: 'progress', nodeId: 'a', done: i, unit: 'rows' });
    assert.equal(count, 3);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(count, 4);
    assert.equal(states.current('p')!.nodes.a.progress?.done, 49);
  });

  it('settles nodes left running when the child dies without a run-end', () => {
    const states = new RunStates();
    states.apply('p', { type: 'run-start', runId: 'r', nodes: ['a', 'b'] });
    states.apply('p', { type: 'node-state', nodeId: 'a', state: 'RUNNING' });
    states.finish('p', 'canceled');
    assert.deepEqual(Object.values(states.current('p')!.nodes).map((n) => n.state), ['canceled', 'canceled']);
    assert.equal(states.isRunning('p'), false);
  });

  it('splits chunked output into lines and ignores non-event lines', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"type":"run-st'), []);
    assert.deepEqual(s.push('art"}\n\nplain\n{"ty'), ['{"type":"run-start"}', 'plain']);
    assert.deepEqual(s.flush(), ['{"ty']);
    assert.equal(parseRunEvent('plain'), undefined);
    assert.equal(parseRunEvent('{"type": broken'), undefined);
    assert.deepEqual(parseRunEvent('{"type":"run-end","runId":"r","state":"COMPLETE"}'), { type: 'run-end', runId: 'r', state: 'COMPLETE' });
    assert.deepEqual([formatDuration(850), formatDuration(1234), formatDuration(125_000), formatDuration(undefined)], ['850 ms', '1.23 s', '2 min 05 s', '']);
  });
});
