/** CLI commands for running on a cluster: one node as a cluster step, Argo compilation and its local replay. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { loadPlanOrThrow } from '../engine/load-pipeline.ts';
import { finishRun, mergeShards, planShards, runShard, runSingleNode } from '../engine/cluster-step.ts';
import type { NodeResult } from '../engine/node-runner.ts';
import type { PipelinePlan } from '../core/plan.ts';
import { UserError } from '../core/errors.ts';
import { checkSchedule, compileArgo, parseSecretRef, parseStore } from '../targets/argo/compile.ts';
import { replayWorkflow } from '../targets/argo/replay.ts';

type Print = (line: string) => void;

interface RunNodeOptions {
  run: string;
  shard?: number;
  merge?: boolean;
  planShards?: string;
  phase: number;
  expectSha256?: string;
  cache: boolean;
  workers?: number;
  json?: boolean;
}

/** How this very CLI is started, so replayed steps run the same code (bare --import loaders resolved for another cwd). */
function selfCommand(): string[] {
  const execArgv = process.execArgv.map((a, i, all) => (all[i - 1] === '--import' && !a.startsWith('.') && !a.startsWith('/') && !a.includes(':') ? import.meta.resolve(a) : a));
  return [process.execPath, ...execArgv, resolve(process.argv[1])];
}

/** The workflow carries the pipeline file's hash: a step must not run a different file than was compiled. */
function checkPipelineHash(plan: PipelinePlan, expected: string | undefined): void {
  if (!expected) return;
  const actual = createHash('sha256').update(readFileSync(plan.file)).digest('hex');
  if (actual !== expected) {
    throw new UserError(`${plan.file} changed since the workflow was compiled (sha256 ${actual.slice(0, 12)}, expected ${expected.slice(0, 12)}): copy the compiled version to the store or recompile`);
  }
}

