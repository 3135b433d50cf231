// Plain JS on purpose: runInWorker's eval'd worker thread does not inherit tsx's loader hooks
// (Node 20 runs --import only for file workers), so when running from source this shim registers
// tsx in the worker, then hands over to the pool worker's task dispatcher.
import { register } from 'tsx/esm/api';

register();
const { default: dispatch } = await import('../../engine/pool-worker.ts');
export default dispatch;
