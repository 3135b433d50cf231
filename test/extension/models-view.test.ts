import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pushBundle } from '../../runtime/src/components/pusher/executor.ts';
import { LATENCY_BUCKETS, ServingMetrics } from '../../runtime/src/serving/metrics.ts';
import { writeIndex } from '../../runtime/src/serving/registry-index.ts';
import { histogramQuantile, parsePrometheusText, statsFromMetricsText, statsKey } from '../../extension/src/serving/prometheus.ts';
import { describeModel, describeVersion, readRegistry, registriesOfPipeline, servedByArgs } from '../../extension/src/serving/registry-tree.ts';
import { parseSplit, suggestSplit, trafficArgs } from '../../extension/src/serving/split.ts';
import { sigmoid, writeLogisticBundle } from '../serving/fixtures.ts';
import { CLI, runCli } from '../helpers/run-cli.ts';

const cli = runCli;

describe('Models view: /metrics parsing and latency quantiles', () => {
  it('sums a version over its arms and estimates p50/p95 from the buckets as histogram_quantile does', () => {
    const metrics = new ServingMetrics();
    // v1: 100 requests at 3 ms on the stable arm, 50 at 30 ms named directly; v2: 10 at 7 ms, 2 failing.
    for (let i = 0; i < 100; i++) metrics.observe('taxi', 1, 'stable', 0.003, true);
    for (let i = 0; i < 50; i++) metrics.observe('taxi', 1, '', 0.03, true);
    for (let i = 0; i < 10; i++) metrics.observe('taxi', 2, 'canary', 0.007, i >= 2);
    metrics.observe('penguins', 4, '', 20, true);
    const stats = statsFromMetricsText(metrics.render());
    const v1 = stats.get(statsKey('taxi', 1))!;
    assert.equal(v1.requests, 150);
    assert.equal(v1.errors, 0);
    assert.deepEqual(v1.byArm, { stable: 100, '': 50 });
    assert.ok(Math.abs(v1.latencySumSeconds - (100 * 0.003 + 50 * 0.03)) < 1e-9);
    // By hand: rank 75 of 150 lies in (2.5 ms, 5 ms], which holds the first 100 → 2.5 + 2.5·75/100.
    assert.ok(Math.abs(v1.p50! - 0.004375) < 1e-12, `p50 ${v1.p50}`);
    // rank 142.5 lies in (25 ms, 50 ms], holding 100..150 → 25 + 25·42.5/50.
    assert.ok(Math.abs(v1.p95! - 0.04625) < 1e-12, `p95 ${v1.p95}`);
    const v2 = stats.get(statsKey('taxi', 2))!;
    assert.equal(v2.requests, 10);
    assert.equal(v2.errors, 2);
    // All 10 in (5 ms, 10 ms]: p50 = 5 + 5·5/10, p95 = 5 + 5·9.5/10.
    assert.ok(Math.abs(v2.p50! - 0.0075) < 1e-12);
    assert.ok(Math.abs(v2.p95! - 0.00975) < 1e-12);
    // Over the last finite bound: the highest finite bound, as Prometheus answers.
    assert.equal(stats.get(statsKey('penguins', 4))!.p50, LATENCY_BUCKETS.at(-1));
    assert.equal(stats.size, 3);
  });

  it('quantiles of an empty histogram are undefined; labels with escapes parse; a bad line names its number', () => {
    assert.equal(histogramQuantile(0.5, [{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }]), undefined);
    const [s] = parsePrometheusText('# HELP x y\nm{a="q\\"uo\\\\te",b="x,y"} 2.5e1 1700000000\n');
    assert.deepEqual(s, { name: 'm', labels: { a: 'q"uo\\te', b: 'x,y' }, value: 25 });
    assert.throws(() => parsePrometheusText('ok 1\n\nbroken line here\n'), /line 3/);
    assert.throws(() => parsePrometheusText('m{a=1} 1\n'), /line 1: bad labels/);
  });
});

