import type { ComponentCategory } from '../protocol.ts';

/** Codicon per well-known component (TFX's standard set), else per category. */
const BY_TYPE: Record<string, string> = {
  CsvExampleGen: 'database',
  ImportExampleGen: 'database',
  StatisticsGen: 'graph',
  SchemaGen: 'symbol-structure',
  ExampleValidator: 'pass',
  Transform: 'symbol-function',
  Trainer: 'rocket',
  Tuner: 'settings',
  Evaluator: 'checklist',
  InfraValidator: 'server-process',
  Pusher: 'cloud-upload',
  BulkInferrer: 'run-all',
};

const BY_CATEGORY: Record<ComponentCategory, string> = {
  data: 'database',
  model: 'beaker',
  deployment: 'cloud-upload',
  custom: 'extensions',
};

export function componentIcon(type: string, category: ComponentCategory | undefined): string {
  return BY_TYPE[type] ?? BY_CATEGORY[category ?? 'custom'];
}
