/**
 * The shard-level protocol a data-parallel component may offer besides its executor, so one node
 * can run as many processes (Argo map steps) and one merge step. It must be built from the same
 * pool task functions and merge code the executor uses, so both paths give identical outputs.
 *
 * Steps: plan → map (one per item) → [reduce → map2 (one per item)] → merge. The optional second
 * map phase is for components whose per-shard work needs a full pass first (Transform: analyze
 * every shard, then apply the analyzer results to every shard).
 */
import type { ExecutorContext, Ports } from './component.ts';
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

/** A second map phase: runs after every map step of the first phase has written its partial. */
export interface SecondPhase<Prior = any, Carry = any, Item = any, Partial = any> {
  /**
   * One step between the phases: merges the first phase's partials (in item order) into what the
   * second phase's map steps need (`carry`, written once, structured-cloneable) and plans their items.
   */
  reduce(ctx: ShardContext, partials: Prior[]): Promise<{ carry: Carry; items: Item[] }> | { carry: Carry; items: Item[] };
  /** One shard's second-phase work; may stage files in the scratch folder for the merge. */
  map(ctx: ShardContext, item: Item, index: number, carry: Carry): Promise<Partial> | Partial;
}

export interface FanOut<Item = any, Partial = any, I extends Ports = Ports, O extends Ports = Ports, P extends TObject = TObject> {
  /**
   * The shard work items in merge order. Every step recomputes it, so it must depend only on the
   * params, the inputs and input files (never on time or on what other steps wrote).
   */
  plan(ctx: ShardContext<I, P>): Promise<Item[]> | Item[];
  /** One shard's work in this process; the partial must be structured-cloneable. */
  map(ctx: ShardContext<I, P>, item: Item, index: number): Promise<Partial> | Partial;
  /** Optional second map phase (see SecondPhase); `merge` then gets its partials and the carry. */
  second?: SecondPhase<Partial>;
  /**
   * Merges all partials (in item order) of the last map phase and writes the outputs, as the
   * executor would. `carry` is the second phase's carry, when there is one.
   */
  merge(ctx: MergeContext<I, O, P>, partials: any[], carry?: any): Promise<void>;
}
