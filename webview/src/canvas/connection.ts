import type { CanvasNode, ComponentInfo } from '../../../protocol/messages.ts';

/**
 * Typed-port rules for wiring two nodes, shared by the canvas (React Flow's isValidConnection, which
 * greys out the refused target while dragging, and the message shown on drop) and the host (which
 * checks an intent again before writing it). Pure: no DOM, no vscode.
 */
export interface ProposedConnection {
  source: string;
  output: string;
  target: string;
  input: string;
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

export function checkConnection(
  connection: ProposedConnection,
  nodes: readonly CanvasNode[],
  specs: ReadonlyMap<string, ComponentInfo>,
): ConnectionCheck {
  const { source, output, target, input } = connection;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const from = byId.get(source);
  const to = byId.get(target);
  if (!from) return refuse(`There is no node "${source}".`);
  if (!to) return refuse(`There is no node "${target}".`);
  if (source === target) return refuse(`A node cannot read its own output ("${source}.${output}" → "${input}").`);
  const fromSpec = specs.get(from.component);
  const toSpec = specs.get(to.component);
  const outPort = fromSpec?.outputs[output];
  const inPort = toSpec?.inputs[input];
  if (fromSpec && !outPort) return refuse(`${from.component} has no output "${output}".`);
  if (toSpec && !inPort) return refuse(`${to.component} has no input "${input}".`);
  if (outPort && inPort && outPort.type !== inPort.type) {
    return refuse(`${source}.${output} is ${article(outPort.type)} ${outPort.type} artifact, but ${target}.${input} takes ${inPort.type}.`);
  }
  if (reaches(target, source, byId)) return refuse(`Connecting ${source} → ${target} would make a cycle: ${target} already feeds ${source}.`);
  return { ok: true };
}

/** True when `to` is downstream of `from` (so wiring to → from closes a cycle). */
function reaches(from: string, to: string, byId: ReadonlyMap<string, CanvasNode>): boolean {
  // Walk upstream from `to` through input references looking for `from`.
  const seen = new Set<string>();
  const stack = [to];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === from) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const ref of Object.values(byId.get(id)?.inputs ?? {})) stack.push(ref.node);
  }
  return false;
}

function refuse(reason: string): ConnectionCheck {
  return { ok: false, reason };
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}
