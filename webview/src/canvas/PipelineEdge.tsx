/**
 * An edge of the canvas: React Flow's bezier, or where the drawing is wrapped into rows (layout.ts)
 * and the edge runs from one row to a later one, a route around the nodes (wrap-route.ts).
 */
import { BaseEdge, BezierEdge, type EdgeProps } from '@xyflow/react';
import { createContext, useContext, useMemo, useRef } from 'react';
import { NODE_HEIGHT, NODE_WIDTH } from './layout.ts';
import { wrapPath, wrapRoutes, type WrapRoute } from './wrap-route.ts';
import type { FlowEdge, FlowNode } from './use-flow-elements.ts';

const NO_ROUTES: ReadonlyMap<string, WrapRoute> = new Map();

/** The routed edges' routes by edge id (useWrapRoutes). */
export const WrapRoutes = createContext(NO_ROUTES);

export function PipelineEdge(props: EdgeProps) {
  const route = useContext(WrapRoutes).get(props.id);
  if (!route) return <BezierEdge {...props} />;
  const { path, labelX, labelY } = wrapPath({ x: props.sourceX, y: props.sourceY }, { x: props.targetX, y: props.targetY }, route);
  return (
    <BaseEdge
      id={props.id}
      className="routed"
      path={path}
      labelX={labelX}
      labelY={labelY}
      label={props.label}
      labelStyle={props.labelStyle}
      labelShowBg={props.labelShowBg}
      labelBgStyle={props.labelBgStyle}
      labelBgPadding={props.labelBgPadding}
      labelBgBorderRadius={props.labelBgBorderRadius}
      style={props.style}
      markerStart={props.markerStart}
      markerEnd={props.markerEnd}
      interactionWidth={props.interactionWidth}
    />
  );
}

/**
 * The routes of the edges drawn around the nodes, from where the nodes stand and their measured
 * sizes; none in a top-to-bottom drawing. The same map (and no re-render of the edges) while a
 * drag leaves the routes as they were: dragging in a large pipeline without rows stays cheap.
 */
export function useWrapRoutes(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): ReadonlyMap<string, WrapRoute> {
  const previous = useRef(NO_ROUTES);
  return useMemo(() => {
    const leftToRight = nodes.length > 0 && nodes[0].data.direction !== 'TB';
    const boxes = new Map(nodes.map((n) => [n.id, { ...n.position, width: n.measured?.width ?? NODE_WIDTH, height: n.measured?.height ?? NODE_HEIGHT }]));
    const routes = leftToRight ? wrapRoutes(edges, boxes) : NO_ROUTES;
    const same = routes.size === previous.current.size && [...routes].every(([id, r]) => {
      const was = previous.current.get(id);
      return was && was.down === r.down && was.channel === r.channel && was.up === r.up;
    });
    if (!same) previous.current = routes;
    return previous.current;
  }, [nodes, edges]);
}
