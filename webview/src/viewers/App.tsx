import { AnomaliesView, CompareView, EvaluationView, LineageView, ModelView, SchemaView, UnsupportedView } from './OtherViews.tsx';
import type { ViewerPayload } from './payload.ts';
import { StatisticsView } from './StatisticsView.tsx';
import { TrendsView } from './TrendsView.tsx';
import type { ViewerToHost } from '../protocol.ts';

/** One app for every artifact viewer: the payload's kind picks the view. */
export function ViewerApp({ payload, post }: { payload: ViewerPayload | undefined; post(message: ViewerToHost): void }) {
  if (!payload) return <div className="loading">Loading…</div>;
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
