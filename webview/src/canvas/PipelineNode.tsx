import { Handle, Position, useStore, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import { useEffect, useRef } from 'react';
import type { NodeRunInfo, RunState } from '../../../protocol/messages.ts';
import { Codicon } from '../shared/toolkit.tsx';
import { inHandle, outHandle, type PipelineNodeData, type PortView } from './graph.ts';
import { componentIcon } from './icons.ts';
import { COMPACT_ZOOM } from './layout.ts';
import { mainMetric, progressText, Sparkline } from './progress.tsx';

const STATE_ICONS: Record<RunState, { icon: string; label: string; spin?: boolean }> = {
  queued: { icon: 'clock', label: 'Queued' },
  running: { icon: 'sync', label: 'Running', spin: true },
  cached: { icon: 'history', label: 'Cached' },
  succeeded: { icon: 'pass-filled', label: 'Succeeded' },
  failed: { icon: 'error', label: 'Failed' },
  canceled: { icon: 'circle-slash', label: 'Canceled' },
};

/** `850 ms`, `12.3 s`, `4m 05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/** `52k rows/s · ETA 1m 05s` for long nodes that report a rate (Evaluator, BulkInferrer); '' otherwise. */
export function progressRate(p: { unit: string; perSecond?: number; etaMs?: number }): string {
  if (p.perSecond === undefined) return '';
  const rate = p.perSecond >= 10_000 ? `${Math.round(p.perSecond / 1000)}k` : String(p.perSecond);
  return [`${rate} ${p.unit}/s`, p.etaMs !== undefined ? `ETA ${formatDuration(p.etaMs)}` : ''].filter(Boolean).join(' · ');
}

export function RunBadge({ run, compact }: { run: NodeRunInfo; compact?: boolean }) {
  const state = STATE_ICONS[run.state];
  const progress = run.state === 'running' && run.progress;
  const percent = progress && progress.total ? Math.min(100, Math.floor((100 * progress.done) / progress.total)) : undefined;
  const text = [
    state.label,
    run.state === 'running' ? progressText(run) : '',
    progress ? progressRate(progress) : '',
    run.durationMs !== undefined ? formatDuration(run.durationMs) : '',
  ].filter(Boolean);
  const metric = run.state === 'running' ? mainMetric(run.series) : undefined;
  return (
    <div className={`run-badge state-${run.state}${compact ? ' compact' : ''}`} title={[...text, run.message ?? ''].filter(Boolean).join(' · ')} data-state={run.state}>
      <Codicon name={state.icon} spin={state.spin} />
      <span className="run-text">{text.join(' · ')}</span>
      {metric && run.series ? <Sparkline name={metric} values={run.series[metric]} width={compact ? 170 : 170} height={compact ? 28 : 20} /> : null}
      {percent !== undefined ? (
        <div className="run-progress" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}>
          <div className="run-progress-bar" style={{ width: `${percent}%` }} />
        </div>
      ) : null}
    </div>
  );
}

function portTitle(port: PortView): string {
  return [`${port.name}: ${port.type ?? 'unknown type'}${port.optional ? ' (optional)' : ''}`, port.description ?? ''].filter(Boolean).join('\n');
}

/** A node id that wraps after its underscores and dashes (example_ / validator), not mid-word. */
function breakable(id: string) {
  return id.split(/(?<=[_-])/).map((part, i) => (i === 0 ? part : [<wbr key={i} />, part]));
}

/** Where the i-th of n folded handles sits along a side (evenly, away from the corners). */
function spread(i: number, n: number): string {
  return `${Math.round(((i + 1) / (n + 1)) * 100)}%`;
}

/** Ports in the given order of names (ports it does not name keep their place at the end). */
function inOrder(ports: readonly PortView[], names: readonly string[]): PortView[] {
  const rank = (p: PortView) => (names.includes(p.name) ? names.indexOf(p.name) : names.length);
  return [...ports].sort((a, b) => rank(a) - rank(b));
}

/** Whether the canvas is zoomed out far enough for compact nodes (a boolean: nodes re-render only when it flips). */
export function useCompact(): boolean {
  return useStore((s) => s.transform[2] < COMPACT_ZOOM);
}

/**
 * React Flow keeps where a node's handles are until the node's size changes: when they move to
 * other sides (the drawing now runs the other way) or swap places along a side (compact handles
 * follow the order of their edges' other ends, which a layout changes) it must measure them again,
 * or the edges stay attached where the handles were (S-curves into the sides of a top-to-bottom
 * drawing, edges twisting into a node).
 */
function useHandlesFollow(id: string | undefined, direction: PipelineNodeData['direction'], folded: PipelineNodeData['folded']) {
  const updateNodeInternals = useUpdateNodeInternals();
  const placed = `${direction}\n${folded.inputs.join(',')}\n${folded.outputs.join(',')}`;
  const drawn = useRef(placed);
  useEffect(() => {
    if (!id || drawn.current === placed) return;
    drawn.current = placed;
    updateNodeInternals(id);
  }, [id, placed, updateNodeInternals]);
}

