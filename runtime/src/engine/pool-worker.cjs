// CommonJS entry that piscina loads in each worker of the bundled runtime. piscina first tries
// require(); on Node 20.19+ require() of an ES module runs it synchronously, and a worker torn down
// while that is in flight aborts the whole process (v8 "IsGraphAsync" fatal error). Loading the ES
// module with import() from this CommonJS file avoids require(esm) entirely.
/* global module */
'use strict';
let dispatch;
module.exports = async function poolWorker(task) {
  dispatch ??= (await import('./pool-worker.js')).default;
  return dispatch(task);
};
