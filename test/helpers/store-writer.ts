// Child process for the concurrency test: appends N executions to a store, one transaction each.
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { createExecution } from '../../runtime/src/metadata/records.ts';

const [file, tag, count] = process.argv.slice(2);
const store = await MetadataStore.open(file);
for (let i = 0; i < Number(count); i++) {
  await store.transaction((data) =>
    createExecution(data, {
      component: 'T',
      componentVersion: '1',
      nodeId: `${tag}-${i}`,
      runId: tag,
      state: 'COMPLETE',
      params: {},
      cacheKey: '',
      pid: process.pid,
      logFileFor: () => '',
    }),
  );
}
