// Child process for the concurrency test: N executions into its own run and N into a run every
// writer shares, one transaction each, alternating.
import { openStoreAt } from '../../runtime/src/metadata/open.ts';
import { createExecution } from '../../runtime/src/metadata/records.ts';

const [file, tag, count] = process.argv.slice(2);
const store = await openStoreAt(file); // a folder, or a postgres:// URL
await store.ensureRun(tag, 'p');
await store.ensureRun('shared', 'p');
for (let i = 0; i < Number(count); i++) {
  for (const runId of [tag, 'shared']) {
    await store.transaction(runId, (data) =>
      createExecution(data, {
        component: 'T',
        componentVersion: '1',
        nodeId: `${tag}-${i}`,
        runId,
        state: 'COMPLETE',
        params: {},
        cacheKey: '',
        pid: process.pid,
        logFileFor: () => '',
      }),
    );
  }
}
await store.close();
