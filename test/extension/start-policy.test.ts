import assert from 'node:assert/strict';
import { scheduleServerStart, type StartPolicyHost } from '../../extension/src/language/start-policy.ts';

const editor = (path: string) => ({ document: { uri: { path } } }) as StartPolicyHost['visibleTextEditors'][number];

/** A stand-in window and clock: timers fire only when the test says so. */
function fakeHost(visible: string[]) {
  const timers = new Map<number, () => void>();
  let next = 1;
  let listener: ((editors: StartPolicyHost['visibleTextEditors']) => void) | undefined;
  const host: StartPolicyHost = {
    visibleTextEditors: visible.map(editor),
    onDidChangeVisibleTextEditors: (l) => ((listener = l), { dispose: () => (listener = undefined) }),
    setTimeout: (callback) => (timers.set(next, callback), next++),
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  return {
    host,
    show: (...paths: string[]) => listener?.(paths.map(editor)),
    fireTimers: () => [...timers.values()].forEach((f) => f()),
    pendingTimers: () => timers.size,
    listening: () => listener !== undefined,
  };
}

describe('language server start policy', () => {
  it('starts at once when a pipeline is already shown as text, and only once', () => {
    const w = fakeHost(['/ws/README.md', '/ws/taxi.pipeline.yaml']);
    let starts = 0;
    scheduleServerStart(w.host, () => starts++, 2000);
    assert.equal(starts, 1);
    assert.equal(w.pendingTimers(), 0, 'the delayed start is cancelled');
    assert.equal(w.listening(), false);
  });

  it('otherwise waits for the delay, and other files shown meanwhile do not start it', () => {
    const w = fakeHost([]);
    let starts = 0;
    scheduleServerStart(w.host, () => starts++, 2000);
    w.show('/ws/model.ts', '/ws/data.csv');
    assert.equal(starts, 0);
    w.fireTimers();
    assert.equal(starts, 1);
    w.show('/ws/taxi.pipeline.yaml');
    assert.equal(starts, 1, 'no second start');
  });

  it('starts when a pipeline is shown as text before the delay is up', () => {
    const w = fakeHost(['/ws/model.ts']);
    let starts = 0;
    scheduleServerStart(w.host, () => starts++, 2000);
    w.show('/ws/model.ts', '/ws/sub/p.pipeline.yaml');
    assert.equal(starts, 1);
    assert.equal(w.pendingTimers(), 0);
    w.fireTimers();
    assert.equal(starts, 1);
  });

  it('never starts once disposed (the window closed first)', () => {
    const w = fakeHost([]);
    let starts = 0;
    scheduleServerStart(w.host, () => starts++, 2000).dispose();
    w.show('/ws/p.pipeline.yaml');
    w.fireTimers();
    assert.equal(starts, 0);
  });
});