describe('Models view: the split text', () => {
  const target = { labels: { stable: 1, canary: 2, old: 7 }, versions: [1, 2, 3] };

  it('accepts labels and version numbers, "off" alone; says what is wrong otherwise', () => {
    assert.deepEqual(parseSplit(' stable=90, canary=10 ', target), { ok: true, split: { off: false, weights: [['stable', 90], ['canary', 10]] } });
    assert.deepEqual(parseSplit('3=0.5 stable=1', target), { ok: true, split: { off: false, weights: [['3', 0.5], ['stable', 1]] } });
    assert.deepEqual(parseSplit('OFF', target), { ok: true, split: { off: true } });
    const message = (text: string) => {
      const r = parseSplit(text, target);
      assert.equal(r.ok, false, text);
      return (r as { message: string }).message;
    };
    assert.match(message(''), /ARM=WEIGHT/);
    assert.match(message('off stable=1'), /alone/);
    assert.match(message('stable=90 canary'), /"canary" is not ARM=WEIGHT/);
    assert.match(message('stable=-1'), /not ARM=WEIGHT/);
    assert.match(message('beta=10'), /no label "beta".*stable, canary, old/);
    assert.match(message('9=10'), /no version 9/);
    assert.match(message('old=10'), /points at version 7/);
    assert.match(message('stable=1 stable=2'), /twice/);
    assert.match(message('stable=0 canary=0'), /above 0/);
  });

  it('prefills the current split, else the labels; builds the CLI arguments', () => {
    assert.equal(suggestSplit(target, { canary: 5, stable: 95 }), 'canary=5 stable=95');
    assert.equal(suggestSplit(target), 'stable=90 canary=10');
    assert.equal(suggestSplit({ labels: {}, versions: [1, 2, 3] }), '3=90 2=10');
    assert.equal(suggestSplit({ labels: { stable: 1 }, versions: [1] }), 'stable=100');
    const parsed = parseSplit(suggestSplit(target), target);
    assert.ok(parsed.ok);
    assert.deepEqual(trafficArgs('/r', 'taxi', parsed.split), ['traffic', '/r', 'taxi', 'stable=90', 'canary=10']);
    assert.deepEqual(trafficArgs('/r', 'taxi', { off: true }), ['traffic', '/r', 'taxi', 'off']);
  });
});

describe('Models view: where registries come from', () => {
  it('finds the Pusher registry of the taxi sample, relative to the pipeline file', () => {
    const file = resolve('samples/taxi/taxi.pipeline.yaml');
    assert.deepEqual(registriesOfPipeline(readFileSync(file, 'utf8'), file), [resolve('samples/taxi/.tributary/registry')]);
    assert.deepEqual(registriesOfPipeline(readFileSync('test/fixtures/taxi-data.pipeline.yaml', 'utf8'), '/x/p.pipeline.yaml'), []);
    assert.deepEqual(registriesOfPipeline('nodes: [unclosed', '/x/p.pipeline.yaml'), []);
  });

  it('reads what a Serve Registry terminal serves from its arguments', () => {
    // The arguments commands.ts gives the terminal, after the cli.js path.
    assert.deepEqual(servedByArgs(['serve', 'reg', '--port', '8501']), { registry: resolve('reg'), host: '127.0.0.1', port: 8501 });
    assert.deepEqual(servedByArgs(['serve', '/r', '--host', '0.0.0.0', '--port', '9000']), { registry: '/r', host: '127.0.0.1', port: 9000 });
    assert.equal(servedByArgs(['run', 'x.pipeline.yaml']), undefined);
  });
});

