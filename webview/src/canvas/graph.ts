import type { CanvasModel, CanvasNode, ComponentInfo, NodeRunInfo, PortInfo, Position, Problem } from '../../../protocol/messages.ts';
import type { Direction } from './crossings.ts';
import { flowDirection } from './layout.ts';
import { foldedPorts, type NodePorts } from './port-order.ts';

/** One port as a node draws it: a spec port, or one only the file mentions (unknown component). */
export interface PortView {
  name: string;
  type?: string;
  description?: string;
  optional?: boolean;
  wired: boolean;
}

export interface PipelineNodeData {
  node: CanvasNode;
  spec?: ComponentInfo;
  inputs: PortView[];
  outputs: PortView[];
  /** The handles' order when the node is compact (port-order.ts). */
  folded: NodePorts;
  /** Which way the drawing flows: where the handles sit (inputs left or on top, outputs right or at the bottom). */
  direction: Direction;
  problems: Problem[];
  run?: NodeRunInfo;
  [key: string]: unknown;
}

export interface FlowNode {
  id: string;
  type: 'pipeline';
  position: Position;
  data: PipelineNodeData;
  selected?: boolean;
}

export interface FlowEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  /** The artifact type flowing, when known; the edge is marked when the validator flags it. */
  label?: string;
  className?: string;
  data: { input: string; problem?: string };
}

export const inHandle = (name: string) => `in:${name}`;
export const outHandle = (name: string) => `out:${name}`;
export const portOfHandle = (handle: string | null | undefined) => (handle ? handle.replace(/^(in|out):/, '') : '');

function ports(declared: Record<string, PortInfo> | undefined, used: Set<string>): PortView[] {
  const result: PortView[] = Object.entries(declared ?? {}).map(([name, port]) => ({ name, ...port, wired: used.has(name) }));
  for (const name of used) if (!declared?.[name]) result.push({ name, wired: true });
  return result;
}

/**
 * React Flow's nodes and edges, derived from the document model: recomputed on every change of
 * the text, never edited in place. `positions` fills in nodes the file has not placed yet.
 */
export function toFlow(
  model: CanvasModel,
  specs: ReadonlyMap<string, ComponentInfo>,
  run: Record<string, NodeRunInfo>,
  positions: Record<string, Position>,
): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const readers = new Map<string, Set<string>>();
  for (const node of model.nodes) {
    for (const ref of Object.values(node.inputs)) {
      if (!readers.has(ref.node)) readers.set(ref.node, new Set());
      readers.get(ref.node)!.add(ref.output);
    }
  }
  const ids = new Set(model.nodes.map((n) => n.id));
  const at = Object.fromEntries(model.nodes.map((node) => [node.id, node.position ?? positions[node.id] ?? { x: 0, y: 0 }]));
  const views = Object.fromEntries(
    model.nodes.map((node) => {
      const spec = specs.get(node.component);
      return [node.id, { inputs: ports(spec?.inputs, new Set(Object.keys(node.inputs))), outputs: ports(spec?.outputs, readers.get(node.id) ?? new Set()) }];
    }),
  );
  const direction = flowDirection(model.nodes, at);
  const folded = foldedPorts(
    model.nodes,
    at,
    Object.fromEntries(Object.entries(views).map(([id, v]) => [id, { inputs: v.inputs.map((p) => p.name), outputs: v.outputs.map((p) => p.name) }])),
    direction,
  );
  const nodes: FlowNode[] = model.nodes.map((node) => ({
    id: node.id,
    type: 'pipeline',
    position: at[node.id],
    data: {
      node,
      spec: specs.get(node.component),
      ...views[node.id],
      folded: folded[node.id],
      direction,
      problems: model.problems.filter((p) => p.nodeId === node.id),
      run: run[node.id],
    },
  }));
  const edges: FlowEdge[] = [];
  for (const node of model.nodes) {
    for (const [input, ref] of Object.entries(node.inputs)) {
      if (!ids.has(ref.node)) continue; // a dangling reference: shown as a node problem, not an edge
      const problem = model.problems.find((p) => p.nodeId === node.id && p.field === `inputs.${input}` && p.severity === 'error');
      const type = specs.get(model.nodes.find((n) => n.id === ref.node)!.component)?.outputs[ref.output]?.type;
      edges.push({
        id: `${node.id}.${input}`,
        source: ref.node,
        sourceHandle: outHandle(ref.output),
        target: node.id,
        targetHandle: inHandle(input),
        ...(type ? { label: type } : {}),
        ...(problem ? { className: 'edge-problem' } : {}),
        data: { input, ...(problem ? { problem: problem.message } : {}) },
      });
    }
  }
  return { nodes, edges };
}
