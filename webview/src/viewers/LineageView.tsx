/** The lineage graph of an artifact: what it came from and what came of it. */
import { useMemo } from 'react';
import type { LineageGraph } from '../../../protocol/viewer-payload.ts';
import { layoutLineage } from './lineage-layout.ts';
import { Header } from './viewer-page.tsx';

export function LineageView({ graph, onOpen }: { graph: LineageGraph; onOpen(artifactId: number): void }) {
  const laid = useMemo(() => layoutLineage(graph), [graph]);
  return (
    <div className="viewer lineage">
      <Header title={`Lineage of ${graph.nodes.find((n) => n.key === graph.root)?.label ?? graph.root}`} subtitle="Artifacts (boxes) and executions (rounded); click an artifact to open it." />
      {/* Scaled down to the panel's width (never up): a long chain stays readable at a glance. */}
      <svg className="lineage-graph" viewBox={`0 0 ${laid.width} ${laid.height}`} width="100%" style={{ maxWidth: laid.width }} role="img" aria-label="lineage graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="arrow" />
          </marker>
        </defs>
        {laid.edges.map((e, i) => (
          <g key={i}>
            <path className="edge" d={e.path} markerEnd="url(#arrow)" />
            <text className="edge-label" x={e.labelX} y={e.labelY}>
              {e.label}
            </text>
          </g>
        ))}
        {laid.nodes.map((n) => (
          <g
            key={n.key}
            className={`lineage-node ${n.kind}${n.key === graph.root ? ' root' : ''} state-${n.state.toLowerCase()}`}
            transform={`translate(${n.x - n.width / 2},${n.y - n.height / 2})`}
            role={n.kind === 'artifact' ? 'button' : undefined}
            tabIndex={n.kind === 'artifact' ? 0 : undefined}
            data-key={n.key}
            onClick={() => n.kind === 'artifact' && onOpen(n.id)}
            onKeyDown={(e) => n.kind === 'artifact' && e.key === 'Enter' && onOpen(n.id)}
          >
            <rect width={n.width} height={n.height} rx={n.kind === 'execution' ? 14 : 2} />
            <text x={10} y={20} className="title">
              {n.label}
            </text>
            <text x={10} y={38} className="detail">
              {n.detail}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}
