/**
 * The order of a compact node's handles. Zoomed out, a node folds its ports into bare handles
 * (the port name is only a tooltip), so nothing tells the reader their order: each side lists its
 * wired ports in the order of the nodes at their edges' other ends along that side (top to bottom
 * on the left and right sides of a left-to-right drawing, left to right on the top and bottom of a
 * top-to-bottom one), and edges never twist where they meet a node (what ELK calls free port order
 * on a fixed side). Unwired ports follow, in the spec's order. Zoomed in, ports are labelled in the
 * spec's order.
 */
import type { CanvasNode, Position } from '../../../protocol/messages.ts';
import type { Direction } from './crossings.ts';

export interface NodePorts {
  inputs: readonly string[];
  outputs: readonly string[];
}

/** Each node's handles, folded, for nodes at `positions` (top-left corners) with the given spec order. */
export function foldedPorts(
  nodes: readonly CanvasNode[],
  positions: Readonly<Record<string, Position>>,
  ports: Readonly<Record<string, NodePorts>>,
  direction: Direction = 'LR',
): Record<string, NodePorts> {
  // Where a node lies along the handles' side. Nodes of one canvas are equally wide and about
  // equally tall when compact: their top-left corners order them as their centres would.
  const along = (id: string) => (direction === 'TB' ? positions[id]?.x : positions[id]?.y) ?? 0;
  const targetsOf = new Map<string, number[]>();
  for (const node of nodes) {
    for (const ref of Object.values(node.inputs)) {
      if (ref.node === node.id || !positions[ref.node]) continue;
      const key = `${ref.node}\n${ref.output}`;
      const ys = targetsOf.get(key);
      if (ys) ys.push(along(node.id));
      else targetsOf.set(key, [along(node.id)]);
    }
  }
  const result: Record<string, NodePorts> = {};
  for (const node of nodes) {
    const declared = ports[node.id] ?? { inputs: Object.keys(node.inputs), outputs: [] };
    const inputKey = (name: string) => {
      const ref = node.inputs[name];
      return ref && ref.node !== node.id && positions[ref.node] ? along(ref.node) : undefined;
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
