/** Every workflow the worker registers. Deterministic code only: no I/O, no polars, no Node builtins. */
export { weeklyLoad, progressQuery } from './weeklyLoad';
export { datasetPipeline } from './datasetPipeline';
export { datasetArrivedSignal } from './arrival';
