import assert from 'node:assert/strict';
import { allNodesInView } from '../../webview/src/shared/use-all-in-view.tsx';

type State = Parameters<typeof allNodesInView>[0];

function state(transform: [number, number, number], nodes: { x: number; y: number; w: number; h: number; hidden?: boolean }[]): State {
  const nodeLookup = new Map(
    nodes.map((n, i) => [String(i), { id: String(i), hidden: n.hidden, measured: { width: n.w, height: n.h }, internals: { positionAbsolute: { x: n.x, y: n.y } } }]),
  );
  return { transform, width: 800, height: 600, nodeLookup } as unknown as State;
}

describe('minimap only while part of the graph is out of view', () => {
  const nodes = [
    { x: 0, y: 0, w: 200, h: 60 },
    { x: 1400, y: 1000, w: 200, h: 60 },
  ];

  it('at fit view every node is in the pane: no minimap', () => {
    // The 1600×1060 graph fitted into 800×600 at zoom 0.45 with a margin.
    assert.equal(allNodesInView(state([20, 20, 0.45], nodes)), true);
  });

  it('zoomed in or panned so a node is cut: the minimap shows', () => {
    assert.equal(allNodesInView(state([20, 20, 0.6], nodes)), false);
    assert.equal(allNodesInView(state([-20, 20, 0.45], nodes)), false);
  });

  it('hidden nodes and an unmeasured pane do not count', () => {
    assert.equal(allNodesInView(state([20, 20, 0.45], [...nodes, { x: 5000, y: 5000, w: 10, h: 10, hidden: true }])), true);
    assert.equal(allNodesInView({ ...state([0, 0, 3], nodes), width: 0 }), true);
  });
});
