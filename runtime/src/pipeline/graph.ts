import { UserError } from '../core/errors.ts';
import type { PipelineSpec } from '../core/pipeline-spec.ts';

/** Upstream node ids of each node, counting only references to nodes that exist. */
export function upstreamOf(spec: PipelineSpec): Map<string, string[]> {
  const upstream = new Map<string, string[]>();
  for (const [id, node] of Object.entries(spec.nodes)) {
    const sources = Object.values(node.inputs)
      .map((ref) => ref.node)
      .filter((source) => source in spec.nodes);
    upstream.set(id, [...new Set(sources)]);
  }
  return upstream;
}

/**
 * Every cycle reported once per node on it, as the path from that node back to itself following the
 * data flow (producer → consumer). Nodes are visited in file order so the output is deterministic.
 */
export function findCycles(spec: PipelineSpec): Map<string, string[]> {
  const upstream = upstreamOf(spec);
  const downstream = new Map<string, string[]>([...upstream.keys()].map((id) => [id, []]));
  for (const [id, sources] of upstream) for (const source of sources) downstream.get(source)!.push(id);
  const cycles = new Map<string, string[]>();
  for (const start of upstream.keys()) {
    const path = shortestPath(start, start, downstream);
    if (path) cycles.set(start, path);
  }
  return cycles;
}

/** Breadth-first search; the path includes both ends (from === to gives a cycle). */
function shortestPath(from: string, to: string, edges: Map<string, string[]>): string[] | undefined {
  const previous = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const current = queue[i];
    for (const next of edges.get(current) ?? []) {
      if (next === to) {
        const path = [to];
        for (let node: string | undefined = current; node !== undefined && node !== from; node = previous.get(node)) {
          path.unshift(node);
        }
        return [from, ...path];
      }
      if (!previous.has(next) && next !== from) {
        previous.set(next, current);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export function formatCycle(path: readonly string[]): string {
  return path.join(' → ');
}

/**
 * Node ids in an order where every node comes after the nodes it reads from; ties keep file order.
 * Throws a UserError on a cycle (validation reports cycles with positions before this is reached).
 */
export function topologicalOrder(spec: PipelineSpec): string[] {
  const upstream = upstreamOf(spec);
  const remaining = new Map([...upstream].map(([id, sources]) => [id, new Set(sources)]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, sources]) => sources.size === 0).map(([id]) => id);
    if (ready.length === 0) {
      const [node, path] = [...findCycles(spec)][0];
      throw new UserError(`Pipeline "${spec.name}" has a cycle: ${formatCycle(path)}`, { nodeId: node });
    }
    for (const id of ready) {
      order.push(id);
      remaining.delete(id);
      for (const sources of remaining.values()) sources.delete(id);
    }
  }
  return order;
}
