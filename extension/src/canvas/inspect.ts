/**
 * What the canvas inspector shows for a node, from a store snapshot: its last execution (state,
 * time, cached or not, error), the artifacts it read and wrote, and its log file. Pure and
 * vscode-free (tested in plain mocha); the host adds the log's tail.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { StoreData } from '../../../runtime/src/host-api.ts';
import type { ArtifactLink, NodeInspection } from '../../../protocol/messages.ts';
import { readPipelineStore, type CliRunner, type StoreSource } from '../views/store-source.ts';

/**
 * The inspection of a node of a pipeline, from whichever store it uses: only the pipeline's newest
 * run that ran the node (and its open runs) is read, with the records it refers to (inputs, the
 * execution a cache hit reused), not the newest runs. A store that cannot be read shows no execution.
 */
export async function inspectPipelineNode(source: StoreSource, nodeId: string, cli: CliRunner | undefined, env: NodeJS.ProcessEnv = process.env): Promise<NodeInspection> {
  const { data, error } = await readPipelineStore(source, { node: nodeId, limit: 0 }, cli, env);
  if (error) throw new Error(error);
  return data ? inspectNode(data, nodeId) : { nodeId, inputs: [], outputs: [] };
}

export function inspectNode(data: StoreData, nodeId: string): NodeInspection {
  const executions = data.executions.filter((e) => e.nodeId === nodeId);
  const last = executions.reduce<(typeof executions)[number] | undefined>((a, e) => (!a || e.id > a.id ? e : a), undefined);
  if (!last) return { nodeId, inputs: [], outputs: [] };
  const artifacts = new Map(data.artifacts.map((a) => [a.id, a]));
  const links = (executionId: number, type: 'INPUT' | 'OUTPUT'): ArtifactLink[] =>
    data.events
      .filter((ev) => ev.executionId === executionId && ev.type === type)
      .flatMap((ev) => {
        const a = artifacts.get(ev.artifactId);
        return a ? [{ id: a.id, type: a.type, key: ev.key, uri: a.uri, state: a.state }] : [];
      });
  // A cache hit reused an earlier execution's outputs: those are this node's outputs now.
  const outputs = links(last.id, 'OUTPUT');
  const started = Date.parse(last.startedAt);
  const finished = last.finishedAt ? Date.parse(last.finishedAt) : undefined;
  return {
    nodeId,
    runId: last.runId,
    execution: {
      id: last.id,
      state: last.state,
      startedAt: last.startedAt,
      ...(finished !== undefined && Number.isFinite(started) ? { durationMs: finished - started } : {}),
      cached: last.cachedFrom !== undefined,
      ...(last.cachedFrom !== undefined ? { cachedFrom: last.cachedFrom } : {}),
      ...(last.error ? { error: last.error } : {}),
      logFile: last.logFile,
    },
    inputs: links(last.id, 'INPUT'),
    outputs: outputs.length === 0 && last.cachedFrom !== undefined ? links(last.cachedFrom, 'OUTPUT') : outputs,
  };
}

/** The last `bytes` of a log file (from a line start), or undefined when it cannot be read. */
export function logTail(file: string, bytes = 4096): string | undefined {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    fd = openSync(file, 'r');
    readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
