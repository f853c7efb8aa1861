/** `tributary datagen`: writes the sample retail week (see datagen/) where the user asks. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DATAGEN_DEFAULTS, datagenProblems, generateRetailWeek } from '../datagen';

const USAGE = `Usage: tributary datagen [--out DIR] [--regions N] [--stores N] [--products N] [--days 1-7]
                        [--seed N] [--week YYYY-MM-DD] [--substitution-share 0..1] [--stockout-rate 0..1]
Defaults: --out .tributary/sample, ${Object.entries(DATAGEN_DEFAULTS)
  .map(([k, v]) => `${k} ${v}`)
  .join(', ')}.
Rows per region: transactions about days x stores x products, stock exactly that.`;

export async function datagen(argv: string[], log: (line: string) => void): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const flags = [
      'out',
      'regions',
      'stores',
      'products',
      'days',
      'seed',
      'week',
      'substitution-share',
      'stockout-rate',
    ];
    values = parseArgs({
      args: argv,
      options: { ...Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }])), help: { type: 'boolean' } },
    }).values;
  } catch (err) {
    log(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const number = (flag: string, fallback: number) =>
    typeof values[flag] === 'string' ? Number(values[flag]) : fallback;
  const options = {
    regions: number('regions', DATAGEN_DEFAULTS.regions),
    stores: number('stores', DATAGEN_DEFAULTS.stores),
    products: number('products', DATAGEN_DEFAULTS.products),
    days: number('days', DATAGEN_DEFAULTS.days),
    seed: number('seed', DATAGEN_DEFAULTS.seed),
    week: typeof values.week === 'string' ? values.week : DATAGEN_DEFAULTS.week,
    substitutionShare: number('substitution-share', DATAGEN_DEFAULTS.substitutionShare),
    stockoutRate: number('stockout-rate', DATAGEN_DEFAULTS.stockoutRate),
  };
  const problems = datagenProblems(options);
  if (problems.length > 0) {
    log(`tributary datagen: ${problems.join('; ')}\n${USAGE}`);
    return 2;
  }
  const out = path.resolve(typeof values.out === 'string' ? values.out : '.tributary/sample');
  const started = Date.now();
  log(
    `Writing ${options.regions} regions x ${options.stores} stores x ${options.products} products x ${options.days} days (seed ${options.seed}) to ${out}`,
  );
  const manifest = await generateRetailWeek({ ...options, out }, log);
  log(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s; planted effects in ${path.join(out, 'manifest.json')} (week ${manifest.week})`,
  );
  return 0;
}
