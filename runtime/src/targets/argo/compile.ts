/**
 * Compiles a pipeline to an Argo Workflow (or CronWorkflow): one DAG task per node, each a plain
 * `tributary run-node` container; data-parallel nodes become plan → map (withParam over shards) →
 * merge, or plan → map → reduce → map → merge for a second map phase (Transform's apply pass). The pipeline file, its data and its root live on a shared store mounted at /workspace:
 * a PVC, or an S3-compatible bucket moved in and out by Argo's artifact driver. The metadata store
 * is the embedded one in the root, or a shared Postgres server whose URL every step reads from a
 * Kubernetes secret (`metadata`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix, relative, sep } from 'node:path';
import type { PipelinePlan, PlanNode } from '../../core/plan.ts';
import { fanOutOf } from '../../engine/cluster-step.ts';
import { UserError } from '../../core/errors.ts';
import { findWorkspaceRoot } from '../../util/paths.ts';
import { METADATA_ENV } from '../../metadata/open.ts';

export const WORKSPACE_MOUNT = '/workspace';
export const SHARDS_PARAMETER_FILE = '/tmp/tributary-shards.json';
const RUN_ID = '{{workflow.name}}';

export type ArgoStore =
  | { kind: 'pvc'; claim: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; secret: string; insecure?: boolean };

export interface ArgoCompileOptions {
  image: string;
  /** Cron schedule: emit a CronWorkflow. */
  schedule?: string;
  store: ArgoStore;
  /** Folder mirrored onto the store; defaults to the pipeline's workspace (nearest .git/package.json). */
  workspaceRoot?: string;
  serviceAccount?: string;
  /**
   * A Postgres metadata store: the Kubernetes secret (and its key) holding the URL, given to every
   * step as the pipeline's `metadata.url_env` variable (else TRIBUTARY_METADATA). Steps then write
   * metadata concurrently, on S3 too.
   */
  metadata?: { secret: string; key: string };
}

/** `pvc:NAME` or `s3://bucket/prefix`, as the CLI takes it. */
export function parseStore(text: string, s3: { endpoint?: string; secret?: string; insecure?: boolean } = {}): ArgoStore {
  const pvc = /^pvc:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text);
  if (pvc) return { kind: 'pvc', claim: pvc[1] };
  const bucket = /^s3:\/\/([a-z0-9][-a-z0-9.]{1,61}[a-z0-9])(\/(.*))?$/.exec(text);
  if (bucket) {
    return { kind: 's3', bucket: bucket[1], prefix: (bucket[3] ?? '').replace(/\/+$/, ''), endpoint: s3.endpoint, secret: s3.secret ?? 'tributary-s3', insecure: s3.insecure };
  }
  throw new UserError(`--store must be pvc:<claim-name> or s3://<bucket>[/<prefix>], not "${text}"`);
}

/** `NAME` or `NAME:KEY` (default key `url`): a Kubernetes secret and the key that holds a value. */
export function parseSecretRef(text: string): { secret: string; key: string } {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(:([-._a-zA-Z0-9]+))?$/.exec(text);
  if (!m) throw new UserError(`--metadata-secret must be a Kubernetes secret name, optionally :key (default key url), not "${text}"`);
  return { secret: m[1], key: m[4] ?? 'url' };
}

