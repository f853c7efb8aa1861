/** The pipeline spec after validation, with every default filled in. Plain JSON: it travels in workflow inputs. */
import type { PolicyStage } from '../common/stages';
import type { ReferenceRef, RefusedFolder } from '../common/types';
import type { StagePolicy } from './policy';

export type OnFailure = 'continue' | 'failFast';

export interface PipelineSpec {
  /** Names the pipeline in workflow ids and reports. Letters, digits, '-' and '_'. */
  name: string;
  /** Folder all inputs live under; nothing outside it is read. */
  dataRoot: string;
  /** Datasets: folders under dataRoot, listed or matched by a glob (one child workflow each). */
  datasets: { glob: string } | { list: string[] };
  /** File names inside each dataset folder. */
  inputs: { transactions: string; stock: string };
  /** Shared reference data, relative to dataRoot. */
  reference: { products: string; substitutes: string };
  /** Metrics to compute for each dataset. */
  metrics: string[];
  /** Where outputs go: `path` is a template under `root` with {week}, {dataset} and {table}. */
  output: { root: string; path: string };
  /** The week to process, as its Monday (YYYY-MM-DD). Default: the run's `week` input, else last week. */
  week?: string;
  parallelism: {
    /** Datasets in flight at once (child workflows). Default 4. */
    datasets: number;
  };
  stages: Record<PolicyStage, StagePolicy>;
  /** `continue`: a failed dataset is reported and the others finish (default). `failFast`: stop at the first failure. */
  onFailure: OnFailure;
  /**
   * Small datasets processed many to one activity: consecutive datasets of at most `maxBytes` input
   * each, up to `maxDatasets` or `maxBytes` per batch. Each still gets its own status and outputs.
   */
  batching?: { maxDatasets: number; maxBytes: number };
  /** Units (datasets or batches) per workflow run before it continues as new, keeping history bounded. */
  continueAsNewAfter: number;
  /** When set, each dataset waits until its data is there (see AvailabilityRule); else it is read at once. */
  availability?: AvailabilityRule;
  /** What the read stage does when a data-quality rule is broken (see QualityRules). */
  quality: QualityRules;
}

/** A broken rule fails the dataset (non-retryable), succeeds it with a warning in its summary, or is not checked. */
export type QualityOutcome = 'fail' | 'warn' | 'ignore';

/**
 * Data-quality rules checked on read, each with its outcome. Defaults (DEFAULTS.quality in
 * schema.ts) are strict where a figure would otherwise be silently wrong.
 */
export interface QualityRules {
  /** A key (stock: date, store_id, product_id; products: product_id; substitutes: the pair) appears twice. */
  duplicateKeys: QualityOutcome;
  /** Negative units or revenue in the week's transactions. */
  negativeValues: QualityOutcome;
  /** A file has rows, but none in the week run (usually the wrong --week). */
  emptyWeek: QualityOutcome;
  /** A file has no rows at all. */
  emptyInput: QualityOutcome;
}
export type QualityRule = keyof QualityRules;

/**
 * When a dataset counts as arrived: both input files exist, plus the marker file if one is named
 * (e.g. "_SUCCESS" in the dataset folder), plus at least `minRows` transactions in the week.
 * Checked every `checkEveryMs` (or at once on a `datasetArrived` signal) until `deadlineMs` after
 * the run started; then the dataset is reported late and the others go on.
 */
export interface AvailabilityRule {
  marker?: string;
  minRows?: number;
  checkEveryMs: number;
  deadlineMs: number;
}

/**
 * The run's plan, as `prepareRun` returns it and `weeklyLoad` carries it across continue-as-new.
 * Datasets travel as folder names relative to the data root (the workflow rebuilds each DatasetRef,
 * see workflows/units.ts): a 10,000-dataset plan stays a few hundred KB, well under a payload's 2 MB.
 */
export interface RunPlan {
  spec: PipelineSpec;
  week: string;
  /** Dataset folders, relative to spec.dataRoot (absolute), '/'-separated. */
  folders: string[];
  /** Input bytes of each dataset (both files), for batching small ones together. */
  bytes: number[];
  reference: ReferenceRef;
  /**
   * Folders the datasets matched but the link policy refused (activities/links.ts): the run reports
   * each as a failed dataset. Absent in plans made before links were followed.
   */
  refused?: RefusedFolder[];
}
