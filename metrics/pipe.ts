/** Composing small frame functions left to right: `pipe(lf, withDaily, baselines)`. */
import type pl from 'nodejs-polars';

export type Step = (lf: pl.LazyDataFrame) => pl.LazyDataFrame;

export function pipe(lf: pl.LazyDataFrame, ...steps: Step[]): pl.LazyDataFrame {
  return steps.reduce((acc, step) => step(acc), lf);
}