/** Kubernetes-style names: Argo task and template names allow lowercase letters, digits and '-'. */
function k8sName(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'node';
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

type Json = Record<string, unknown>;

interface Step {
  task: Json;
  template: Json;
}

/** What every step of one compiled workflow shares. */
interface Target {
  options: ArgoCompileOptions;
  store: ArgoStore;
  /** The pipeline file and its root as the containers see them. */
  file: string;
  root: string;
  /** The pipeline file's hash: each step refuses to run a different file. */
  sha: string;
  /** Argo names taken so far, and by which node. */
  names: Map<string, string>;
  /** Every container's environment entry for the Postgres store's URL (none: the embedded store). */
  metadataEnv: Json[];
}

export async function compileArgo(plan: PipelinePlan, options: ArgoCompileOptions): Promise<Json> {
  const workspace = options.workspaceRoot ?? findWorkspaceRoot(plan.dir);
  if (plan.metadata && !options.metadata) {
    throw new UserError(
      `${plan.file} keeps its metadata in Postgres (metadata.url_env: ${plan.metadata.url_env}): name the Kubernetes secret holding the URL with --metadata-secret NAME`,
    );
  }
  const target: Target = {
    options,
    store: options.store,
    file: inWorkspace(workspace, plan.file, 'The pipeline file'),
    root: inWorkspace(workspace, plan.root, 'The pipeline root'),
    sha: createHash('sha256').update(readFileSync(plan.file)).digest('hex'),
    names: new Map(),
    metadataEnv: options.metadata
      ? [{ name: plan.metadata?.url_env ?? METADATA_ENV, valueFrom: { secretKeyRef: { name: options.metadata.secret, key: options.metadata.key } } }]
      : [],
  };

  const steps: Step[] = [];
  /** Task that produces each node's outputs (its merge step when it fans out). */
  const doneTask = new Map<string, string>();
  let previousWriter: string | undefined;
  for (const node of plan.nodes) {
    const name = k8sName(node.id);
    const upstream = [...new Set(Object.values(node.inputs).map((r) => doneTask.get(r.node)!))];
    // An embedded store on S3 is a copy per step: metadata writers run one after another (see the
    // README). A Postgres store is shared: steps write concurrently.
    const serial = target.store.kind === 's3' && !options.metadata && previousWriter && !upstream.includes(previousWriter) ? [previousWriter] : [];
    const all = [...upstream, ...serial];
    const dependencies: Json = all.length ? { dependencies: all } : {};
    const fanOut = await fanOutOf(plan, node);
    steps.push(...(fanOut ? fanOutSteps(target, node, name, dependencies, Boolean(fanOut.second)) : [nodeStep(target, node, name, dependencies)]));
    doneTask.set(node.id, name);
    previousWriter = name;
  }
  return workflow(target, plan, workspace, steps);
}

/** A path inside the workspace as the containers see it (under the mount). */
function inWorkspace(workspace: string, abs: string, what: string): string {
  const rel = toPosix(relative(workspace, abs));
  if (rel.startsWith('..') || posix.isAbsolute(rel)) throw new UserError(`${what} ${abs} is outside the workspace ${workspace}, which is what the store holds`);
  return rel === '' ? WORKSPACE_MOUNT : posix.join(WORKSPACE_MOUNT, rel);
}

/** Takes an Argo name for a node; two nodes that map to the same name are refused. */
function claim(target: Target, name: string, owner: string): string {
  const prior = target.names.get(name);
  if (prior) throw new UserError(`Nodes "${prior}" and "${owner}" both map to the Argo name "${name}"; rename one`);
  target.names.set(name, owner);
  return name;
}

function s3Location(store: ArgoStore, key: string): Json {
  if (store.kind !== 's3') return {};
  return {
    s3: {
      bucket: store.bucket,
      key: posix.join(store.prefix, key),
      ...(store.endpoint ? { endpoint: store.endpoint } : {}),
      ...(store.insecure ? { insecure: true } : {}),
      accessKeySecret: { name: store.secret, key: 'accessKey' },
      secretKeySecret: { name: store.secret, key: 'secretKey' },
    },
  };
}

/** On S3 each step downloads the workspace and uploads what it wrote; a PVC is simply mounted. */
function storeIO(store: ArgoStore, writes: string | undefined): Json {
  if (store.kind === 'pvc') return {};
  return {
    inputs: { artifacts: [{ name: 'workspace', path: WORKSPACE_MOUNT, ...s3Location(store, '') }] },
    ...(writes
      ? { outputs: { artifacts: [{ name: 'written', path: writes, archive: { none: {} }, ...s3Location(store, posix.relative(WORKSPACE_MOUNT, writes)) }] } }
      : {}),
  };
}

function container(target: Target, node: PlanNode, args: string[]): Json {
  const run = node.run ?? {};
  const requests: Json = {};
  if (run.cpu) requests.cpu = run.cpu;
  if (run.memory) requests.memory = run.memory;
  const resources: Json = {};
  if (Object.keys(requests).length) resources.requests = requests;
  if (run.gpu) resources.limits = { 'nvidia.com/gpu': String(run.gpu) };
  // Node sees the machine's cores, not the pod's CPU request: size the worker pool from the request.
  const workers = run.cpu ? Math.max(1, Math.ceil(run.cpu.endsWith('m') ? Number.parseInt(run.cpu, 10) / 1000 : Number(run.cpu))) : undefined;
  return {
    image: target.options.image,
    command: ['tributary'],
    args,
    workingDir: WORKSPACE_MOUNT,
    ...(workers || target.metadataEnv.length
      ? { env: [...(workers ? [{ name: 'TRIBUTARY_WORKERS', value: String(workers) }] : []), ...target.metadataEnv] }
      : {}),
    ...(Object.keys(resources).length ? { resources } : {}),
    ...(target.store.kind === 'pvc' ? { volumeMounts: [{ name: 'workspace', mountPath: WORKSPACE_MOUNT }] } : {}),
  };
}

function retry(node: PlanNode): Json {
  return node.run?.retries ? { retryStrategy: { limit: String(node.run.retries), retryPolicy: 'OnFailure' } } : {};
}

function annotate(node: PlanNode): Json {
  return {
    metadata: {
      annotations: {
        'tributary.dev/node': node.id,
        'tributary.dev/component': node.component,
        'tributary.dev/params': JSON.stringify(node.params),
      },
    },
  };
}

/** The `tributary run-node` arguments every step of a node starts with. */
function baseArgs(target: Target, node: PlanNode): string[] {
  return ['run-node', target.file, node.id, '--run', RUN_ID, '--expect-sha256', target.sha];
}

/** A node that runs as one step: it writes its outputs and records them. */
function nodeStep(target: Target, node: PlanNode, name: string, dependencies: Json): Step {
  claim(target, name, node.id);
  return {
    task: { name, template: name, ...dependencies },
    template: { name, ...annotate(node), ...retry(node), ...storeIO(target.store, target.root), container: container(target, node, baseArgs(target, node)) },
  };
}

/**
 * A data-parallel node: plan → map (withParam over shards) → merge, or with a second map phase
 * (Transform's apply pass) plan → map → reduce → map → merge.
 */
function fanOutSteps(target: Target, node: PlanNode, name: string, dependencies: Json, second: boolean): Step[] {
  const planName = claim(target, `${name}-plan`, node.id);
  const shardName = claim(target, `${name}-shard`, node.id);
  const reduceName = second ? claim(target, `${name}-reduce`, node.id) : undefined;
  const shard2Name = second ? claim(target, `${name}-shard-2`, node.id) : undefined;
  claim(target, name, node.id);
  const base = baseArgs(target, node);
  const scratch = posix.join(target.root, 'runs', RUN_ID, `${node.id}.shards`);
  const planStep = (stepName: string, deps: Json, phaseArgs: string[], writes: string | undefined): Step => ({
    task: { name: stepName, template: stepName, ...deps },
    template: {
      name: stepName,
      ...annotate(node),
      ...retry(node),
      ...storeIO(target.store, writes),
      container: container(target, node, [...base, '--plan-shards', SHARDS_PARAMETER_FILE, ...phaseArgs]),
      outputs: { parameters: [{ name: 'shards', valueFrom: { path: SHARDS_PARAMETER_FILE } }] },
    },
  });
  const mapStep = (stepName: string, planStepName: string, phaseArgs: string[]): Step => ({
    task: {
      name: stepName,
      template: stepName,
      dependencies: [planStepName],
      arguments: { parameters: [{ name: 'shard', value: '{{item}}' }] },
      withParam: `{{tasks.${planStepName}.outputs.parameters.shards}}`,
    },
    template: {
      name: stepName,
      ...annotate(node),
      ...retry(node),
      ...mergeInputs(storeIO(target.store, scratch), { parameters: [{ name: 'shard' }] }),
      container: container(target, node, [...base, '--shard', '{{inputs.parameters.shard}}', ...phaseArgs]),
    },
  });
  const steps = [planStep(planName, dependencies, [], undefined), mapStep(shardName, planName, [])];
  if (reduceName && shard2Name) {
    // The reduce step writes the second phase's plan (merged analyzers) into the scratch folder.
    steps.push(planStep(reduceName, { dependencies: [shardName] }, ['--phase', '2'], scratch), mapStep(shard2Name, reduceName, ['--phase', '2']));
  }
  steps.push({
    task: { name, template: name, dependencies: [shard2Name ?? shardName] },
    template: { name, ...annotate(node), ...retry(node), ...storeIO(target.store, target.root), container: container(target, node, [...base, '--merge']) },
  });
  return steps;
}

/** The Workflow (or CronWorkflow) around the steps, with the exit handler that records the run's end. */
function workflow(target: Target, plan: PipelinePlan, workspace: string, steps: Step[]): Json {
  const { options, store } = target;
  const exitName = claim(target, 'finish-run', 'the exit handler');
  const exitTemplate = {
    name: exitName,
    ...storeIO(store, target.root),
    container: {
      ...container(target, { id: 'finish', component: '', params: {}, inputs: {} }, ['finish-run', target.file, '--run', RUN_ID]),
    },
  };

  const spec: Json = {
    entrypoint: 'pipeline',
    onExit: exitName,
    ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}),
    ...(store.kind === 'pvc' ? { volumes: [{ name: 'workspace', persistentVolumeClaim: { claimName: store.claim } }] } : {}),
    templates: [{ name: 'pipeline', dag: { tasks: steps.map((s) => s.task) } }, ...steps.map((s) => s.template), exitTemplate],
  };
  const pipelineName = k8sName(plan.name);
  const metadata = {
    labels: { 'tributary.dev/pipeline': pipelineName },
    annotations: {
      'tributary.dev/pipeline-file': toPosix(relative(workspace, plan.file)),
      'tributary.dev/pipeline-sha256': target.sha,
      'tributary.dev/workspace-mount': WORKSPACE_MOUNT,
    },
  };
  if (options.schedule) {
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: pipelineName, ...metadata },
      spec: { schedules: [options.schedule], concurrencyPolicy: 'Forbid', workflowSpec: spec },
    };
  }
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: `${pipelineName}-`, ...metadata }, spec };
}

function mergeInputs(io: Json, extra: { parameters: Json[] }): Json {
  const inputs = (io.inputs as Json | undefined) ?? {};
  return { ...io, inputs: { ...inputs, ...extra } };
}

/** A cron schedule of five fields (Argo/Kubernetes syntax) or a @-macro. */
export function checkSchedule(schedule: string): string {
  const macro = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(schedule);
  if (!macro && schedule.trim().split(/\s+/).length !== 5) {
    throw new UserError(`--schedule must be a cron expression of 5 fields (minute hour day month weekday) or @daily etc., not "${schedule}"`);
  }
  return schedule.trim();
}