/**
 * A pipeline node: component icon, id, typed ports, problems and the run overlay. Semantic zoom:
 * zoomed out, the node is compact (icon, a large title, state) with its ports folded into one
 * handle per side, so the titles stay readable at "fit view"; zoomed in, every port shows.
 */
export function PipelineNode({ id, data, selected }: Partial<Pick<NodeProps, 'id'>> & Pick<NodeProps, 'selected'> & { data: PipelineNodeData }) {
  const compact = useCompact();
  useHandlesFollow(id, data.direction, data.folded);
  const { node, spec, problems, run } = data;
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const rows = Math.max(data.inputs.length, data.outputs.length, 1);
  const className = `pipeline-node${compact ? ' compact' : ''}${selected ? ' selected' : ''}${errors ? ' has-errors' : ''}${run ? ` run-${run.state}` : ''}`;
  const label = `${node.id}, ${node.component}${errors ? `, ${errors} error(s)` : ''}${run ? `, ${run.state}` : ''}`;
  const problemBadge =
    problems.length > 0 ? (
      <div className={`node-problems ${errors ? 'error' : 'warning'}`} title={problems.map((p) => p.message).join('\n')}>
        <Codicon name={errors ? 'error' : 'warning'} />
        <span>{errors || warnings}</span>
      </div>
    ) : null;
  // Handles point the way the drawing flows (flowDirection): inputs on the left and outputs on the
  // right, or inputs on top and outputs at the bottom when it runs top to bottom.
  const tb = data.direction === 'TB';
  const sides = tb ? { in: Position.Top, out: Position.Bottom } : { in: Position.Left, out: Position.Right };
  const along = (i: number, n: number) => (tb ? { left: spread(i, n) } : { top: spread(i, n) });
  if (compact) {
    // Every port keeps its handle (edges attach by handle id and ports stay connectable), spread
    // along its side in the order of their edges' other ends (port-order.ts); the port's name is
    // the handle's tooltip.
    return (
      <div className={className} data-node-id={node.id} aria-label={label} title={`${node.id} (${node.component})`}>
        <div className="node-header">
          <Codicon name={run ? STATE_ICONS[run.state].icon : componentIcon(spec)} spin={run?.state === 'running'} />
          <div className="node-id">{breakable(node.id)}</div>
          {problemBadge}
        </div>
        {run ? <RunBadge run={run} compact /> : null}
        {inOrder(data.inputs, data.folded.inputs).map((port, i) => (
          <Handle key={`in-${port.name}`} type="target" position={sides.in} id={inHandle(port.name)} className="handle folded" title={portTitle(port)} style={along(i, data.inputs.length)} />
        ))}
        {inOrder(data.outputs, data.folded.outputs).map((port, i) => (
          <Handle key={`out-${port.name}`} type="source" position={sides.out} id={outHandle(port.name)} className="handle folded" title={portTitle(port)} style={along(i, data.outputs.length)} />
        ))}
      </div>
    );
  }
  const header = (
    <div className="node-header" title={spec?.description ?? `${node.component} (not in the registry)`}>
      <Codicon name={componentIcon(spec)} />
      <div className="node-titles">
        <div className="node-id">{node.id}</div>
        <div className="node-component">{node.component}</div>
      </div>
      {problemBadge}
    </div>
  );
  const portClass = (port: PortView) => `port${port.wired ? ' wired' : ''}${port.optional ? ' optional' : ''}`;
  if (tb) {
    // Top to bottom: a strip of labelled inputs along the top edge, outputs along the bottom, each
    // handle on the edge above or below its label, in the spec's order.
    return (
      <div className={`${className} flow-tb`} data-node-id={node.id} aria-label={label}>
        {data.inputs.length ? (
          <div className="port-strip in">
            {data.inputs.map((port) => (
              <div className={portClass(port)} key={port.name} title={portTitle(port)}>
                <Handle type="target" position={Position.Top} id={inHandle(port.name)} className="handle" />
                <span>{port.name}</span>
              </div>
            ))}
          </div>
        ) : null}
        {header}
        {run ? <RunBadge run={run} /> : null}
        {data.outputs.length ? (
          <div className="port-strip out">
            {data.outputs.map((port) => (
              <div className={portClass(port)} key={port.name} title={portTitle(port)}>
                <span>{port.name}</span>
                <Handle type="source" position={Position.Bottom} id={outHandle(port.name)} className="handle" />
              </div>
            ))}
          </div>
        ) : null}
      </div>
    );
  }
  return (
    <div className={className} data-node-id={node.id} aria-label={label}>
      {header}
      <div className="node-ports" style={{ minHeight: rows * 20 }}>
        <div className="ports in">
          {data.inputs.map((port) => (
            <div className={portClass(port)} key={port.name} title={portTitle(port)}>
              <Handle type="target" position={Position.Left} id={inHandle(port.name)} className="handle" />
              <span>{port.name}</span>
            </div>
          ))}
        </div>
        <div className="ports out">
          {data.outputs.map((port) => (
            <div className={portClass(port)} key={port.name} title={portTitle(port)}>
              <span>{port.name}</span>
              <Handle type="source" position={Position.Right} id={outHandle(port.name)} className="handle" />
            </div>
          ))}
        </div>
      </div>
      {run ? <RunBadge run={run} /> : null}
    </div>
  );
}
