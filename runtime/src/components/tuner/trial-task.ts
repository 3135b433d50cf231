/**
 * The Tuner's worker tasks. `describe` calls tuner_fn for its search space; `trial` trains one
 * configuration in its own worker thread. Early-stopping decisions come from the executor: the
 * trial posts its epoch metrics as a marked console line, then waits (Atomics.wait on a shared
 * Int32Array slot) for the executor's answer, so `report()` can stay synchronous as the API says.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import type { HyperParameters, RunFn, SearchSpace, TrialContext, TunerFn, TunerFnResult } from '../../ml/api.ts';
import { importUserExport, userCodeError } from '../../ml/user-module.ts';
import { EXCHANGE, type ReplicaGroup } from '../../ml/all-reduce.ts';
import { type EpochRecord, openSession, type SessionArgs } from '../trainer/session.ts';
import { searchSpaceBuilder, validateSpace } from './search.ts';

export const REPORT_MARKER = '@@tributary-trial-report ';
/** Slot values in the shared decision array. */
export const DECISION = { pending: 0, continue: 1, stop: 2 } as const;

export interface DescribeArgs {
  modulePath: string;
  tunerFn: string;
}

export interface TunerDescription {
  search_space: SearchSpace;
  objective: TunerFnResult['objective'];
  max_trials?: number;
  hasRunTrial: boolean;
}

const log = { info: (m: string) => console.log(m), warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

async function callTunerFn(modulePath: string, name: string): Promise<TunerFnResult> {
  const fn = await importUserExport<TunerFn>(modulePath, name);
  let out: TunerFnResult;
  try {
    out = await fn({ hp: searchSpaceBuilder, log });
  } catch (e) {
    throw userCodeError(e, `${name} threw`);
  }
  if (!out || typeof out !== 'object') throw new UserError(`${name} must return { search_space, objective }`);
  validateSpace(out.search_space);
  const o = out.objective;
  if (!o || typeof o.metric !== 'string' || (o.direction !== 'min' && o.direction !== 'max')) {
    throw new UserError(`${name} must return objective: { metric: string, direction: 'min' | 'max' }`);
  }
  return out;
}

export async function describe(args: DescribeArgs): Promise<TunerDescription> {
  const out = await callTunerFn(args.modulePath, args.tunerFn);
  return { search_space: out.search_space, objective: out.objective, max_trials: out.max_trials, hasRunTrial: typeof out.run_trial === 'function' };
}

export interface TrialArgs extends SessionArgs {
  modulePath: string;
  tunerFn: string;
  runFn: string;
  trialId: number;
  /** Shared Int32Array: one decision slot per trial. */
  decisions: SharedArrayBuffer;
}

export interface TrialResult {
  metrics: Record<string, number>;
  history: EpochRecord[];
  stopped: boolean;
  backend: string;
}

/** The same metric under fit's (`val_acc`) and evaluation's (`eval_acc`) names. */
export function metricValue(metrics: Record<string, number>, name: string): number | undefined {
  if (typeof metrics[name] === 'number') return metrics[name];
  const alt = name.startsWith('eval_') ? `val_${name.slice(5)}` : name.startsWith('val_') ? `eval_${name.slice(4)}` : undefined;
  return alt && typeof metrics[alt] === 'number' ? metrics[alt] : undefined;
}

export async function trial(args: TrialArgs): Promise<TrialResult> {
  const described = await callTunerFn(args.modulePath, args.tunerFn);
  const slots = new Int32Array(args.decisions);
  let stopped = false;
  /** The trial's replica group, once the session is open (several workers per trial). */
  const replicas: { group?: ReplicaGroup } = {};
  const ask = (epoch: number, metrics: Record<string, number>): boolean => {
    Atomics.store(slots, args.trialId, DECISION.pending);
    console.log(`${REPORT_MARKER}${JSON.stringify({ trial: args.trialId, epoch, metrics })}`);
    // The executor answers within milliseconds; never hang a trial on a lost message.
    Atomics.wait(slots, args.trialId, DECISION.pending, 10_000);
    return Atomics.load(slots, args.trialId) === DECISION.stop;
  };
  const report = (epoch: number, metrics: Record<string, number>): 'continue' | 'stop' => {
    // A trial on several workers: rank 0 asks (its metrics are the averaged ones) and tells the others.
    const { group } = replicas;
    let stop = !group || group.rank === 0 ? ask(epoch, metrics) : false;
    if (group) stop = group.broadcast(EXCHANGE.decision, [stop ? 1 : 0])[0] === 1;
    if (stop) stopped = true;
    return stop ? 'stop' : 'continue';
  };
  const usesRunFn = typeof described.run_trial !== 'function';
  // With the module's run_fn, the session's epoch callback reports; a custom run_trial reports itself.
  const session = await openSession(args, usesRunFn ? { onEpoch: ({ epoch, ...m }) => report(epoch, m) } : {});
  const group = (replicas.group = session.group);
  const ctx: TrialContext = { ...session.ctx, trial_id: args.trialId, report };
  let metrics: Record<string, number>;
  try {
    if (!usesRunFn) {
      metrics = await described.run_trial!(ctx);
    } else {
      const runFn = await importUserExport<RunFn>(args.modulePath, args.runFn);
      const result = await runFn(ctx);
      if (!result || !(result.model instanceof tf.LayersModel)) throw new UserError(`${args.runFn} must return { model } built with ctx.tf`);
      const last = session.history.at(-1) ?? { epoch: -1 };
      const { epoch: _e, ...lastEpoch } = last;
      metrics = { ...lastEpoch, ...(await session.evaluate(result.model)), ...(result.metrics ?? {}) };
      result.model.dispose();
    }
  } catch (e) {
    group?.abort();
    throw userCodeError(e, `trial ${args.trialId} threw`);
  } finally {
    session.close();
    group?.leave();
  }
  return { metrics, history: session.history, stopped, backend: session.selection.name };
}

export type { HyperParameters };
