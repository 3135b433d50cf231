/**
 * The order of a compact node's handles. Zoomed out, a node folds its ports into bare handles
 * (the port name is only a tooltip), so nothing tells the reader their order: each side lists its
 * wired ports in the vertical order of the nodes at their edges' other ends, and edges never twist
 * where they meet a node (what ELK calls free port order on a fixed side). Unwired ports follow,
 * in the spec's order. Zoomed in, ports are labelled rows in the spec's order.
 */
import type { CanvasNode, Position } from '../../../protocol/messages.ts';

export interface NodePorts {
  inputs: readonly string[];
  outputs: readonly string[];
}

/** Each node's handles, folded, for nodes at `positions` (top-left corners) with the given spec order. */
export function foldedPorts(
  nodes: readonly CanvasNode[],
  positions: Readonly<Record<string, Position>>,
  ports: Readonly<Record<string, NodePorts>>,
): Record<string, NodePorts> {
  // Nodes of one canvas are about equally tall when compact: their tops order them as their centres would.
  const yOf = (id: string) => positions[id]?.y ?? 0;
  const targetsOf = new Map<string, number[]>();
  for (const node of nodes) {
    for (const ref of Object.values(node.inputs)) {
      if (ref.node === node.id || !positions[ref.node]) continue;
      const key = `${ref.node}\n${ref.output}`;
      const ys = targetsOf.get(key);
      if (ys) ys.push(yOf(node.id));
      else targetsOf.set(key, [yOf(node.id)]);
    }
  }
  const result: Record<string, NodePorts> = {};
  for (const node of nodes) {
    const declared = ports[node.id] ?? { inputs: Object.keys(node.inputs), outputs: [] };
    const inputKey = (name: string) => {
      const ref = node.inputs[name];
      return ref && ref.node !== node.id && positions[ref.node] ? yOf(ref.node) : undefined;
    };
    const outputKey = (name: string) => {
      const ys = targetsOf.get(`${node.id}\n${name}`);
      return ys ? ys.reduce((a, b) => a + b, 0) / ys.length : undefined;
    };
    result[node.id] = { inputs: ordered(declared.inputs, inputKey), outputs: ordered(declared.outputs, outputKey) };
  }
  return result;
}

/** Wired names by key (ties keep the given order), then the unwired ones in the given order. */
function ordered(names: readonly string[], key: (name: string) => number | undefined): string[] {
  const keyed = names.map((name, i) => ({ name, i, key: key(name) }));
  const wired = keyed.filter((k) => k.key !== undefined).sort((a, b) => a.key! - b.key! || a.i - b.i);
  return [...wired, ...keyed.filter((k) => k.key === undefined)].map((k) => k.name);
}
