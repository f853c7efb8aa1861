/**
 * Where the output root may lie against the data root, checked with the spec from paths alone:
 * - never where the dataset glob can reach it or a folder under it, nor holding a listed dataset
 *   folder: a run would read outputs as datasets (the next week's run, a week's own outputs);
 * - never the data root itself, nor around it: what is written under the output root (a week's
 *   folder, the template's folders named after weeks and datasets, work folders) could land among
 *   the datasets, whatever their names.
 * Relative paths are taken from the current folder, as the worker takes them (activities/plan.ts);
 * symbolic links are not followed. A hidden output root inside the data root is out of any glob's
 * reach (the walk skips hidden folders, common/globPattern.ts).
 */
import path from 'node:path';
import { z } from 'zod';
import { globCanReach } from '../common/globPattern';
import { isObjectUrl, namesBelow, resolveLocation } from '../common/location';
import { quoted } from '../common/week';

/** The fields the check needs; when one is malformed the spec's own problems say so, and this says nothing. */
const placed = z.object({
  dataRoot: z.string().min(1),
  datasets: z.union([z.object({ glob: z.string() }), z.object({ list: z.array(z.string()) })]),
  output: z.object({ root: z.string().min(1) }),
});

/** Problems with where output.root lies against dataRoot and the datasets, each with its path. */
export function placementProblems(input: unknown): string[] {
  const parsed = placed.safeParse(input);
  if (!parsed.success) return [];
  const { datasets } = parsed.data;
  const data = resolveLocation(parsed.data.dataRoot);
  const out = resolveLocation(parsed.data.output.root);
  if (data === out) {
    return [
      `output.root: ${quoted(out)} is dataRoot itself: outputs and reports would be written among the datasets; ` +
        'use a folder outside dataRoot',
    ];
  }
  if (namesBelow(out, data)) {
    return [
      `dataRoot: ${quoted(data)} is inside output.root ${quoted(out)}: outputs, reports and work folders written ` +
        'under output.root could land among its datasets; keep dataRoot outside output.root',
    ];
  }
  const outInData = namesBelow(data, out);
  if (!outInData) return [];
  if ('glob' in datasets) {
    if (!globCanReach(datasets.glob, outInData)) return [];
    return [
      `output.root: ${quoted(out)} is inside dataRoot ${quoted(data)} where datasets.glob ${quoted(datasets.glob)} ` +
        'can match it or folders under it: later runs would read outputs as datasets; move output.root out of ' +
        'dataRoot, or into a folder whose name starts with "." (the glob skips those)',
    ];
  }
  return datasets.list.flatMap((entry, i) => {
    const folder = resolveLocation(isObjectUrl(data) ? `${data}/${entry}` : path.resolve(data, entry));
    if (folder !== out && !namesBelow(out, folder)) return [];
    return [
      `datasets.list.${i}: ${quoted(entry)} (${folder}) is inside output.root ${quoted(out)}: a run would read ` +
        'outputs as its data; list folders outside output.root',
    ];
  });
}
