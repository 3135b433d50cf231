/** TFX's Importer node: an existing file or folder brought into the pipeline as a typed artifact. */
import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const IMPORTABLE_TYPES = ['ExampleStatistics', 'Schema', 'Model', 'Examples'] as const;

export const importerParams = Type.Object({
  source: Type.String({
    'x-path': 'glob',
    description:
      'The file or folder to import, relative to the pipeline file: statistics as FeatureStats.pb (TFDV binary) or .json, or a TFX statistics folder (Split-*/FeatureStats.pb); a schema as schema.pbtxt (TFX text format) or .json; a model folder (a Tributary bundle); an Examples folder (Split-*/part-*.arrow). Its content is hashed: a changed file is a new artifact.',
  }),
  artifact_type: Type.Union(
    IMPORTABLE_TYPES.map((t) => Type.Literal(t)),
    { description: 'The artifact type of `result`; the content is checked against it.' },
  ),
});

export const importerSpec = {
  type: 'Importer',
  version: '1',
  category: 'data',
  icon: 'cloud-download',
  description:
    'Brings an existing file or folder into the pipeline as a typed artifact with lineage (a TFDV statistics baseline, a TFX schema, a model, examples), after checking its content.',
  inputs: {},
  outputs: {
    result: {
      type: 'ExampleStatistics' as const,
      typeFromParam: 'artifact_type',
      description: 'The imported artifact, of the type artifact_type names.',
    },
  },
  params: importerParams,
} satisfies ComponentSpec;
