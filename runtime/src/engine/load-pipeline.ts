import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parsePipeline, type ParsedPipeline } from '../pipeline/parse.ts';
import { validateModulePaths, validatePipeline } from '../pipeline/validate.ts';
import { topologicalOrder } from '../pipeline/graph.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../pipeline/diagnostics.ts';
import { builtinRegistry } from '../components/index.ts';
import type { Registry } from '../core/registry.ts';
import { UserError } from '../core/errors.ts';
import { type ComponentDefinition } from '../core/registry.ts';
import { loadUserModule } from '../modules/load-module.ts';
import { findWorkspaceRoot } from '../util/paths.ts';
import type { PipelinePlan } from '../core/plan.ts';

export class PipelineInvalid extends UserError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`${diagnostics.filter((d) => d.severity === 'error').length} problem(s) in the pipeline file`);
  }
}

function isComponentDefinition(value: unknown): value is ComponentDefinition {
  const v = value as ComponentDefinition | undefined;
  return !!v && typeof v === 'object' && typeof v.spec?.type === 'string' && typeof v.loadExecutor === 'function';
}

/** Registers a pipeline's custom components (module files exporting a ComponentDefinition as default). */
async function withCustomComponents(parsed: ParsedPipeline, dir: string, root: string): Promise<Registry> {
  const registry = builtinRegistry().clone();
  for (const [type, modulePath] of Object.entries(parsed.spec.components)) {
    const file = resolve(dir, modulePath);
    const { exports, hash } = await loadUserModule(file, join(root, 'modules'), findWorkspaceRoot(dir));
    const def = exports.default;
    if (!isComponentDefinition(def)) {
      throw new UserError(`${modulePath} must export a component definition (defineComponent(...)) as default`, { file });
    }
    if (def.spec.type !== type) {
      throw new UserError(`${modulePath} defines component "${def.spec.type}", but the pipeline names it "${type}"`, { file });
    }
    registry.register({ ...def, sourceHash: hash });
  }
  return registry;
}

export interface LoadedPipeline {
  parsed: ParsedPipeline;
  diagnostics: Diagnostic[];
  plan?: PipelinePlan;
}

/** Parses and validates a pipeline file; a plan is returned only when there is no error. */
export async function loadPipelineFile(path: string): Promise<LoadedPipeline> {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read pipeline file: ${(e as Error).message}`, { file });
  }
  const parsed = parsePipeline(text, file);
  const dir = dirname(file);
  const root = resolve(dir, parsed.spec.root);
  const workspaceRoot = findWorkspaceRoot(dir);
  // Every path the loading below imports or writes is checked before anything is imported.
  const unsafe = validateModulePaths(parsed, { file, workspaceRoot });
  if (hasErrors(parsed.diagnostics) || hasErrors(unsafe)) {
    return { parsed, diagnostics: sortDiagnostics(validatePipeline(parsed, builtinRegistry(), { file, workspaceRoot })) };
  }
  const registry = await withCustomComponents(parsed, dir, root);
  const diagnostics = sortDiagnostics(validatePipeline(parsed, registry, { file, workspaceRoot }));
  if (hasErrors(diagnostics)) return { parsed, diagnostics };
  const nodes = topologicalOrder(parsed.spec).map((id) => {
    const n = parsed.spec.nodes[id];
    return { id, component: n.component, params: n.params, inputs: n.inputs, ...(n.run ? { run: n.run } : {}) };
  });
  const alerts = parsed.spec.alerts?.length ? { alerts: parsed.spec.alerts } : {};
  const metadata = parsed.spec.metadata ? { metadata: parsed.spec.metadata } : {};
  return { parsed, diagnostics, plan: { name: parsed.spec.name, file, dir, root, nodes, registry, ...alerts, ...metadata } };
}

export async function loadPlanOrThrow(path: string): Promise<PipelinePlan> {
  const loaded = await loadPipelineFile(path);
  if (!loaded.plan) throw new PipelineInvalid(loaded.diagnostics);
  return loaded.plan;
}
