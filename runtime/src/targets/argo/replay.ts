/**
 * Replays a compiled Argo workflow on this machine: every DAG task runs as a separate process
 * with exactly its container's command and args, in dependency order (independent tasks in
 * parallel), withParam fan-out expanded from the plan step's output parameter, retries as in the
 * retryStrategy, and the exit handler at the end. A local folder stands for the shared store
 * mounted at /workspace. It is a stand-in for a cluster, not Argo: no pods, images or artifact
 * driver; on an S3 store the folder plays the bucket.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../../core/errors.ts';
import { WORKSPACE_MOUNT } from './compile.ts';

export type StepPhase = 'Succeeded' | 'Failed' | 'Omitted';

export interface ReplayStep {
  /** Task name, with the item for fanned-out tasks: `stats-shard(3)`. */
  name: string;
  phase: StepPhase;
  attempts: number;
  args: string[];
  durationMs: number;
  output?: string;
}

export interface ReplayResult {
  runId: string;
  phase: 'Succeeded' | 'Failed';
  steps: ReplayStep[];
  wallMs: number;
}

export interface ReplayOptions {
  /** The local folder mirrored at /workspace in the containers. */
  workspace: string;
  /** How `tributary` is started here, e.g. [node, cli.js]. */
  tributary: string[];
  parallel?: number;
  runId?: string;
  onStep?: (step: ReplayStep) => void;
}

interface Parameter {
  name: string;
  value?: string;
  valueFrom?: { path?: string };
}

interface Task {
  name: string;
  template: string;
  dependencies?: string[];
  withParam?: string;
  withItems?: unknown[];
  arguments?: { parameters?: Parameter[] };
}

interface Template {
  name: string;
  dag?: { tasks: Task[] };
  container?: { command?: string[]; args?: string[]; env?: { name: string; value?: string }[] };
  inputs?: { parameters?: Parameter[] };
  outputs?: { parameters?: Parameter[] };
  retryStrategy?: { limit?: string | number };
}

/** Reads a Workflow or CronWorkflow file. */
export function readWorkflow(file: string): { spec: { entrypoint: string; onExit?: string; templates: Template[] }; generateName: string } {
  let doc: any;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`Cannot read workflow ${file}: ${(e as Error).message}`, { file });
  }
  const spec = doc?.kind === 'CronWorkflow' ? doc?.spec?.workflowSpec : doc?.kind === 'Workflow' ? doc?.spec : undefined;
  if (!spec?.templates || !spec.entrypoint) throw new UserError(`${file} is not an Argo Workflow or CronWorkflow with templates and an entrypoint`, { file });
  return { spec, generateName: doc.metadata?.generateName ?? `${doc.metadata?.name ?? 'workflow'}-` };
}

function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (whole, key: string) => (key in values ? values[key] : whole));
}

