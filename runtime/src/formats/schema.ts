/** A schema in the proto3 JSON shape of tensorflow_metadata's Schema (schema.proto). */
export type SchemaFeatureType = 'INT' | 'FLOAT' | 'BYTES';

export interface SchemaFeature {
  name: string;
  type: SchemaFeatureType;
  presence?: { minFraction?: number; minCount?: number };
  valueCount?: { min?: number; max?: number };
  /** Name of a top-level string domain. */
  domain?: string;
  intDomain?: { name?: string; min?: number; max?: number; isCategorical?: boolean };
  floatDomain?: { name?: string; min?: number; max?: number };
  stringDomain?: StringDomain;
  driftComparator?: FeatureComparator;
  skewComparator?: FeatureComparator;
  /** Set when a feature is kept in the schema but no longer expected. */
  deprecated?: boolean;
}

export interface FeatureComparator {
  infinityNorm?: { threshold: number };
  jensenShannonDivergence?: { threshold: number };
}

export interface StringDomain {
  name?: string;
  value: string[];
}

export interface Schema {
  feature: SchemaFeature[];
  stringDomain?: StringDomain[];
  defaultEnvironment?: string[];
}

export const SCHEMA_FILE = 'schema.json';
/** The same schema in protobuf text format, as TFX's SchemaGen writes it (formats/tfx-proto.ts). */
export const SCHEMA_PBTXT_FILE = 'schema.pbtxt';
