/**
 * The stages of a dataset's journey, named once. Whatever speaks of a stage uses these words: the
 * spec's policies (`stages.<stage>`), dataset summaries and the report, the ledger, the Prometheus
 * counters, the fault hook and the run page. Pure: workflows import it.
 */

/** In journey order: plan the run, read the dataset and (at the same time) the reference data, compute, write. */
export const STAGES = ['resolve', 'read', 'readReference', 'compute', 'write'] as const;
export type Stage = (typeof STAGES)[number];

/** The stages a spec sets a policy for; reading reference data runs under `read`'s. */
export const POLICY_STAGES = ['resolve', 'read', 'compute', 'write'] as const satisfies readonly Stage[];
export type PolicyStage = (typeof POLICY_STAGES)[number];

/** The stages a dataset's summary times (resolving is the run's, before any dataset). */
export const DATASET_STAGES = ['read', 'readReference', 'compute', 'write'] as const satisfies readonly Stage[];
export type DatasetStage = (typeof DATASET_STAGES)[number];

/** The policy a stage runs under. */
export const policyOf = (stage: Stage): PolicyStage => (stage === 'readReference' ? 'read' : stage);
