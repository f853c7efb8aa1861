/** Small values that cross workflow/activity boundaries. Plain JSON: no Dates, no frames. */
import type { DatasetStage, Stage } from './stages';

export type { DatasetStage } from './stages';

/** One dataset: a folder under the data root with its input files. */
export interface DatasetRef {
  name: string;
  dir: string;
  files: { transactions: string; stock: string };
}

/** Shared reference data files. */
export interface ReferenceRef {
  products: string;
  substitutes: string;
}

/** Why a dataset folder was refused (activities/links.ts). */
export type RefusalType = 'PathOutsideDataRoot' | 'SymlinkLoop' | 'DanglingSymlink';

/** A folder the datasets matched but that cannot be processed; the run reports it as a failed dataset. */
export interface RefusedFolder {
  /** The dataset's name: the link's own name. */
  dataset: string;
  /** The link, relative to the data root, '/'-separated. */
  folder: string;
  type: RefusalType;
  message: string;
}

/** Attempts and time of one stage of one dataset. */
export interface StageRun {
  attempts: number;
  durationMs: number;
}

/** An output file, published. */
export interface OutputFile {
  table: string;
  path: string;
  rows: number;
  /**
   * The table's declared report sums (metrics/: TableTotals), when they were summed as it was written
   * (a batch sums all its datasets' tables in one query); absent, the report reads them back.
   */
  sums?: Record<string, number>;
  /** Its size and SHA-256 once published: the week's manifest lists them (common/manifest.ts). */
  bytes?: number;
  sha256?: string;
}

/** late: its data did not arrive by the deadline; skipped: inputs unchanged since a successful run. */
export type DatasetStatus = 'succeeded' | 'failed' | 'cancelled' | 'late' | 'skipped';

export interface DatasetSummary {
  dataset: string;
  status: DatasetStatus;
  /** Rows of the week read from each input. */
  rowsIn?: { transactions: number; stock: number };
  outputs: OutputFile[];
  stages: Partial<Record<DatasetStage, StageRun>>;
  /** resolve: refused while planning (a link outside the data root, a loop); run: the dataset's run as a whole. */
  error?: { stage: Stage | 'run'; type: string; message: string };
  /** Why a dataset was late or skipped, in words. */
  note?: string;
  /** Data-quality rules it broke whose outcome is `warn` (spec `quality`): it succeeded, but look. */
  warnings?: DatasetWarning[];
  /** The key of what produced its outputs (activities/fingerprints.ts keyOf), once published or skipped. */
  outputKey?: string;
  /** Skipped: the run whose outputs it keeps (absent: this run computed them). */
  computedBy?: string;
}

/** A broken data-quality rule that did not fail the dataset: the rule's name and what was found. */
export interface DatasetWarning {
  rule: string;
  message: string;
}

/** Live state of a run, answered by the `progress` query. */
export interface Progress {
  phase: 'planning' | 'running' | 'reporting' | 'done';
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  /** Datasets whose data did not arrive by the deadline. */
  late: number;
  /** Datasets skipped because their inputs did not change. */
  skipped: number;
}
