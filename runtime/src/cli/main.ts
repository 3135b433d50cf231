#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadPipelineFile, loadPlanOrThrow, PipelineInvalid } from '../engine/load-pipeline.ts';
import { runPipeline, type RunSummary } from '../engine/scheduler.ts';
import { currentRuntime, describeRuntime } from '../util/run-runtime.ts';
import { describeError } from '../engine/node-runner.ts';
import { metadataUrl } from '../metadata/open.ts';
import { lineage, listRuns, type LineageStep } from '../metadata/report.ts';
import { runLabels } from '../metadata/run-labels.ts';
import type { StoreData } from '../core/metadata-types.ts';
import { formatDiagnostic } from '../pipeline/diagnostics.ts';
import { parsePipeline } from '../pipeline/parse.ts';
import { writeFeatureTypes } from '../pipeline/feature-types.ts';
import { builtinRegistry } from '../components/index.ts';
import { isUserError, UserError } from '../core/errors.ts';
import { addClusterCommands } from './cluster-commands.ts';
import { addHistoryCommands, runsWithMetrics } from './history-commands.ts';
import { addMetadataCommands } from './metadata-commands.ts';
import { openHistory, openStoreFor, pipelineFileOrDefault } from './open-store.ts';
import { progressPrinter } from './progress.ts';
import { summarize } from './summary.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
// `tributary runs | head -1`: the reader left, so there is no one to print for; end quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const err = (line: string) => process.stderr.write(`${line}\n`);

const program = new Command('tributary')
  .description('Run TFX-style ML pipelines: typed components, lineage and caching.')
  .showHelpAfterError();

program
  .command('validate')
  .description('Check a pipeline file and print every problem as file:line:column')
  .argument('<file>', 'a *.pipeline.yaml file')
  .option('--json', 'print diagnostics as JSON')
  .action(async (file: string, opts: { json?: boolean }) => {
    const { diagnostics } = await loadPipelineFile(file);
    if (opts.json) out(JSON.stringify(diagnostics, null, 2));
    else if (diagnostics.length === 0) out(`${file}: ok`);
    else for (const d of diagnostics) out(formatDiagnostic(d));
    if (diagnostics.some((d) => d.severity === 'error')) process.exitCode = 1;
  });

program
  .command('run')
  .description('Run a pipeline (or part of it); unchanged steps are reused from the cache')
  .argument('<file>', 'a *.pipeline.yaml file')
  .option('--only <node...>', 'run only these nodes (inputs from earlier runs)')
  .option('--from <node>', 'run this node and everything downstream')
  .option('--no-cache', 'execute every node even if an identical execution exists')
  .addOption(new Option('--workers <n>', 'worker threads (default: core count)').argParser((v) => Number.parseInt(v, 10)))
  .option('--json', 'print a JSON summary as the last line')
  .option('--events', 'print one JSON RunEvent per line on stdout (for the editor); human output goes to stderr')
  .option('-v, --verbose', 'print every log line')
  .option('--resume <run>', 'continue an earlier run (waiting approvals, nodes that did not run)')
  .action(runCommand);

program
  .command('resume')
  .description('Continue a run: reuse its finished nodes, pick up waiting approvals, run the rest')
  .argument('<file>', 'a *.pipeline.yaml file')
  .requiredOption('--run <run>', 'the run id (see `tributary runs`)')
  .option('--no-cache', 'execute every remaining node even if an identical execution exists')
  .addOption(new Option('--workers <n>', 'worker threads (default: core count)').argParser((v) => Number.parseInt(v, 10)))
  .option('--json', 'print a JSON summary as the last line')
  .option('--events', 'print one JSON RunEvent per line on stdout')
  .option('-v, --verbose', 'print every log line')
  .action((file: string, opts: RunOpts & { run: string }) => runCommand(file, { ...opts, resume: opts.run }));

interface RunOpts { only?: string[]; from?: string; cache: boolean; workers?: number; json?: boolean; events?: boolean; verbose?: boolean; resume?: string }

