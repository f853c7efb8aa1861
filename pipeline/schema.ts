/**
 * The pipeline spec's schema (zod): parses a user's JSON, lists every problem by path, and fills
 * defaults from one place (DEFAULTS here, DEFAULT_POLICIES in policy.ts).
 */
import { z } from 'zod';
import { parseBytes } from '../common/bytes';
import { POLICY_STAGES, type PolicyStage } from '../common/stages';
import { weekProblem } from '../common/week';
import { METRIC_NAMES } from '../metrics';
import { parseDuration } from './duration';
import { placementProblems } from './outputPlacement';
import { templateProblems } from './outputTemplate';
import { DEFAULT_POLICIES, type StagePolicy } from './policy';
import { scheduleSchema } from './schedule';
import type { PipelineSpec, QualityRules } from './types';

export const DEFAULTS = {
  inputs: { transactions: 'transactions.parquet', stock: 'stock.parquet' },
  outputPath: '{week}/{dataset}/{table}.parquet',
  parallelism: { datasets: 4 },
  onFailure: 'continue',
  availability: { checkEvery: 10 * 60_000, deadline: 24 * 3_600_000 },
  batching: { maxDatasets: 50, maxBytes: 16 * 1024 ** 2 },
  continueAsNewAfter: 500,
  /** Strict where a figure would otherwise be silently wrong; an empty file may be a quiet week. */
  quality: {
    duplicateKeys: 'fail',
    negativeValues: 'fail',
    emptyWeek: 'fail',
    emptyInput: 'warn',
  } satisfies QualityRules,
} as const;

const bytes = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const n = parseBytes(value);
  if (n === undefined)
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size (e.g. "16MiB", "2GiB", 1048576)` });
  return n ?? 0;
});

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined)
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (e.g. "30s", "5 minutes", 1500)` });
  return ms ?? 0;
});

/** A path that climbs out of the folder it is relative to. */
const climbs = (p: string) => p.split(/[\\/]/).includes('..');

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !climbs(p), 'must not contain ".."');

const retry = z.strictObject({
  maximumAttempts: z.number().int().min(1).optional(),
  initialInterval: duration.optional(),
  backoffCoefficient: z.number().min(1).optional(),
  maximumInterval: duration.optional(),
  nonRetryableErrorTypes: z.array(z.string().min(1)).optional(),
});

const stagePolicy = z.strictObject({
  taskQueue: z.string().min(1).optional(),
  startToCloseTimeout: duration.optional(),
  scheduleToCloseTimeout: duration.optional(),
  heartbeatTimeout: duration.optional(),
  retry: retry.optional(),
});

const outcome = z.enum(['fail', 'warn', 'ignore']);
const quality = z.strictObject({
  duplicateKeys: outcome.optional(),
  negativeValues: outcome.optional(),
  emptyWeek: outcome.optional(),
  emptyInput: outcome.optional(),
});

/** The spec's quality rules over their defaults. */
export function qualityRules(given: z.output<typeof quality> | undefined): QualityRules {
  return { ...DEFAULTS.quality, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) };
}

const specSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1-64 letters, digits, "-" or "_"'),
  dataRoot: z.string().min(1),
  datasets: z.union([z.strictObject({ glob: relativePath }), z.strictObject({ list: z.array(relativePath).min(1) })]),
  inputs: z.strictObject({ transactions: relativePath, stock: relativePath }).optional(),
  reference: z.strictObject({ products: relativePath, substitutes: relativePath }),
  metrics: z
    .array(z.enum(METRIC_NAMES as unknown as [string, ...string[]]))
    .min(1)
    .refine((m) => new Set(m).size === m.length, 'lists a metric twice'),
  output: z.strictObject({
    root: z.string().min(1),
    path: z
      .string()
      .superRefine((p, ctx) => {
        for (const message of templateProblems(p)) ctx.addIssue({ code: 'custom', message });
      })
      .refine((p) => p.endsWith('.parquet'), 'must end with .parquet')
      .refine((p) => !climbs(p), 'must not contain ".."')
      .refine((p) => !/^[\\/]/.test(p), 'must be relative to output.root')
      .optional(),
  }),
  /** The Monday of the week, as every entry point checks it (common/week.ts). */
  week: z
    .string()
    .superRefine((week, ctx) => {
      const problem = weekProblem(week);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  parallelism: z.strictObject({ datasets: z.number().int().min(1).max(2_000).optional() }).optional(),
  stages: z.partialRecord(z.enum(POLICY_STAGES), stagePolicy).optional(),
  onFailure: z.enum(['continue', 'failFast']).optional(),
  /** When Temporal starts runs by itself (`tributary schedule`); runs ignore it. */
  schedule: scheduleSchema.optional(),
  batching: z
    .strictObject({ maxDatasets: z.number().int().min(1).max(1_000).optional(), maxBytes: bytes.optional() })
    .optional(),
  continueAsNewAfter: z.number().int().min(1).max(1_000).optional(),
  availability: z
    .strictObject({
      marker: relativePath.optional(),
      minRows: z.number().int().min(0).optional(),
      checkEvery: duration.optional(),
      deadline: duration.optional(),
    })
    .optional(),
  quality: quality.optional(),
});