export function addClusterCommands(program: Command, out: Print, err: Print): void {
  program
    .command('run-node')
    .description('Run one node of a run with its inputs from the metadata store (a cluster step); or one fan-out step of it')
    .argument('<file>', 'a *.pipeline.yaml file')
    .argument('<node>', 'node id')
    .requiredOption('--run <id>', 'run id shared by all steps of the run')
    .addOption(new Option('--shard <i>', 'map step: compute shard i\'s partial').argParser((v) => Number.parseInt(v, 10)))
    .option('--merge', 'merge step: merge all shard partials and record the node\'s outputs')
    .option('--plan-shards <file>', 'plan step: write the JSON list of shard indexes to <file>')
    .addOption(
      new Option('--phase <n>', 'with --plan-shards/--shard: the map phase (2: after the reduce step, e.g. Transform\'s apply pass)')
        .default(1)
        .argParser((v) => {
          if (v !== '1' && v !== '2') throw new UserError(`--phase must be 1 or 2, not "${v}"`);
          return Number(v);
        }),
    )
    .option('--expect-sha256 <hash>', 'fail unless the pipeline file has this sha256')
    .option('--no-cache', 'execute even if an identical execution exists')
    .addOption(new Option('--workers <n>', 'worker threads (default: TRIBUTARY_WORKERS or core count)').argParser((v) => Number.parseInt(v, 10)))
    .option('--json', 'print the result as JSON')
    .action(async (file: string, nodeId: string, opts: RunNodeOptions) => {
      const modes = [opts.shard !== undefined, !!opts.merge, !!opts.planShards].filter(Boolean).length;
      if (modes > 1) throw new UserError('Use at most one of --shard, --merge and --plan-shards');
      if (opts.shard !== undefined && !(opts.shard >= 0)) throw new UserError('--shard needs a shard index (0, 1, ...)');
      if (opts.phase !== 1 && !opts.planShards && opts.shard === undefined) throw new UserError('--phase goes with --plan-shards or --shard');
      const phase = opts.phase === 2 ? 2 : 1;
      const plan = await loadPlanOrThrow(file);
      checkPipelineHash(plan, opts.expectSha256);
      const options = {
        runId: opts.run,
        useCache: opts.cache,
        workers: opts.workers,
        onEvent: (e: { type: string; level?: string; message?: string }) => {
          if (e.type === 'log') err(`${e.level}: ${e.message}`);
        },
      };
      if (opts.planShards) {
        const count = await planShards(plan, nodeId, options, phase);
        writeFileSync(opts.planShards, JSON.stringify([...Array(count).keys()]));
        out(`${nodeId}: ${count} shard(s)${phase === 2 ? ' in phase 2' : ''}`);
        return;
      }
      if (opts.shard !== undefined) {
        await runShard(plan, nodeId, opts.shard, options, phase);
        out(`${nodeId}: ${phase === 2 ? 'phase 2 ' : ''}shard ${opts.shard} done`);
        return;
      }
      const result: NodeResult = opts.merge ? await mergeShards(plan, nodeId, options) : await runSingleNode(plan, nodeId, options);
      const outputs = Object.fromEntries(Object.entries(result.outputs).map(([k, a]) => [k, { id: a.id, type: a.type, uri: a.uri, properties: a.properties }]));
      if (opts.json) out(JSON.stringify({ node: nodeId, runId: opts.run, state: result.state, executionId: result.execution.id, error: result.error, outputs }));
      else out(`${nodeId}: ${result.state} (execution ${result.execution.id})${result.error ? `\n${result.error}` : ''}`);
      if (result.state !== 'COMPLETE' && result.state !== 'CACHED') process.exitCode = 1;
    });

  program
    .command('finish-run')
    .description("Record a run's final state from its node executions (the workflow's exit handler)")
    .argument('<file>', 'a *.pipeline.yaml file')
    .requiredOption('--run <id>', 'run id')
    .action(async (file: string, opts: { run: string }) => {
      const state = await finishRun(await loadPlanOrThrow(file), opts.run);
      out(`run ${opts.run}: ${state}`);
    });

  program
    .command('compile')
    .description('Compile a pipeline for a cluster: an Argo Workflow (or CronWorkflow with --schedule)')
    .argument('<file>', 'a *.pipeline.yaml file')
    .addOption(new Option('--target <target>', 'what to compile to').choices(['argo']).default('argo'))
    .option('--image <image>', 'container image with the tributary CLI (see Dockerfile)', 'tributary:0.1.0')
    .option('--schedule <cron>', 'emit a CronWorkflow on this schedule, e.g. "0 3 * * *"')
    .option('--store <store>', 'shared store: pvc:<claim> or s3://<bucket>[/<prefix>]', 'pvc:tributary-workspace')
    .option('--s3-endpoint <host>', 'S3-compatible endpoint (default: AWS)')
    .option('--s3-secret <name>', 'Kubernetes secret with accessKey and secretKey', 'tributary-s3')
    .option('--service-account <name>', 'service account the workflow runs as')
    .option('--metadata-secret <name[:key]>', 'Postgres metadata store: Kubernetes secret whose key (default url) holds the postgres:// URL; steps then write metadata concurrently')
    .option('-o, --output <file>', 'write the YAML here instead of stdout')
    .action(async (file: string, opts: { image: string; schedule?: string; store: string; s3Endpoint?: string; s3Secret: string; serviceAccount?: string; metadataSecret?: string; output?: string }) => {
      const plan = await loadPlanOrThrow(file);
      const workflow = await compileArgo(plan, {
        image: opts.image,
        schedule: opts.schedule === undefined ? undefined : checkSchedule(opts.schedule),
        store: parseStore(opts.store, { endpoint: opts.s3Endpoint, secret: opts.s3Secret }),
        serviceAccount: opts.serviceAccount,
        ...(opts.metadataSecret ? { metadata: parseSecretRef(opts.metadataSecret) } : {}),
      });
      const text = `# Compiled by tributary from ${plan.file}; do not edit, recompile.\n${stringify(workflow, { lineWidth: 0 })}`;
      if (opts.output) {
        writeFileSync(opts.output, text);
        err(`wrote ${opts.output}`);
      } else process.stdout.write(text);
    });

  program
    .command('replay-argo')
    .description('Run a compiled workflow\'s steps here as separate processes, a local folder standing in for the shared store')
    .argument('<workflow>', 'a compiled Workflow or CronWorkflow YAML file')
    .requiredOption('--workspace <dir>', 'the folder the store holds (mounted at /workspace in the containers)')
    .addOption(new Option('--parallel <n>', 'steps at once').default(2).argParser((v) => Number.parseInt(v, 10)))
    .option('--run <id>', 'run id (default: the workflow\'s generateName plus a random suffix, like Argo)')
    .option('--json', 'print the result as JSON')
    .action(async (workflow: string, opts: { workspace: string; parallel: number; run?: string; json?: boolean }) => {
      const result = await replayWorkflow(workflow, {
        workspace: resolve(opts.workspace),
        tributary: selfCommand(),
        parallel: opts.parallel,
        runId: opts.run,
        onStep: (s) => {
          err(`${s.phase.padEnd(9)} ${s.name}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}  ${(s.durationMs / 1000).toFixed(2)} s`);
          if (s.output) err(s.output.trimEnd().replace(/^/gm, '    '));
        },
      });
      if (opts.json) out(JSON.stringify(result));
      else out(`workflow ${result.runId}: ${result.phase} in ${(result.wallMs / 1000).toFixed(1)} s, ${result.steps.length} steps`);
      if (result.phase !== 'Succeeded') process.exitCode = 1;
    });
}