export async function replayWorkflow(file: string, options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const { spec, generateName } = readWorkflow(file);
  const templates = new Map(spec.templates.map((t) => [t.name, t]));
  const entry = templates.get(spec.entrypoint);
  if (!entry?.dag) throw new UserError(`The entrypoint "${spec.entrypoint}" of ${file} is not a DAG template`);
  const runId = options.runId ?? `${generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
  const globals: Record<string, string> = { 'workflow.name': runId };
  const scratch = mkdtempSync(join(tmpdir(), 'argo-replay-'));
  const steps: ReplayStep[] = [];
  const limit = Math.max(1, options.parallel ?? 2);
  let running = 0;
  const waiters: (() => void)[] = [];
  const slot = async () => {
    while (running >= limit) await new Promise<void>((r) => waiters.push(r));
    running++;
  };
  const release = () => {
    running--;
    waiters.shift()?.();
  };

  /** Runs one container step (with retries); returns its phase and output parameters. */
  const runStep = async (name: string, template: Template, params: Record<string, string>): Promise<{ ok: boolean; outputs: Record<string, string> }> => {
    if (!template.container) throw new UserError(`Template "${template.name}" has no container; the replay runs container steps only`);
    const values: Record<string, string> = { ...globals };
    for (const p of template.inputs?.parameters ?? []) {
      const v = params[p.name] ?? p.value;
      if (v === undefined) throw new UserError(`Step ${name}: input parameter "${p.name}" has no value`);
      values[`inputs.parameters.${p.name}`] = v;
    }
    // Output parameter files live in the container's own /tmp: give each step its own folder.
    const stepDir = mkdtempSync(join(scratch, 'step-'));
    const outputFiles = new Map<string, string>();
    for (const p of template.outputs?.parameters ?? []) if (p.valueFrom?.path) outputFiles.set(p.valueFrom.path, join(stepDir, p.name));
    const toLocal = (arg: string) => {
      const a = substitute(arg, values);
      if (outputFiles.has(a)) return outputFiles.get(a)!;
      return a === WORKSPACE_MOUNT || a.startsWith(`${WORKSPACE_MOUNT}/`) ? options.workspace + a.slice(WORKSPACE_MOUNT.length) : a;
    };
    const [command, ...commandArgs] = [...(template.container.command ?? []), ...(template.container.args ?? [])].map(toLocal);
    if (command !== 'tributary') throw new UserError(`Step ${name} runs "${command}"; the replay only runs tributary commands`);
    const env = { ...process.env };
    for (const e of template.container.env ?? []) if (e.value !== undefined) env[e.name] = substitute(e.value, values);
    const attempts = 1 + Number(template.retryStrategy?.limit ?? 0);
    let ok = false;
    let output = '';
    let attempt = 0;
    await slot();
    // Timed from the slot on: the time spent queued behind --parallel is not the step's.
    const t0 = performance.now();
    try {
      for (attempt = 1; attempt <= attempts && !ok; attempt++) {
        ({ ok, output } = await exec(options.tributary, commandArgs, options.workspace, env));
      }
    } finally {
      release();
    }
    const step: ReplayStep = {
      name,
      phase: ok ? 'Succeeded' : 'Failed',
      attempts: attempt - 1,
      args: commandArgs,
      durationMs: Math.round(performance.now() - t0),
      ...(ok ? {} : { output: output.slice(-4000) }),
    };
    steps.push(step);
    options.onStep?.(step);
    const outputs: Record<string, string> = {};
    if (ok) for (const [p, local] of outputFiles) outputs[template.outputs!.parameters!.find((x) => x.valueFrom?.path === p)!.name] = readFileSync(local, 'utf8').trim();
    return { ok, outputs };
  };

  const taskOutputs: Record<string, string> = {};
  const results = new Map<string, Promise<boolean>>();
  const tasks = new Map(entry.dag.tasks.map((t) => [t.name, t]));
  const runTask = (task: Task): Promise<boolean> => {
    let promise = results.get(task.name);
    if (promise) return promise;
    promise = (async () => {
      const deps = await Promise.all((task.dependencies ?? []).map((d) => {
        const dep = tasks.get(d);
        if (!dep) throw new UserError(`Task "${task.name}" depends on unknown task "${d}"`);
        return runTask(dep);
      }));
      const template = templates.get(task.template);
      if (!template) throw new UserError(`Task "${task.name}" uses unknown template "${task.template}"`);
      if (deps.some((ok) => !ok)) {
        // As in Argo: a task whose dependency failed is never started.
        const step: ReplayStep = { name: task.name, phase: 'Omitted', attempts: 0, args: [], durationMs: 0 };
        steps.push(step);
        options.onStep?.(step);
        return false;
      }
      const items = task.withItems ?? (task.withParam ? parseItems(task, substitute(task.withParam, { ...globals, ...taskOutputs })) : undefined);
      const argsFor = (item?: unknown) =>
        Object.fromEntries(
          (task.arguments?.parameters ?? []).map((p) => [
            p.name,
            substitute(p.value ?? '', { ...globals, ...taskOutputs, ...(item === undefined ? {} : { item: typeof item === 'string' ? item : JSON.stringify(item) }) }),
          ]),
        );
      if (items) {
        const all = await Promise.all(items.map((item) => runStep(`${task.name}(${JSON.stringify(item)})`, template, argsFor(item))));
        return all.every((r) => r.ok);
      }
      const r = await runStep(task.name, template, argsFor());
      for (const [k, v] of Object.entries(r.outputs)) taskOutputs[`tasks.${task.name}.outputs.parameters.${k}`] = v;
      return r.ok;
    })();
    results.set(task.name, promise);
    return promise;
  };

  let phase: ReplayResult['phase'];
  try {
    const all = await Promise.all(entry.dag.tasks.map(runTask));
    phase = all.every(Boolean) ? 'Succeeded' : 'Failed';
    if (spec.onExit) {
      globals['workflow.status'] = phase;
      const exit = templates.get(spec.onExit);
      if (!exit) throw new UserError(`onExit names unknown template "${spec.onExit}"`);
      await runStep(spec.onExit, exit, {});
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { runId, phase, steps, wallMs: Math.round(performance.now() - started) };
}

function parseItems(task: Task, text: string): unknown[] {
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    throw new UserError(`Task "${task.name}": withParam did not resolve to a JSON list (got ${text.slice(0, 200)})`);
  }
  if (!Array.isArray(items)) throw new UserError(`Task "${task.name}": withParam must be a JSON list, got ${text.slice(0, 200)}`);
  return items;
}

function exec(tributary: string[], args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolvePromise) => {
    const [cmd, ...pre] = tributary;
    const child = spawn(cmd, [...pre, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => resolvePromise({ ok: false, output: `${output}${e.message}` }));
    child.on('close', (code) => resolvePromise({ ok: code === 0, output }));
  });
}