describe('Models view: a real registry, `tributary traffic` and a real `tributary serve`', function () {
  this.timeout(180_000);
  let dir: string;
  let registry: string;
  let server: ChildProcess | undefined;
  let base = '';
  const row = { x1: 0.5, x2: -1 };
  const byVersion: Record<number, number> = { 1: sigmoid(2 * 0.5 + 1), 2: sigmoid(0.5 - 1 + 0.5) };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trib-models-'));
    registry = join(dir, 'registry');
    // Two versions pushed by the Pusher's own copy, labels moved as its executor does.
    await writeLogisticBundle(join(dir, 'b1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    await writeLogisticBundle(join(dir, 'b2'), { features: ['x1', 'x2'], weights: [1, 1], bias: 0.5 });
    assert.equal(pushBundle(join(dir, 'b1'), registry, 'taxi').version, 1);
    assert.equal(pushBundle(join(dir, 'b2'), registry, 'taxi').version, 2);
    writeIndex(registry, 'taxi', { labels: { stable: 1, canary: 2 } });
  });
  after(() => {
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the split that `tributary traffic` (run with the command’s arguments) wrote into the index', async () => {
    const before = readRegistry(registry, ['test']);
    assert.equal(before.models[0].traffic, undefined);
    assert.deepEqual(
      before.models[0].versions.map((v) => [v.version, v.labels, v.isDefault, v.sharePct]),
      [
        [2, ['canary'], true, undefined],
        [1, ['stable'], false, undefined],
      ],
    );
    const context = { labels: before.models[0].labels, versions: [1, 2] };
    const parsed = parseSplit('stable=3 canary=1', context);
    assert.ok(parsed.ok);
    const result = await cli(trafficArgs(registry, 'taxi', parsed.split));
    assert.equal(result.code, 0, result.stderr);
    const onDisk = JSON.parse(readFileSync(join(registry, 'taxi', 'index.json'), 'utf8'));
    assert.deepEqual(onDisk.traffic.weights, { stable: 3, canary: 1 });
    const after = readRegistry(registry, ['test']).models[0];
    assert.deepEqual(after.traffic?.weights, { stable: 3, canary: 1 });
    assert.deepEqual(
      after.versions.map((v) => [v.version, v.sharePct, v.isDefault]),
      [
        [2, 25, false],
        [1, 75, false],
      ],
    );
    assert.equal(describeVersion(after.versions[1], false), 'stable · 75 %');
    assert.equal(describeModel(after), '2 versions · split stable=3 canary=1');
  });

  it('counts per version what a served registry answered, as the requests sent say', async () => {
    server = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', registry, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    base = await new Promise<string>((done, fail) => {
      let out = '';
      server!.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const m = /at (http:\/\/[^/\s]+)\//.exec(out);
        if (m) done(m[1]);
      });
      server!.on('exit', (code) => fail(new Error(`server exited ${code}: ${out}`)));
    });
    const sent = { 1: { requests: 0, errors: 0 }, 2: { requests: 0, errors: 0 } } as Record<number, { requests: number; errors: number }>;
    const predict = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const r = await fetch(`${base}/v1/models/taxi${path}:predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const version = Number(r.headers.get('x-tributary-version'));
      const json = (await r.json()) as { predictions?: number[][] };
      if (r.ok) assert.ok(Math.abs(json.predictions![0][0] - byVersion[version]) < 1e-6, 'answered by its own weights');
      return { ok: r.ok, version };
    };
    // Keyed requests: the arm is the key's SHA-256 point against 3:1 (75 %), computed here independently.
    for (let k = 0; k < 24; k++) {
      const key = `user-${k}`;
      const point = createHash('sha256').update(key).digest().readUIntBE(0, 6) / 2 ** 48;
      const expected = point < 0.75 ? 1 : 2;
      const r = await predict('', { instances: [row] }, { 'x-tributary-key': key });
      assert.equal(r.version, expected, key);
      sent[expected].requests++;
    }
    for (let i = 0; i < 3; i++) {
      await predict('/versions/2', { instances: [row] });
      sent[2].requests++;
    }
    for (let i = 0; i < 2; i++) {
      const r = await predict('/versions/1', { instances: [{ nope: 1 }] });
      assert.equal(r.ok, false);
      sent[1].requests++;
      sent[1].errors++;
    }
    const text = await (await fetch(`${base}/metrics`)).text();
    const stats = statsFromMetricsText(text);
    for (const v of [1, 2]) {
      const s = stats.get(statsKey('taxi', v))!;
      assert.equal(s.requests, sent[v].requests, `v${v} requests`);
      assert.equal(s.errors, sent[v].errors, `v${v} errors`);
      assert.ok(s.p50! > 0 && s.p50! <= s.p95!, `v${v} p50 ${s.p50} ≤ p95 ${s.p95}`);
    }
    const url = new URL(base);
    const view = readRegistry(registry, ['served'], stats, { host: url.hostname, port: Number(url.port), state: 'up' });
    const v2 = view.models[0].versions.find((v) => v.version === 2)!;
    assert.match(describeVersion(v2, true), new RegExp(`^canary · 25 % · ${sent[2].requests} req · 0 err · p50 [0-9.]+ m?s · p95 [0-9.]+ m?s$`));
  });

  it('"off" through the CLI removes the split: the newest version is the default again', async () => {
    const parsed = parseSplit('off', { labels: { stable: 1, canary: 2 }, versions: [1, 2] });
    assert.ok(parsed.ok);
    const result = await cli(trafficArgs(registry, 'taxi', parsed.split));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(readFileSync(join(registry, 'taxi', 'index.json'), 'utf8')).traffic, undefined);
    const model = readRegistry(registry, ['test']).models[0];
    assert.deepEqual(
      model.versions.map((v) => [v.version, v.isDefault, v.sharePct]),
      [
        [2, true, undefined],
        [1, false, undefined],
      ],
    );
    // A broken split in the index is shown as a problem, not thrown.
    writeFileSync(join(registry, 'taxi', 'index.json'), JSON.stringify({ labels: { stable: 1 }, traffic: { weights: { stable: -3 } } }));
    assert.match(readRegistry(registry, ['test']).models[0].problem ?? '', /weight of "stable"/);
  });
});
