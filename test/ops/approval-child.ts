/** Child process for the restart test: runs (or resumes) the approval pipeline, events as JSON lines. */
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { approvalNodes, opsPlan } from '../helpers/fake-components.ts';

const [dir, resume] = process.argv.slice(2);
const summary = await runPipeline(opsPlan(dir, approvalNodes({ timeout_s: 600 })), {
  workers: 1,
  resume,
  onEvent: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
});
process.stdout.write(`${JSON.stringify({ type: 'summary', summary })}\n`);
