/** The webview side of the message channel, typed by protocol/messages.ts. */
interface VsCodeApi<Out> {
  postMessage(message: Out): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi<Out>(): VsCodeApi<Out>;

let api: VsCodeApi<unknown> | undefined;

/** acquireVsCodeApi may be called once per page: cache it. */
export function vscodeApi<Out>(): VsCodeApi<Out> {
  api ??= acquireVsCodeApi<unknown>();
  return api as VsCodeApi<Out>;
}
