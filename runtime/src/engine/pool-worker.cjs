// CommonJS entry that piscina loads in each worker of the bundled runtime. piscina first tries
// require(); on Node 20.19+ require() of an ES module runs it synchronously, and a worker torn down
// while that is in flight aborts the whole process (v8 "IsGraphAsync" fatal error). Loading the ES
// module with import() from this CommonJS file avoids require(esm) entirely. The import starts as
// the worker starts, not with its first task, so module loading overlaps the main thread's planning.
'use strict';
const loading = import('./pool-worker.js');
// A load error surfaces with the first task (below), not as an unhandled rejection.
loading.catch(() => undefined);
module.exports = async function poolWorker(task) {
  return (await loading).default(task);
};
