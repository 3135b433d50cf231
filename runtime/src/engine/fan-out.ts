/**
 * The shard-level protocol a data-parallel component may offer besides its executor, so one node
 * can run as many processes (Argo map steps) and one merge step. It must be built from the same
 * pool task functions and merge code the executor uses, so both paths give identical outputs.
 */
import type { ExecutorContext, Ports } from '../registry/types.ts';
import type { TObject } from '@sinclair/typebox';

/** What a map step sees: the node's inputs and params, no outputs yet, and a scratch folder. */
export type ShardContext<I extends Ports = Ports, P extends TObject = TObject> = Omit<
  ExecutorContext<I, Ports, P>,
  'outputs' | 'pool' | 'progress'
> & {
  /** Folder shared by the node's map and merge steps of one run (partials, staged files). */
  scratch: string;
};

export type MergeContext<I extends Ports = Ports, O extends Ports = Ports, P extends TObject = TObject> = ExecutorContext<I, O, P> & {
  scratch: string;
};

export interface FanOut<Item = any, Partial = any, I extends Ports = Ports, O extends Ports = Ports, P extends TObject = TObject> {
  /**
   * The shard work items in merge order. Every step recomputes it, so it must depend only on the
   * params, the inputs and input files (never on time or on what other steps wrote).
   */
  plan(ctx: ShardContext<I, P>): Promise<Item[]> | Item[];
  /** One shard's work in this process; the partial must be structured-cloneable. */
  map(ctx: ShardContext<I, P>, item: Item, index: number): Promise<Partial> | Partial;
  /** Merges all partials (in item order) and writes the outputs, as the executor would. */
  merge(ctx: MergeContext<I, O, P>, partials: Partial[]): Promise<void>;
}