async function runCommand(file: string, opts: RunOpts): Promise<void> {
  if (opts.resume && (opts.only || opts.from)) throw new UserError('--resume continues the nodes of the earlier run: leave out --only/--from');
  const plan = await loadPlanOrThrow(file);
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    err('\ncanceling… (Ctrl-C again to quit at once)');
    controller.abort(new Error('canceled by the user'));
  });
  const print = opts.json || opts.events ? err : out;
  const printer = progressPrinter(print, !!opts.verbose);
  // The editor's run log starts with the runtime it chose (a GPU backend loads in some and not others).
  if (opts.events) print(`runtime: ${describeRuntime(currentRuntime())}`);
  const summary: RunSummary = await runPipeline(plan, {
    only: opts.only,
    from: opts.from,
    resume: opts.resume,
    useCache: opts.cache,
    workers: opts.workers,
    signal: controller.signal,
    onEvent: opts.events
      ? (e) => {
          out(JSON.stringify(e));
          printer(e);
        }
      : printer,
  });
  for (const line of summarize(summary)) print(line);
  const waiting = summary.nodes.filter((n) => n.state === 'WAITING').map((n) => n.id);
  if (waiting.length) {
    print(`\n${waiting.join(', ')} still waiting for approval. Decide with \`tributary approve ${summary.runId} NODE [--reject]\`, continue with \`tributary resume ${file} --run ${summary.runId}\`.`);
  }
  if (opts.json) out(JSON.stringify(summary));
  // 3: stopped with approvals pending (resumable), distinct from a plain cancel (130).
  process.exitCode = summary.state === 'COMPLETE' ? 0 : summary.state === 'WAITING' ? 3 : summary.state === 'CANCELED' ? 130 : 1;
}

program
  .command('approve')
  .description('Approve (or --reject) a ManualApproval node waiting in a run; the waiting run, or a later resume, continues')
  .argument('<run>', 'run id')
  .argument('<node>', 'the ManualApproval node id')
  .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
  .option('--reject', 'reject: the node fails and its descendants do not run')
  .option('--comment <text>', 'why; recorded with the decision')
  .option('--by <name>', 'who decides (default: the OS user)')
  .action(async (run: string, node: string, file: string | undefined, opts: { reject?: boolean; comment?: string; by?: string }) => {
    const { decide, currentUser } = await import('../components/manual-approval/approval-records.ts');
    const store = await openStoreFor(pipelineFileOrDefault(file));
    const decision = opts.reject ? 'REJECTED' : 'APPROVED';
    const by = opts.by ?? currentUser();
    if ((await store.queries.seqOf(run)) === undefined) throw new UserError(`No run ${run} in this metadata store`);
    const e = await store.transaction(run, (data) => decide(data, run, node, decision, by, opts.comment));
    const alive = (() => {
      try {
        process.kill(e.pid, 0);
        return true;
      } catch {
        return false;
      }
    })();
    out(`${node} in run ${run}: ${decision.toLowerCase()} by ${by}${opts.comment ? ` (${opts.comment})` : ''}`);
    if (!alive) out(`No process is waiting on it any more: continue with \`tributary resume ${file ?? 'FILE'} --run ${run}\``);
  });

