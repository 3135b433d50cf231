/**
 * Custom requests between the extension host and the language server (and, through the host, the
 * canvas and properties panel). Names and shapes live here once; both sides import them.
 */
import type { Diagnostic } from '../../../runtime/src/host-api.ts';
import type { Catalog } from './catalog.ts';

export const SPECS_REQUEST = 'tributary/specs';
export const VALIDATE_REQUEST = 'tributary/validate';
export const PIPELINE_INFO_REQUEST = 'tributary/pipelineInfo';
export const GENERATE_TYPES_REQUEST = 'tributary/generateTypes';

export type SpecsResult = Catalog;

export interface DocumentParams {
  /** The pipeline file's URI (`file:` scheme). */
  uri: string;
}

export interface ValidateResult {
  /** Every problem, in the runtime's shape (0-based ranges), also published as diagnostics. */
  diagnostics: Diagnostic[];
}

export interface PipelineInfo {
  name: string;
  /** Absolute paths. */
  file: string;
  root: string;
  metadataFile: string;
  /** The pipeline's `metadata.url_env`: the variable holding its Postgres store's URL. */
  metadataUrlEnv?: string;
  nodes: { id: string; component: string }[];
}

export type GenerateTypesResult =
  | { ok: true; file: string; features: number; schemaArtifactId: number; changed: boolean }
  | { ok: false; message: string };
