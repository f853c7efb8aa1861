/**
 * `tributary report <workflow-id> [--out FILE]`: writes the run's page (a timeline of every
 * dataset's stages, attempts and failures, and the run's totals) as one self-contained HTML file,
 * read back from the run's Temporal histories. Works on finished and running runs alike.
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Settings } from '../runtime/settings';
import { withRunServer } from './client';
import { writeRunPage } from './htmlReport/load';

export async function report(settings: Settings, argv: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' } },
  });
  const id = positionals[0];
  if (!id) {
    log('Usage: tributary report <workflow-id> [--out FILE]');
    return 2;
  }
  // Reading a run needs the server that ran it: starting an empty dev server would not help.
  return withRunServer(settings, log, "the page is read from the run's history on its server", async (client) => {
    try {
      const { file, report: runReport } = await writeRunPage(client, settings, id, values.out);
      process.stdout.write(`${file}\n`);
      if (!runReport)
        log(`${id} has no report yet (still running, or ended without one): the page shows the timeline so far.`);
      return 0;
    } catch (err) {
      // fetchHistory passes the server's NOT_FOUND (gRPC code 5) through as is.
      if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
        log(`No run ${id} in namespace ${settings.namespace} at ${settings.address}.`);
        return 2;
      }
      throw err;
    }
  });
}
