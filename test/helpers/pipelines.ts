/**
 * Pipeline YAML shared by tests: TFX's data-validation chain (StatisticsGen → SchemaGen, then
 * ExampleValidator) after a node `example_gen`, as entries of a `nodes:` map (two-space indent).
 */
export const SCHEMA_NODES = `  statistics_gen:
    component: StatisticsGen
    inputs: { examples: example_gen.examples }
  schema_gen:
    component: SchemaGen
    inputs: { statistics: statistics_gen.statistics }
`;

export const VALIDATION_NODES = `${SCHEMA_NODES}  example_validator:
    component: ExampleValidator
    inputs: { statistics: statistics_gen.statistics, schema: schema_gen.schema }
`;

/** A pipeline whose ExampleGen ingests the latest span of data/span-{SPAN}/trips.csv, then validates it. */
export function spansPipeline(name: string, root: string): string {
  return `name: ${name}
root: ${root}
nodes:
  example_gen:
    component: CsvExampleGen
    params:
      input: data/span-{SPAN}/trips.csv
${VALIDATION_NODES}`;
}