program
  .command('runs')
  .description("List the pipeline's recorded runs, newest first, with node states and times")
  .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
  .option('--json', 'print JSON')
  .option('--limit <n>', 'at most this many runs', '20')
  .option('--before <run>', 'only runs older than this run id (the next page)')
  .option('--metrics', 'one row per run: data span, params that differ, final train/eval metrics, blessing')
  .action(async (file: string | undefined, opts: { json?: boolean; metrics?: boolean; limit: string; before?: string }) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit must be a positive whole number, not "${opts.limit}"`);
    if (opts.metrics) return runsWithMetrics(openHistory, file, !!opts.json, out, limit);
    const { store, pipeline } = await openHistory(file);
    const before = opts.before === undefined ? undefined : await store.queries.seqOf(opts.before);
    if (opts.before !== undefined && before === undefined) throw new UserError(`No run ${opts.before} in this metadata store`);
    // One more than shown: whether there is a next page.
    const seqs = await store.queries.runSeqs({ pipeline, limit: limit + 1, before });
    const runs = listRuns(await store.queries.view(seqs.slice(0, limit)))
      .filter((r) => r.pipeline === pipeline)
      .reverse();
    // Labels from one run more than shown: the oldest shown is compared with the run before it.
    const labels = runLabels(await store.queries.view(seqs), { complete: seqs.length <= limit && before === undefined });
    if (opts.json) {
      out(JSON.stringify(runs.map((r) => ({ ...r, label: labels.get(r.runId)?.text })), null, 2));
      return;
    }
    for (const r of runs) {
      const secs = r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)} s` : '';
      const cost = [r.cpu && `CPU ${(r.cpu.totalMs / 1000).toFixed(1)} s`, r.peakRssMb !== undefined && `peak RSS ${r.peakRssMb} MB`].filter(Boolean).join(', ');
      out(`${r.runId}  ${r.state.padEnd(9)} ${r.startedAt}  ${secs}${cost ? ` (${cost})` : ''}`);
      const label = labels.get(r.runId);
      if (label) out(`    ${label.text}`);
      for (const e of r.executions) {
        const d = e.finishedAt ? `${((Date.parse(e.finishedAt) - Date.parse(e.startedAt)) / 1000).toFixed(2)} s` : '';
        const from = e.cachedFrom ? ` (from execution ${e.cachedFrom})` : '';
        out(`    #${String(e.id).padEnd(4)} ${e.nodeId.padEnd(22)} ${e.state.padEnd(9)} ${d}${from}`);
      }
    }
    if (seqs.length > limit && runs.length) out(`older runs: tributary runs${file ? ` ${file}` : ''} --before ${runs[runs.length - 1].runId}`);
  });

program
  .command('lineage')
  .description('Print the chain of executions and artifacts behind an artifact')
  .argument('<artifact>', 'artifact id')
  .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
  .action(async (artifact: string, file: string | undefined) => {
    const store = await openStoreFor(pipelineFileOrDefault(file));
    const id = Number(artifact);
    if (!Number.isInteger(id)) throw new UserError(`An artifact id is a whole number, not "${artifact}"`);
    const step = lineage(await store.queries.lineageView(id), id);
    if (!step) throw new UserError(`No artifact ${artifact} in the metadata store`);
    const shown = new Set<number>();
    const print = (s: LineageStep, indent: string, key: string) => {
      const a = s.artifact;
      const again = shown.has(a.id);
      shown.add(a.id);
      out(`${indent}${key}${a.type} #${a.id} [${a.state}] ${again ? '(shown above)' : a.uri}`);
      const p = s.producer;
      if (!p || again) return;
      const reused = p.cachedFrom ? `, reused execution #${p.cachedFrom}` : '';
      out(`${indent}  ← ${p.component}@${p.componentVersion} "${p.nodeId}" execution #${p.id} ${p.state} in run ${p.runId}${reused}`);
      out(`${indent}    params ${JSON.stringify(p.params)}`);
      const hashes = (p.properties.contentHashes ?? {}) as Record<string, string>;
      for (const [param, hash] of Object.entries(hashes)) {
        out(`${indent}    ${param}: ${String(p.params[param] ?? 'module')} (content ${hash.slice(0, 20)}…)`);
      }
      for (const i of s.inputs) print(i.step, `${indent}    `, `${i.key}: `);
    };
    print(step, '', '');
  });

program
  .command('logs')
  .description("Print a node's log from a run")
  .argument('<run>', 'run id (see `tributary runs`)')
  .argument('<node>', 'node id')
  .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
  .action(async (run: string, node: string, file: string | undefined) => {
    const store = await openStoreFor(pipelineFileOrDefault(file));
    const seq = await store.queries.seqOf(run);
    const e = seq === undefined ? undefined : (await store.queries.view([seq], false)).executions.filter((x) => x.runId === run && x.nodeId === node).pop();
    if (!e) throw new UserError(`No execution of node ${node} in run ${run}`);
    out(readFileSync(e.logFile, 'utf8').trimEnd());
  });

