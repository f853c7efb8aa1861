/**
 * `tributary demo`: the quick start. Generates the sample retail week (once), then runs the
 * example pipeline spec on it through the embedded dev server with a worker in this process,
 * and prints the report and where to see the run in the Web UI.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../runtime/settings';
import { datagen } from './datagen';
import { loadSpecFile, runSpec } from './run';

export const EXAMPLE_SPEC = path.resolve(__dirname, '../examples/retail-weekly.json');

export async function demo(settings: Settings, argv: string[], log: (line: string) => void): Promise<number> {
  const sample = path.join(settings.home, 'sample');
  const manifestFile = path.join(sample, 'manifest.json');
  if (!existsSync(manifestFile)) {
    log(`Generating the sample retail week into ${sample}...`);
    const code = await datagen(['--out', sample, ...argv], log);
    if (code !== 0) return code;
  }
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { week: string };
  const spec = await loadSpecFile(EXAMPLE_SPEC);
  spec.dataRoot = sample;
  spec.output = { ...(spec.output as object), root: path.join(settings.home, 'output') };
  return runSpec(settings, spec, { week: manifest.week }, log);
}
