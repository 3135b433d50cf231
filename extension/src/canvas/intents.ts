import { parsePipeline, addNode, applyEdits, connect, disconnect, removeNode, removeParam, renameNode, setLayout, setParam, offsetsToRange, UserError, type ParsedPipeline, type TextEdit } from '../../../runtime/src/host-api.ts';
import type { CanvasIntent, ComponentInfo, PastedNode, Position } from '../../../protocol/messages.ts';
import { checkConnection } from '../../../webview/src/canvas/connection.ts';
import { canvasNodes } from './document-model.ts';

/**
 * Turns one canvas edit intent into text edits against the document's current text, using the
 * runtime's comment-preserving edit functions. Intents that take several edit steps (removing many
 * nodes, pasting) run step by step on the text and come back as one minimal replacement, so they
 * are one undo step. Refusals are UserErrors with a message for the user.
 */
export function editsForIntent(parsed: ParsedPipeline, intent: CanvasIntent, specs: ReadonlyMap<string, ComponentInfo>): TextEdit[] {
  requireEditable(parsed);
  switch (intent.type) {
    case 'addNode':
      return addNode(parsed, intent.component, { id: intent.id, position: rounded(intent.position) }).edits;
    case 'removeNodes':
      return chain(parsed, intent.ids.map((id) => (p: ParsedPipeline) => (id in p.spec.nodes ? removeNode(p, id) : [])));
    case 'connect': {
      const check = checkConnection(
        { source: intent.source.node, output: intent.source.output, target: intent.node, input: intent.input },
        canvasNodes(parsed),
        specs,
      );
      if (!check.ok) throw new UserError(check.reason, { file: parsed.file, nodeId: intent.node, field: `inputs.${intent.input}` });
      return connect(parsed, intent.node, intent.input, intent.source);
    }
    case 'disconnect':
      return disconnect(parsed, intent.node, intent.input);
    case 'setParam':
      return setParam(parsed, intent.node, intent.name, intent.value);
    case 'removeParam':
      return removeParam(parsed, intent.node, intent.name);
    case 'renameNode':
      return renameNode(parsed, intent.from, intent.to);
    case 'moveNodes': {
      const unknown = Object.keys(intent.positions).filter((id) => !(id in parsed.spec.nodes));
      if (unknown.length > 0) throw new UserError(`Cannot place unknown node(s): ${unknown.join(', ')}.`, { file: parsed.file });
      return setLayout(parsed, Object.fromEntries(Object.entries(intent.positions).map(([id, p]) => [id, rounded(p)])));
    }
    case 'pasteNodes':
      return chain(parsed, pasteSteps(parsed, intent.nodes));
  }
}

function requireEditable(parsed: ParsedPipeline): void {
  const syntax = parsed.diagnostics.find((d) => d.code === 'yaml-syntax');
  if (syntax) {
    throw new UserError(`Fix the YAML syntax error on line ${syntax.range.start.line + 1} first: ${syntax.message}`, { file: parsed.file, line: syntax.range.start.line + 1 });
  }
}

/** Whole canvas units: sub-pixel positions would make every drag a noisy diff. */
function rounded(p: Position): Position {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

/**
 * Pasted nodes keep their id when it is free, else get `<id>_2`, `<id>_3`, ...; references among
 * them follow the new ids, references to nodes that exist here are kept, others are dropped.
 */
function pasteSteps(parsed: ParsedPipeline, nodes: readonly PastedNode[]): ((p: ParsedPipeline) => TextEdit[])[] {
  const taken = new Set(Object.keys(parsed.spec.nodes));
  const renamed = new Map<string, string>();
  for (const node of nodes) {
    let id = node.id;
    for (let n = 2; taken.has(id); n++) id = `${node.id}_${n}`;
    taken.add(id);
    renamed.set(node.id, id);
  }
  return nodes.map((node) => (p: ParsedPipeline) => {
    const inputs: Record<string, { node: string; output: string }> = {};
    for (const [name, ref] of Object.entries(node.inputs)) {
      const source = renamed.get(ref.node) ?? (ref.node in parsed.spec.nodes ? ref.node : undefined);
      if (source) inputs[name] = { node: source, output: ref.output };
    }
    return addNode(p, node.component, { id: renamed.get(node.id), params: node.params, inputs, position: rounded(node.position) }).edits;
  });
}

/** Runs edit steps one after another on the text and returns the net change as one edit. */
export function chain(parsed: ParsedPipeline, steps: ((p: ParsedPipeline) => TextEdit[])[]): TextEdit[] {
  let current = parsed;
  for (const step of steps) {
    const edits = step(current);
    if (edits.length > 0) current = parsePipeline(applyEdits(current.text, edits), parsed.file);
  }
  return current === parsed ? [] : [minimalEdit(parsed, current.text)];
}

/** The single replacement turning `parsed.text` into `next`: common prefix and suffix kept. */
export function minimalEdit(parsed: ParsedPipeline, next: string): TextEdit {
  const before = parsed.text;
  let start = 0;
  const limit = Math.min(before.length, next.length);
  while (start < limit && before[start] === next[start]) start++;
  let end = 0;
  while (end < limit - start && before[before.length - 1 - end] === next[next.length - 1 - end]) end++;
  const oldEnd = before.length - end;
  return { offset: start, length: oldEnd - start, newText: next.slice(start, next.length - end), range: offsetsToRange(parsed.lineCounter, start, oldEnd) };
}