program
  .command('types')
  .description("Write <name>.features.d.ts beside the pipeline: its features' types from the latest Schema")
  .argument('<file>', 'a *.pipeline.yaml file')
  .option('--node <id>', 'use the schema of this node (default: the newest Schema artifact)')
  .option('--out <file>', 'write here instead of beside the pipeline')
  .option('--import-from <module>', "module the column types come from (default 'tributary')")
  .option('--json', 'print what was written as JSON (the editor asks so for a pipeline on a Postgres store)')
  .action(async (file: string, opts: { node?: string; out?: string; importFrom?: string; json?: boolean }) => {
    // A shared (Postgres) store is read here; the embedded one by writeFeatureTypes, which the editor also calls.
    const spec = parsePipeline(readFileSync(resolve(file), 'utf8'), resolve(file)).spec;
    let data: StoreData | undefined;
    if (metadataUrl(spec.metadata)) {
      const store = await openStoreFor(file);
      data = await store.queries.view(await store.queries.typeSeqs(spec.name, 'Schema', 20));
      await store.close();
    }
    const written = writeFeatureTypes(file, { nodeId: opts.node, out: opts.out, importFrom: opts.importFrom, data });
    if (opts.json) out(JSON.stringify(written));
    else out(`${written.file}: ${written.features} feature(s) from Schema artifact #${written.schemaArtifactId}${written.changed ? '' : ' (unchanged)'}`);
  });

program
  .command('components')
  .description('List the registered components with their inputs, outputs and parameters')
  .option('--json', 'print the specs (with JSON schemas) as JSON')
  .action((opts: { json?: boolean }) => {
    const specs = builtinRegistry().list().map((d) => d.spec);
    if (opts.json) {
      out(JSON.stringify(specs, null, 2));
      return;
    }
    for (const s of specs) {
      out(`${s.type} (${s.category}) — ${s.description}`);
      for (const [k, p] of Object.entries(s.inputs)) out(`  in  ${k}: ${p.type}${p.optional ? ' (optional)' : ''}`);
      for (const [k, p] of Object.entries(s.outputs)) out(`  out ${k}: ${p.type}`);
      const required = new Set(s.params.required ?? []);
      for (const [k, p] of Object.entries(s.params.properties) as [string, any][]) {
        const def = p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : required.has(k) ? ' (required)' : '';
        out(`  param ${k}${def} — ${p.description ?? ''}`);
      }
    }
  });

program
  .command('doctor')
  .description('What this machine offers Tributary: cores, memory, default workers, and which TensorFlow.js backends load (and why not)')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const { doctor, describeDoctor } = await import('./doctor.ts');
    const report = await doctor();
    if (opts.json) out(JSON.stringify(report, null, 2));
    else for (const line of describeDoctor(report)) out(line);
  });

