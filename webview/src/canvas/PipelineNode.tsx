import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { NodeRunInfo, RunState } from '../../../protocol/messages.ts';
import { Codicon } from '../shared/toolkit.tsx';
import { inHandle, outHandle, type PipelineNodeData, type PortView } from './graph.ts';
import { componentIcon } from './icons.ts';

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

export function RunBadge({ run }: { run: NodeRunInfo }) {
  const state = STATE_ICONS[run.state];
  const progress = run.state === 'running' && run.progress;
  const percent = progress && progress.total ? Math.min(100, Math.floor((100 * progress.done) / progress.total)) : undefined;
  const text = [
    state.label,
    progress ? (percent !== undefined ? `${percent}%` : `${progress.done} ${progress.unit}`) : '',
    progress ? progressRate(progress) : '',
    run.durationMs !== undefined ? formatDuration(run.durationMs) : '',
  ].filter(Boolean);
  return (
    <div className={`run-badge state-${run.state}`} title={[...text, run.message ?? ''].filter(Boolean).join(' · ')} data-state={run.state}>
      <Codicon name={state.icon} spin={state.spin} />
      <span className="run-text">{text.join(' · ')}</span>
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

/** A pipeline node: component icon, id, typed ports, problems and the run overlay. */
export function PipelineNode({ data, selected }: Pick<NodeProps, 'selected'> & { data: PipelineNodeData }) {
  const { node, spec, problems, run } = data;
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const rows = Math.max(data.inputs.length, data.outputs.length, 1);
  return (
    <div
      className={`pipeline-node${selected ? ' selected' : ''}${errors ? ' has-errors' : ''}${run ? ` run-${run.state}` : ''}`}
      data-node-id={node.id}
      aria-label={`${node.id}, ${node.component}${errors ? `, ${errors} error(s)` : ''}${run ? `, ${run.state}` : ''}`}
    >
      <div className="node-header" title={spec?.description ?? `${node.component} (not in the registry)`}>
        <Codicon name={componentIcon(spec)} />
        <div className="node-titles">
          <div className="node-id">{node.id}</div>
          <div className="node-component">{node.component}</div>
        </div>
        {problems.length > 0 ? (
          <div className={`node-problems ${errors ? 'error' : 'warning'}`} title={problems.map((p) => p.message).join('\n')}>
            <Codicon name={errors ? 'error' : 'warning'} />
            <span>{errors || warnings}</span>
          </div>
        ) : null}
      </div>
      <div className="node-ports" style={{ minHeight: rows * 20 }}>
        <div className="ports in">
          {data.inputs.map((port) => (
            <div className={`port${port.wired ? ' wired' : ''}${port.optional ? ' optional' : ''}`} key={port.name} title={portTitle(port)}>
              <Handle type="target" position={Position.Left} id={inHandle(port.name)} className="handle" />
              <span>{port.name}</span>
            </div>
          ))}
        </div>
        <div className="ports out">
          {data.outputs.map((port) => (
            <div className={`port${port.wired ? ' wired' : ''}`} key={port.name} title={portTitle(port)}>
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
