import { AnomaliesView } from './AnomaliesView.tsx';
import { CompareView } from './CompareView.tsx';
import { EvaluationView } from './EvaluationView.tsx';
import { LineageView } from './LineageView.tsx';
import { ModelView } from './ModelView.tsx';
import { SchemaView } from './SchemaView.tsx';
import { UnsupportedView } from './UnsupportedView.tsx';
import type { PendingApproval, ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { StatisticsView } from './StatisticsView.tsx';
import { TrendsView } from './TrendsView.tsx';
import type { ViewerToHost } from '../../../protocol/messages.ts';

/** What a payload shows: a view's state (sorting, filter, chosen slice) starts afresh when it changes. */
export function contentOf(payload: ViewerPayload): string {
  switch (payload.kind) {
    case 'compare':
      return `compare:${payload.runs.map((r) => r.runId).join(',')}`;
    case 'trends':
      return `trends:${payload.trends.pipeline}:${payload.trends.feature}`;
    default:
      return `${payload.kind}:${payload.artifact.uri}`;
  }
}

/**
 * The tab's pin: unpinned, the next artifact of this kind opens in this tab (as VS Code's preview
 * editors do); pinned, it keeps this one and the next opens beside it.
 */
export function PinButton({ pinned, post }: { pinned: boolean; post(message: ViewerToHost): void }) {
  return (
    <button
      type="button"
      className={`pin-button${pinned ? ' pinned' : ''}`}
      aria-pressed={pinned}
      title={pinned ? 'Pinned: the next artifact of this kind opens in a new tab. Click to unpin.' : 'The next artifact of this kind opens in this tab. Pin it to keep this one.'}
      onClick={() => post({ type: 'pin', pinned: !pinned })}
    >
      <span className={`codicon codicon-${pinned ? 'pinned' : 'pin'}`} aria-hidden="true" /> {pinned ? 'Pinned' : 'Pin'}
    </button>
  );
}

/** One app for every artifact viewer: the payload's kind picks the view. */
export function ViewerApp({ payload, post, pinned }: { payload: ViewerPayload | undefined; post(message: ViewerToHost): void; pinned?: boolean }) {
  if (!payload) return <div className="loading">Loading…</div>;
  const approvals = 'approvals' in payload ? payload.approvals : undefined;
  return (
    <>
      {pinned === undefined ? null : (
        <div className="tab-bar">
          <PinButton pinned={pinned} post={post} />
        </div>
      )}
      {approvals?.length ? <ApprovalBar approvals={approvals} post={post} /> : null}
      <ArtifactView key={contentOf(payload)} payload={payload} post={post} />
    </>
  );
}

/**
 * The decision next to what should be looked at: each ManualApproval node waiting on this artifact,
 * with Approve and Reject (the host asks for a comment and records who and when).
 */
export function ApprovalBar({ approvals, post }: { approvals: PendingApproval[]; post(message: ViewerToHost): void }) {
  return (
    <section className="approval-bar" aria-label="Waiting for approval">
      {approvals.map((a) => (
        <div className="approval" key={`${a.runId}/${a.nodeId}`} data-node={a.nodeId} data-run={a.runId}>
          <span className="codicon codicon-debug-pause" aria-hidden="true" />
          <span className="approval-text">
            <strong>{a.nodeId}</strong> in run {a.runId} waits for your approval
            {a.deadline ? <> · rejected automatically at {new Date(a.deadline).toLocaleString()}</> : null}
          </span>
          <button type="button" className="approve" onClick={() => post({ type: 'decide', runId: a.runId, nodeId: a.nodeId, reject: false })}>
            Approve
          </button>
          <button type="button" className="reject secondary" onClick={() => post({ type: 'decide', runId: a.runId, nodeId: a.nodeId, reject: true })}>
            Reject
          </button>
        </div>
      ))}
    </section>
  );
}

function ArtifactView({ payload, post }: { payload: ViewerPayload; post(message: ViewerToHost): void }) {
  switch (payload.kind) {
    case 'statistics':
      return <StatisticsView payload={payload} />;
    case 'schema':
      return <SchemaView payload={payload} />;
    case 'anomalies':
      return <AnomaliesView payload={payload} />;
    case 'evaluation':
      return <EvaluationView payload={payload} />;
    case 'model':
      return <ModelView payload={payload} />;
    case 'lineage':
      return <LineageView graph={payload.graph} onOpen={(artifactId) => post({ type: 'openArtifact', artifactId })} />;
    case 'compare':
      return <CompareView payload={payload} />;
    case 'trends':
      return <TrendsView trends={payload.trends} />;
    case 'unsupported':
      return <UnsupportedView payload={payload} />;
  }
}
