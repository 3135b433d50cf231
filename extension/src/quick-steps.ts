/**
 * A chain of questions ("Which pipeline?", then "Which artifact?") asked in one quick input that
 * stays open between them. A quick input that closes hands the focus back to the active editor, and
 * a webview editor (a viewer, the canvas) takes it asynchronously: a second quick pick that opened
 * within that moment lost the focus as it appeared and closed itself, so the command silently did
 * nothing (seen in the end-to-end test when the store answered within ~70 ms).
 */
import * as vscode from 'vscode';

export interface StepOptions {
  placeHolder: string;
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
}

export class QuickSteps implements vscode.Disposable {
  private input: vscode.QuickPick<vscode.QuickPickItem> | undefined;

  /** One answer; undefined when the user closes the input. */
  async pick<T extends vscode.QuickPickItem>(items: readonly T[], options: StepOptions): Promise<T | undefined> {
    return (await this.ask(items, options, false))?.[0];
  }

  /** Several answers (ticked rows); undefined when the user closes the input. */
  pickMany<T extends vscode.QuickPickItem>(items: readonly T[], options: StepOptions): Promise<readonly T[] | undefined> {
    return this.ask(items, options, true);
  }

  /** Closes the input (after the last question, or when the command stops asking). */
  dispose(): void {
    const input = this.input;
    this.input = undefined;
    input?.dispose();
  }

  private ask<T extends vscode.QuickPickItem>(items: readonly T[], options: StepOptions, many: boolean): Promise<readonly T[] | undefined> {
    const input = (this.input ??= vscode.window.createQuickPick());
    // Kept open when the focus moves (as VS Code's multi-step input sample does): a viewer that has
    // just opened takes the focus as its webview loads, which closed the first question unseen.
    input.ignoreFocusOut = true;
    input.canSelectMany = many;
    input.placeholder = options.placeHolder;
    input.matchOnDescription = !!options.matchOnDescription;
    input.matchOnDetail = !!options.matchOnDetail;
    input.value = '';
    input.items = items;
    input.selectedItems = [];
    input.busy = false;
    input.show();
    return new Promise((resolve) => {
      const listeners: vscode.Disposable[] = [];
      const done = (answer: readonly T[] | undefined) => {
        listeners.forEach((l) => l.dispose());
        resolve(answer);
      };
      listeners.push(
        input.onDidAccept(() => {
          const answer = (many ? input.selectedItems : input.activeItems.slice(0, 1)) as readonly T[];
          if (!many && !answer.length) return;
          // Stay open, with nothing to pick, while the command prepares its next question (not
          // disabled: a disabled input box loses the focus, and the quick input closes on blur).
          input.busy = true;
          input.items = [];
          done(answer);
        }),
        input.onDidHide(() => {
          this.dispose();
          done(undefined);
        }),
      );
    });
  }
}
