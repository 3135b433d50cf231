/**
 * YAML anchors and aliases in a pipeline file (`params: &p {…}` … `params: *p`): each alias is
 * replaced by a copy of its anchor's node, so every reader below sees plain values, and
 * diagnostics about a copied value point at the anchor's text. Expansion is bounded: a "billion
 * laughs" file (aliases of aliases, doubling at each level) stops at MAX_EXPANDED_NODES copied
 * nodes with an error at the alias that crossed it, instead of eating the memory.
 */
import { isCollection, isPair, visit, type Document, type Node } from 'yaml';
import type { Reporter } from './source.ts';

/** Nodes all aliases of one file may copy in total (a pipeline file needs a few hundred at most). */
export const MAX_EXPANDED_NODES = 10_000;

function nodeCount(node: unknown): number {
  if (isPair(node)) return 1 + nodeCount(node.key) + nodeCount(node.value);
  if (isCollection(node)) return node.items.reduce((n: number, item) => n + nodeCount(item), 1);
  return 1;
}

export function expandAliases(document: Document.Parsed, reporter: Reporter): void {
  let copied = 0;
  visit(document, {
    Alias(_, alias) {
      const target = alias.resolve(document);
      if (!target) return undefined; // an unknown anchor is already a YAML error
      copied += nodeCount(target);
      if (copied > MAX_EXPANDED_NODES) {
        reporter.error('yaml-alias', `Aliases expand to more than ${MAX_EXPANDED_NODES} values (a YAML bomb?); *${alias.source} is not expanded.`, alias);
        return visit.BREAK;
      }
      // The copy is visited next, so aliases inside it are expanded (and counted) too.
      return target.clone() as Node;
    },
  });
  // Past the bound, what is left unexpanded must not reach the readers as values.
  if (copied > MAX_EXPANDED_NODES) visit(document, { Alias: () => visit.REMOVE });
}

