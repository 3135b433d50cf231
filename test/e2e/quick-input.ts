/**
 * The quick input on screen. VS Code keeps a closed quick pick's DOM (hidden, with its last
 * placeholder and rows), so every look at a picker goes through the visible widget: a stale hidden
 * list once made a step "find" its row before the command had even opened its picker. A closing
 * one stays visible for its 150 ms fade (inert, class quick-input-widget-closing): it is not on
 * screen either, or a step would answer a question already answered.
 */
export const QUICK_INPUT = '.quick-input-widget:not(.quick-input-widget-closing):visible';
