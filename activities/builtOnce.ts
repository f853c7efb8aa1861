/**
 * Polars expressions built once per worker. nodejs-polars builds every expression node in JS at a
 * cost of about half a millisecond of main-thread CPU (more under load), whatever the data size:
 * for a small file, building a pass costs more than running it. Expressions are immutable, so one
 * built for a week, an input and a rule set serves every file read with them.
 */
const built = new Map<string, unknown>();
/** Enough for a few weeks x inputs x rule sets x key ranges; the oldest goes first. */
const KEPT = 256;

/** The value `build` made for `id` (a string naming everything it depends on), building it on first use. */
export function builtOnce<T>(id: string, build: () => T): T {
  if (built.has(id)) return built.get(id) as T;
  const value = build();
  built.set(id, value);
  if (built.size > KEPT) built.delete(built.keys().next().value!);
  return value;
}
