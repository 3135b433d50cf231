import { useLayoutEffect, useRef } from 'react';
import type { ArtifactLink, NodeAction, NodeInspection, NodeRunInfo } from '../../../protocol/messages.ts';
import { Button, Codicon } from '../shared/toolkit.tsx';
import { formatDuration } from './PipelineNode.tsx';
import { mainMetric, progressText, Sparkline } from './progress.tsx';

export const ACTION_LABELS: Record<NodeAction, { label: string; icon: string }> = {
  runNode: { label: 'Run node', icon: 'debug-step-into' },
  runFrom: { label: 'Run from here', icon: 'run-below' },
  openLog: { label: 'Open log', icon: 'output' },
  openOutputs: { label: 'Open outputs', icon: 'open-preview' },
  showLineage: { label: 'Show lineage', icon: 'git-merge' },
};

export interface InspectorProps {
  inspection: NodeInspection | undefined;
  /** The live run overlay of this node (state, progress, metric series). */
  run: NodeRunInfo | undefined;
  /** Running pipelines is off in untrusted workspaces. */
  canRun: boolean;
  onAction(action: NodeAction): void;
  onOpenArtifact(id: number): void;
}

function ArtifactList({ title, items, onOpen }: { title: string; items: readonly ArtifactLink[]; onOpen(id: number): void }) {
  if (items.length === 0) return null;
  return (
    <>
      <h4>{title}</h4>
      <ul className="artifact-links">
        {items.map((a) => (
          <li key={`${a.key}-${a.id}`}>
            <span className="muted">{a.key}</span>{' '}
            <button type="button" className="link artifact-link" data-artifact-id={a.id} title={`Open the viewer of ${a.type} #${a.id}\n${a.uri}`} onClick={() => onOpen(a.id)}>
              <Codicon name="open-preview" /> {a.type} #{a.id}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * The log's tail, kept scrolled to its newest line as it grows, unless the reader scrolled up to
 * read something earlier (then it stays there until they scroll back down).
 */
function LogTail({ text }: { text: string }) {
  const pre = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    if (pre.current && atEnd.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  return (
    <pre
      ref={pre}
      className="log-tail"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
      }}
    >
      {text}
    </pre>
  );
}

/**
 * The selected node after (or during) a run, as KFP's node side panel shows it: the last
 * execution, its output and input artifacts a click from their viewers, the log (live while it
 * runs), and the node's actions.
 */
export function Inspector({ inspection, run, canRun, onAction, onOpenArtifact }: InspectorProps) {
  const execution = inspection?.execution;
  const running = run?.state === 'running';
  const metric = running ? mainMetric(run.series) : undefined;
  const started = execution ? new Date(execution.startedAt) : undefined;
  return (
    <section className="inspector" aria-label="Last run of this node">
      <h3>Last run</h3>
      {running ? (
        <div className="inspector-live" data-state="running">
          <Codicon name="sync" spin /> Running{progressText(run) ? ` · ${progressText(run)}` : ''}
          {run.durationMs !== undefined ? ` · ${formatDuration(run.durationMs)}` : ''}
          {metric && run.series ? <Sparkline name={metric} values={run.series[metric]} width={240} height={36} /> : null}
        </div>
      ) : null}
      {execution ? (
        <dl className="execution" data-state={execution.state}>
          <dt>state</dt>
          <dd className={`exec-state exec-${execution.state.toLowerCase()}`}>
            {execution.state.toLowerCase()}
            {execution.cached ? <span className="muted"> (outputs of execution #{execution.cachedFrom})</span> : null}
          </dd>
          <dt>started</dt>
          <dd title={execution.startedAt}>{started && !Number.isNaN(started.getTime()) ? started.toLocaleString() : execution.startedAt}</dd>
          {execution.durationMs !== undefined ? (
            <>
              <dt>took</dt>
              <dd>{formatDuration(execution.durationMs)}</dd>
            </>
          ) : null}
          <dt>run</dt>
          <dd className="muted">{inspection?.runId}</dd>
          {execution.error ? (
            <>
              <dt>error</dt>
              <dd className="problem error">{execution.error}</dd>
            </>
          ) : null}
        </dl>
      ) : running ? null : (
        <p className="muted">{inspection ? 'Not run yet.' : 'Reading the store…'}</p>
      )}
      <ArtifactList title="Outputs" items={inspection?.outputs ?? []} onOpen={onOpenArtifact} />
      <ArtifactList title="Inputs" items={inspection?.inputs ?? []} onOpen={onOpenArtifact} />
      {inspection?.logTail ? (
        <>
          <h4>Log{running ? ' (live)' : ''}</h4>
          <LogTail text={inspection.logTail} />
        </>
      ) : null}
      <div className="node-actions">
        {(Object.keys(ACTION_LABELS) as NodeAction[]).map((action) => (
          <Button
            key={action}
            appearance="secondary"
            title={ACTION_LABELS[action].label}
            disabled={(action === 'runNode' || action === 'runFrom') && !canRun}
            onClick={() => onAction(action)}
          >
            <Codicon name={ACTION_LABELS[action].icon} /> {ACTION_LABELS[action].label}
          </Button>
        ))}
      </div>
    </section>
  );
}

/** The node's context menu: the inspector's actions at the pointer. */
export function NodeMenu({ x, y, canRun, onAction, onClose }: { x: number; y: number; canRun: boolean; onAction(action: NodeAction): void; onClose(): void }) {
  return (
    <div className="node-menu nokey" role="menu" style={{ left: x, top: y }} onMouseLeave={onClose}>
      {(Object.keys(ACTION_LABELS) as NodeAction[]).map((action) => {
        const disabled = (action === 'runNode' || action === 'runFrom') && !canRun;
        return (
          <button
            key={action}
            type="button"
            role="menuitem"
            className="node-menu-item"
            data-action={action}
            disabled={disabled}
            onClick={() => {
              onClose();
              onAction(action);
            }}
          >
            <Codicon name={ACTION_LABELS[action].icon} /> {ACTION_LABELS[action].label}
          </button>
        );
      })}
    </div>
  );
}
