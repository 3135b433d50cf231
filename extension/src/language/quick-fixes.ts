import { CodeActionKind, TextEdit, type CodeAction, type Diagnostic } from 'vscode-languageserver/node';
import { suggestionIn } from '../../../runtime/src/host-api.ts';

/**
 * Quick fixes for the validator's diagnostics that name a close match ("Did you mean ..."): the
 * diagnostic's range is the misspelt name (a key, a component, a node or output of a reference),
 * so the fix replaces exactly that range with the suggestion.
 */
export function quickFixes(uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
  return diagnostics.flatMap((d) => {
    const suggestion = d.source === 'tributary' && typeof d.message === 'string' ? suggestionIn(d.message) : undefined;
    if (!suggestion) return [];
    return [
      {
        title: `Change to "${suggestion}"`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: true,
        edit: { changes: { [uri]: [TextEdit.replace(d.range, suggestion)] } },
      },
    ];
  });
}