export type SpecInput = z.input<typeof specSchema>;

export class InvalidSpecError extends Error {
  override name = 'InvalidSpec';
  constructor(readonly problems: string[]) {
    super(`Invalid pipeline spec:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function mergePolicy(stage: PolicyStage, given: z.output<typeof stagePolicy> | undefined): StagePolicy {
  const base = DEFAULT_POLICIES[stage];
  return {
    ...base,
    ...Object.fromEntries(Object.entries(given ?? {}).filter(([k, v]) => k !== 'retry' && v !== undefined)),
    retry: {
      ...base.retry,
      ...Object.fromEntries(Object.entries(given?.retry ?? {}).filter(([, v]) => v !== undefined)),
    },
  };
}

/** Timeouts that cannot all hold at once, per stage. */
function impossibleTimeouts(stage: PolicyStage, p: StagePolicy): string[] {
  const problems: string[] = [];
  const at = `stages.${stage}`;
  if (p.heartbeatTimeout !== undefined && p.heartbeatTimeout >= p.startToCloseTimeout) {
    problems.push(`${at}.heartbeatTimeout: must be shorter than startToCloseTimeout (${p.startToCloseTimeout} ms)`);
  }
  if (p.scheduleToCloseTimeout !== undefined && p.scheduleToCloseTimeout < p.startToCloseTimeout) {
    problems.push(`${at}.scheduleToCloseTimeout: must be at least startToCloseTimeout (${p.startToCloseTimeout} ms)`);
  }
  if (p.retry.maximumInterval < p.retry.initialInterval) {
    problems.push(`${at}.retry.maximumInterval: must be at least initialInterval (${p.retry.initialInterval} ms)`);
  }
  return problems;
}

/** Validates a spec and fills its defaults; throws InvalidSpecError listing every problem by path. */
export function parseSpec(input: unknown): PipelineSpec {
  const parsed = specSchema.safeParse(input);
  // Where output.root lies needs only three fields: said along with any other problem.
  const placement = placementProblems(input);
  if (!parsed.success) {
    throw new InvalidSpecError([
      ...parsed.error.issues.map((issue) => `${issue.path.join('.') || '(spec)'}: ${issue.message}`),
      ...placement,
    ]);
  }
  const s = parsed.data;
  const stages = Object.fromEntries(
    POLICY_STAGES.map((stage) => [stage, mergePolicy(stage, s.stages?.[stage])]),
  ) as Record<PolicyStage, StagePolicy>;
  const problems = [...POLICY_STAGES.flatMap((stage) => impossibleTimeouts(stage, stages[stage])), ...placement];
  if (s.batching && s.availability)
    problems.push('batching: cannot be combined with availability (a batch does not wait for data)');
  if (problems.length > 0) throw new InvalidSpecError(problems);
  return {
    name: s.name,
    dataRoot: s.dataRoot,
    datasets: s.datasets,
    inputs: s.inputs ?? { ...DEFAULTS.inputs },
    reference: s.reference,
    metrics: s.metrics,
    output: { root: s.output.root, path: s.output.path ?? DEFAULTS.outputPath },
    ...(s.week ? { week: s.week } : {}),
    parallelism: { datasets: s.parallelism?.datasets ?? DEFAULTS.parallelism.datasets },
    stages,
    onFailure: s.onFailure ?? DEFAULTS.onFailure,
    continueAsNewAfter: s.continueAsNewAfter ?? DEFAULTS.continueAsNewAfter,
    quality: qualityRules(s.quality),
    ...(s.batching
      ? {
          batching: {
            maxDatasets: s.batching.maxDatasets ?? DEFAULTS.batching.maxDatasets,
            maxBytes: s.batching.maxBytes ?? DEFAULTS.batching.maxBytes,
          },
        }
      : {}),
    ...(s.availability
      ? {
          availability: {
            ...(s.availability.marker ? { marker: s.availability.marker } : {}),
            ...(s.availability.minRows !== undefined ? { minRows: s.availability.minRows } : {}),
            checkEveryMs: s.availability.checkEvery ?? DEFAULTS.availability.checkEvery,
            deadlineMs: s.availability.deadline ?? DEFAULTS.availability.deadline,
          },
        }
      : {}),
  };
}
