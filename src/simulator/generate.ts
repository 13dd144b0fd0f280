/** The simulator's data without a server, for tests and benchmarks that want the records themselves. */
import type { ViewName } from '../registry.js';
import { Dataset } from './dataset.js';
import type { Scale } from './scale.js';

export interface GenerateOptions {
  readonly seed: number;
  readonly scale: Scale | number;
  /** Reference time: tickets are modified and comments written in the 10 days before it. */
  readonly now: Date;
}

/** Generate the records of one view, deterministic for (seed, scale, now). */
export function generateView(view: ViewName, opts: GenerateOptions): Record<string, unknown>[] {
  const snapshot = new Dataset(opts).snapshot(view);
  return Array.from({ length: snapshot.count }, (_, i) => snapshot.record(i));
}
