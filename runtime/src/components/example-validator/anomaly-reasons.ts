import type { AnomalyInfo, AnomalyReason, Anomalies, Severity } from '../../formats/anomalies.ts';

/** One finding about one feature; findings about the same feature merge into one AnomalyInfo, as in TFDV. */
export interface FeatureFinding {
  feature: string;
  severity: Exclude<Severity, 'UNKNOWN'>;
  reason: AnomalyReason;
}

export function finding(feature: string, severity: FeatureFinding['severity'], type: string, shortDescription: string, description: string): FeatureFinding {
  return { feature, severity, reason: { type, shortDescription, description } };
}

export function toAnomalies(findings: FeatureFinding[], dataMissing: boolean): Anomalies {
  const byFeature = new Map<string, FeatureFinding[]>();
  for (const f of findings) byFeature.set(f.feature, [...(byFeature.get(f.feature) ?? []), f]);
  const anomalies: Anomalies = { anomalyInfo: {} };
  for (const [feature, list] of byFeature) anomalies.anomalyInfo[feature] = toInfo([feature], list);
  if (dataMissing) {
    anomalies.dataMissing = true;
    anomalies.datasetAnomalyInfo = toInfo([], [
      finding('', 'ERROR', 'DATASET_LOW_NUM_EXAMPLES', 'No examples', 'The split has no examples, so none of its features could be checked.'),
    ]);
  }
  return anomalies;
}

function toInfo(step: string[], list: FeatureFinding[]): AnomalyInfo {
  return {
    path: { step },
    severity: list.some((f) => f.severity === 'ERROR') ? 'ERROR' : 'WARNING',
    shortDescription: list.length === 1 ? list[0].reason.shortDescription : 'Multiple anomalies',
    description: list.map((f) => f.reason.description).join(' '),
    reason: list.map((f) => f.reason),
  };
}

/** Every AnomalyInfo of a split, dataset-level first, with the key it is filed under. */
export function listInfos(anomalies: Anomalies): { feature: string; info: AnomalyInfo }[] {
  const out = anomalies.datasetAnomalyInfo ? [{ feature: '', info: anomalies.datasetAnomalyInfo }] : [];
  return [...out, ...Object.entries(anomalies.anomalyInfo).map(([feature, info]) => ({ feature, info }))];
}
