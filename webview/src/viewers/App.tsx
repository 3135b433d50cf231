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

/** One app for every artifact viewer: the payload's kind picks the view. */
export function ViewerApp({ payload, post }: { payload: ViewerPayload | undefined; post(message: ViewerToHost): void }) {
  if (!payload) return <div className="loading">Loading…</div>;
  const approvals = 'approvals' in payload ? payload.approvals : undefined;
  if (!approvals?.length) return <ArtifactView payload={payload} post={post} />;
  return (
    <>
      <ApprovalBar approvals={approvals} post={post} />
      <ArtifactView payload={payload} post={post} />
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
      return <LineageView graph={payload.graph} pane={{ width: window.innerWidth - 40, height: window.innerHeight - 180 }} actions={{ openArtifact: (artifactId) => post({ type: 'openArtifact', artifactId }), openLog: (executionId) => post({ type: 'openLog', executionId }) }} />;
    case 'compare':
      return <CompareView payload={payload} />;
    case 'trends':
      return <TrendsView trends={payload.trends} />;
    case 'unsupported':
      return <UnsupportedView payload={payload} />;
  }
}
