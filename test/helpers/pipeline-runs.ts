/**
 * Whole-pipeline runs for cache tests: run a pipeline file of a test folder on a shared pool (it
 * must complete), read node states and summaries, and an execution's INPUT events from the store.
 * `where` is read at each call, since tests set the folder and pool in `before`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { metadataFile } from '../../runtime/src/core/plan.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { runPipeline, type RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';

export function pipelineRuns(where: () => { dir: string; pool: WorkerPool }) {
  return {
    async run(file: string): Promise<RunSummary> {
      const { dir, pool } = where();
      const summary = await runPipeline(await loadPlanOrThrow(join(dir, file)), { pool });
      assert.equal(summary.state, 'COMPLETE', JSON.stringify(summary.nodes.map((n) => [n.id, n.state, n.error])));
      return summary;
    },
    states: (s: RunSummary) => Object.fromEntries(s.nodes.map((n) => [n.id, n.state])),
    node: (s: RunSummary, id: string) => s.nodes.find((n) => n.id === id)!,
    /** INPUT events of an execution, key → artifact id, read from the store (root `.tributary`). */
    async inputEvents(executionId: number): Promise<Record<string, number>> {
      const data = await (await MetadataStore.open(metadataFile(join(where().dir, '.tributary')))).read();
      return Object.fromEntries(data.events.filter((e) => e.executionId === executionId && e.type === 'INPUT').map((e) => [e.key, e.artifactId]));
    },
  };
}
