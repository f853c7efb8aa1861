/**
 * The version of the metric logic. Part of every output's fingerprint: bump it when a metric's
 * results change, so incremental runs recompute instead of keeping outputs of the old logic.
 */
export const METRICS_VERSION = '1';
