/**
 * Pusher: copies `<model>/bundle/` into `<registry>/<name>/<version>/`. The copy goes to a
 * dot-named temp folder first and is renamed into place: the server never sees a half-copied
 * version, and a rename onto an existing (non-empty) version folder fails, so two pushers racing
 * for a number never overwrite each other — the loser takes the next number.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type ArtifactRef, type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { checkModelName, listVersions, readIndex, writeIndex } from '../../serving/registry-index.ts';
import type { pusherSpec } from './spec.ts';

type Spec = typeof pusherSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const PUSHED_FILE = 'pushed.json';

interface BlessingFile {
  blessed: boolean;
  model?: { uri?: string };
  reasons?: { passed: boolean; message: string }[];
}

function readBlessing(ref: ArtifactRef, file: string, what: string): BlessingFile {
  const path = join(ref.uri, file);
  if (!existsSync(path)) {
    // Fall back on the artifact's recorded property.
    if (typeof ref.properties.blessed === 'boolean') return { blessed: ref.properties.blessed };
    throw new UserError(`${what} ${path} is missing`, { file: path });
  }
  return JSON.parse(readFileSync(path, 'utf8')) as BlessingFile;
}

/** Why the model must not be pushed, or undefined when it may. */
function refusal(ctx: Ctx): string | undefined {
  const { model_blessing, infra_blessing, model } = ctx.inputs;
  if (model_blessing) {
    const b = readBlessing(model_blessing, 'blessing.json', 'Model blessing');
    if (b.model?.uri && b.model.uri !== model.uri) {
      throw new UserError(`The model blessing is for ${b.model.uri}, not for the model being pushed (${model.uri})`);
    }
    if (!b.blessed) {
      const failed = (b.reasons ?? []).filter((r) => !r.passed).map((r) => r.message);
      return `the Evaluator did not bless the model${failed.length ? `: ${failed.join('; ')}` : ''}`;
    }
  } else {
    ctx.log.warn('No model_blessing wired: pushing without an evaluation gate');
  }
  if (infra_blessing) {
    const b = readBlessing(infra_blessing, 'infra_blessing.json', 'Infra blessing');
    if (!b.blessed) {
      const failed = (b.reasons ?? []).filter((r) => !r.passed).map((r) => r.message);
      return `the InfraValidator did not bless the model${failed.length ? `: ${failed.join('; ')}` : ''}`;
    }
  }
  return undefined;
}

/** Copies a bundle into the registry as a new version; returns the version number. */
export function pushBundle(bundle: string, registry: string, name: string): { version: number; path: string } {
  checkModelName(name);
  if (!existsSync(join(bundle, 'bundle.json'))) throw new UserError(`Not a serving bundle: ${bundle} has no bundle.json`, { file: bundle });
  const modelDir = join(registry, name);
  mkdirSync(modelDir, { recursive: true });
  const tmp = join(modelDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  cpSync(bundle, tmp, { recursive: true });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const version = (listVersions(registry, name).at(-1) ?? 0) + 1 + attempt;
      const path = join(modelDir, String(version));
      if (existsSync(path)) continue;
      try {
        renameSync(tmp, path);
        return { version, path };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      }
    }
    throw new Error(`Could not find a free version number in ${modelDir}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const registry = ctx.resolvePath(params.registry);
  const name = checkModelName(params.model_name);
  const out = ctx.outputs.pushed_model;
  const why = refusal(ctx);
  if (why) {
    const message = `Not pushed: ${why}`;
    ctx.log.warn(message);
    writeFileSync(join(out.uri, PUSHED_FILE), JSON.stringify({ pushed: false, reason: message, model_name: name, registry }, null, 2));
    out.properties = { pushed: false, reason: message, modelName: name };
    return;
  }
  const { version, path } = pushBundle(join(ctx.inputs.model.uri, 'bundle'), registry, name);
  const index = readIndex(registry, name);
  for (const label of params.labels) index.labels[label] = version;
  index.versions = { ...index.versions, [version]: { pushedAt: new Date().toISOString(), modelUri: ctx.inputs.model.uri, modelId: ctx.inputs.model.id } };
  writeIndex(registry, name, index);
  ctx.log.info(`Pushed ${name} version ${version} to ${path}${params.labels.length ? ` (labels: ${params.labels.join(', ')})` : ''}`);
  const record = { pushed: true, model_name: name, version, path, labels: params.labels, registry };
  writeFileSync(join(out.uri, PUSHED_FILE), JSON.stringify(record, null, 2));
  out.properties = { pushed: true, modelName: name, version, path, labels: params.labels };
}