program
  .command('serve')
  .description('Serve the models of a registry folder over TF Serving\'s REST API (hot-reloads pushed versions)')
  .argument('<registry>', 'model registry folder (<registry>/<model>/<version>/)')
  .addOption(new Option('--port <n>', 'port (0: any free port)').default(8501).argParser((v) => Number.parseInt(v, 10)))
  .option('--host <host>', 'interface to bind; anything but loopback exposes the models', '127.0.0.1')
  .option('--prediction-log <file>', 'log every predict request and its predictions (with model, version, arm): JSON lines, or an Arrow IPC stream for a .arrow file')
  .addOption(new Option('--prediction-log-format <format>', 'format of the prediction log (default: arrow for a .arrow file, else jsonl)').choices(['jsonl', 'arrow']))
  .addOption(
    new Option('--prediction-log-max-mb <n>', 'rotate the prediction log before it grows past N MiB: FILE → FILE.1 → FILE.2 …')
      .default(100)
      .argParser((v) => positiveNumber(v, '--prediction-log-max-mb')),
  )
  .addOption(
    new Option('--prediction-log-keep <n>', 'rotated prediction log files kept (FILE.1 … FILE.N); older ones are deleted')
      .default(5)
      .argParser((v) => positiveInteger(v, '--prediction-log-keep')),
  )
  .addOption(
    new Option('--workers <n>', 'server processes on the port, each with the models loaded ("auto": one per core but one, at least 1)')
      .default('auto')
      .argParser((v) => (v === 'auto' ? v : String(positiveInteger(v, '--workers')))),
  )
  .addOption(
    new Option('--max-batch-size <n>', 'dynamic batching: concurrent predicts are joined into one of at most N rows (0: off)')
      .default(32)
      .argParser((v) => nonNegativeInteger(v, '--max-batch-size')),
  )
  .addOption(
    new Option('--batch-timeout-ms <ms>', 'the longest a batch waits for requests still arriving')
      .default(1)
      .argParser((v) => nonNegativeNumber(v, '--batch-timeout-ms')),
  )
  .addOption(
    new Option('--warmup-requests <n>', 'predicts each loaded model version runs before it answers requests, so its first requests are not slow (0: off)')
      .default(1000)
      .argParser((v) => nonNegativeInteger(v, '--warmup-requests')),
  )
  .addOption(new Option('--ready-json', 'print one JSON ready line (for the InfraValidator)').hideHelp())
  .action(
    async (
      registry: string,
      opts: {
        port: number;
        host: string;
        workers: string;
        maxBatchSize: number;
        batchTimeoutMs: number;
        warmupRequests: number;
        readyJson?: boolean;
        predictionLog?: string;
        predictionLogFormat?: 'jsonl' | 'arrow';
        predictionLogMaxMb: number;
        predictionLogKeep: number;
      },
    ) => {
      const { serve, parseServeWorkers } = await import('../serving/serve.ts');
      // The listening server keeps the process alive until SIGINT/SIGTERM.
      await serve(registry, {
        port: opts.port,
        host: opts.host,
        workers: parseServeWorkers(opts.workers),
        maxBatchSize: opts.maxBatchSize,
        batchTimeoutMs: opts.batchTimeoutMs,
        warmupRequests: opts.warmupRequests,
        readyLine: !!opts.readyJson,
        log: opts.readyJson ? undefined : err,
        predictionLog: opts.predictionLog,
        predictionLogRotation: { maxBytes: Math.round(opts.predictionLogMaxMb * 1024 * 1024), keep: opts.predictionLogKeep, format: opts.predictionLogFormat },
      });
    },
  );

program
  .command('traffic')
  .description('Split a model\'s unversioned predict traffic between labels/versions by weight, e.g. stable=90 canary=10 (a running server reloads it)')
  .argument('<registry>', 'model registry folder')
  .argument('<model>', 'model name')
  .argument('[weights...]', 'ARM=WEIGHT pairs (ARM: a label or a version number); none: print the split; "off": remove it')
  .option('--key-header <name>', 'sticky routing: requests with this header always get the same arm')
  .option('--key-field <name>', 'sticky routing: a top-level field of the predict body used the same way')
  .action(async (registry: string, model: string, weights: string[], opts: { keyHeader?: string; keyField?: string }) => {
    const { setTraffic, describeTraffic } = await import('../serving/traffic.ts');
    if (!weights.length && !opts.keyHeader && !opts.keyField) {
      out(describeTraffic(registry, model));
      return;
    }
    const split = setTraffic(registry, model, weights, { keyHeader: opts.keyHeader, keyField: opts.keyField });
    out(split ? describeTraffic(registry, model) : `${model}: traffic split removed (the newest version answers)`);
  });

addClusterCommands(program, out, err);
addHistoryCommands(program, openHistory, out);
addMetadataCommands(program, openHistory, out);

try {
  await program.parseAsync();
} catch (e) {
  if (e instanceof PipelineInvalid) {
    for (const d of e.diagnostics) err(formatDiagnostic(d));
    process.exitCode = 1;
  } else if (isUserError(e)) {
    err(`error: ${describeError(e)}`);
    process.exitCode = 1;
  } else {
    err(`internal error: ${describeError(e)}`);
    process.exitCode = 2;
  }
}

function positiveNumber(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${option} needs a number above 0, not "${value}"`);
  return n;
}

function nonNegativeInteger(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${option} needs a whole number ≥ 0, not "${value}"`);
  return n;
}

function nonNegativeNumber(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${option} needs a number ≥ 0, not "${value}"`);
  return n;
}

function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${option} needs a whole number ≥ 1, not "${value}"`);
  return n;
}
