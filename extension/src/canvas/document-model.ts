import { isMap } from 'yaml';
import type { ParsedPipeline } from '../../../runtime/src/host-api.ts';
import type { CanvasModel, CanvasNode, Problem } from '../../../protocol/messages.ts';

/** The nodes the canvas draws, in file order, with their saved positions. */
export function canvasNodes(parsed: ParsedPipeline): CanvasNode[] {
  return Object.entries(parsed.spec.nodes).map(([id, node]) => ({
    id,
    component: node.component,
    params: node.params,
    inputs: node.inputs,
    ...(parsed.spec.layout[id] ? { position: parsed.spec.layout[id] } : {}),
  }));
}

/**
 * Everything the canvas needs about the document, derived afresh on every change (the text is the
 * only state). Edits are refused while the YAML has syntax errors or a non-block top level, since
 * the runtime's edit functions need the block structure to keep the user's formatting.
 */
export function canvasModel(parsed: ParsedPipeline, problems: Problem[]): CanvasModel {
  const contents = parsed.document.contents;
  const editable = !parsed.diagnostics.some((d) => d.code === 'yaml-syntax') && isMap(contents) && !contents.flow;
  return { name: parsed.spec.name, nodes: canvasNodes(parsed), problems, editable };
}
