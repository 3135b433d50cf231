/** One request as the prediction log keeps it (JSON lines or Arrow, see prediction-log.ts). */
export interface PredictionRecord {
  time: string;
  model: string;
  version: number;
  /** Traffic arm, "" when the request named its version or label. */
  arm: string;
  key?: string;
  status: number;
  latencyMs: number;
  instances?: unknown[];
  predictions?: unknown[];
  error?: string;
}
