/** The canvas custom editor's id (package.json `customEditors`); its own module so activation can name it without loading the canvas. */
export const CANVAS_VIEW_TYPE = 'tributary.canvas';

/** Internal command: sends a message to an open canvas exactly as its webview would (tests, menus). */
export const CANVAS_DELIVER_COMMAND = '_tributary.canvas.deliver';
