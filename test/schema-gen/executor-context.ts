import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { ArtifactType } from '../../runtime/src/core/artifacts.ts';
import type { ArtifactRef, ExecutorContext, OutputArtifact } from '../../runtime/src/core/component.ts';

export interface CapturedLog {
  info: string[];
  warn: string[];
  error: string[];
}

/** An ExecutorContext built by hand: inputs are given uris, outputs fresh folders under `root`. */
export function makeContext(options: {
  root: string;
  pool: WorkerPool;
  params: Record<string, unknown>;
  inputs: Record<string, { type: ArtifactType; uri: string } | undefined>;
  outputs: Record<string, ArtifactType>;
}): { ctx: ExecutorContext<any, any, any>; log: CapturedLog } {
  const log: CapturedLog = { info: [], warn: [], error: [] };
  const inputs: Record<string, ArtifactRef | undefined> = {};
  let id = 1;
  for (const [name, ref] of Object.entries(options.inputs)) inputs[name] = ref && { id: id++, type: ref.type, uri: ref.uri, properties: {} };
  const outputs: Record<string, OutputArtifact> = {};
  for (const [name, type] of Object.entries(options.outputs)) {
    const uri = join(options.root, 'out', name);
    mkdirSync(uri, { recursive: true });
    outputs[name] = { type, uri, properties: {} };
  }
  const ctx: ExecutorContext<any, any, any> = {
    nodeId: 'node-under-test',
    params: options.params,
    inputs,
    outputs,
    pipelineDir: options.root,
    resolvePath: (relative: string) => resolve(options.root, relative),
    pool: options.pool,
    log: {
      info: (m) => log.info.push(m),
      warn: (m) => log.warn.push(m),
      error: (m) => log.error.push(m),
    },
    progress: () => {},
    signal: new AbortController().signal,
  };
  return { ctx, log };
}
