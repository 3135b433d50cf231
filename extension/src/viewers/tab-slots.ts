/**
 * Which viewer tab shows the next artifact: like VS Code's preview editors, each kind of viewer
 * (statistics, evaluation, model …) has one reusable tab, so opening artifact after artifact does
 * not pile up tabs; a pinned tab keeps what it shows and the next one opens beside it. Pure, so
 * it is unit-tested without VS Code (test/webview/viewers-host.test.ts).
 */
export interface SlotEntry {
  /** What the tab shows: `artifact:<store>:<id>`, `compare:<store>:<runs>` … */
  contentKey: string;
  /** The viewer kind: one reusable tab per kind. */
  kind: string;
  pinned: boolean;
}

/**
 * The tab for `contentKey`: the one already showing it (pinned or not), else the kind's unpinned
 * tab, which is then reused; undefined: open a new tab.
 */
export function chooseTab<E extends SlotEntry>(entries: Iterable<E>, contentKey: string, kind: string): { entry: E; reused: 'same' | 'slot' } | undefined {
  const all = [...entries];
  const same = all.find((e) => e.contentKey === contentKey);
  if (same) return { entry: same, reused: 'same' };
  const slot = all.find((e) => e.kind === kind && !e.pinned);
  return slot ? { entry: slot, reused: 'slot' } : undefined;
}

/**
 * Pins or unpins `entry`. An unpinned tab becomes its kind's reusable one, so any other unpinned
 * tab of that kind is pinned (it keeps what it shows): there is never more than one per kind.
 * Returns the entries whose state changed, `entry` first.
 */
export function setPinned<E extends SlotEntry>(entries: Iterable<E>, entry: E, pinned: boolean): E[] {
  if (entry.pinned === pinned) return [];
  entry.pinned = pinned;
  const changed = [entry];
  if (!pinned) {
    for (const other of entries) {
      if (other !== entry && other.kind === entry.kind && !other.pinned) {
        other.pinned = true;
        changed.push(other);
      }
    }
  }
  return changed;
}
