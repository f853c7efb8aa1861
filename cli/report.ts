/**
 * `tributary report <workflow-id> [--out FILE]`: writes the run's page (a timeline of every
 * dataset's stages, attempts and failures, and the run's totals) as one self-contained HTML file,
 * read back from the run's Temporal histories. Works on finished and running runs alike.
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connectionProblem, isSecured } from '../runtime/connection';
import type { Settings } from '../runtime/settings';
import { connectClient } from './client';
import { writeRunPage } from './htmlReport/load';

export async function report(settings: Settings, argv: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' } } });
  const id = positionals[0];
  if (!id) {
    log('Usage: tributary report <workflow-id> [--out FILE]');
    return 2;
  }
  // Reading a run needs the server that ran it: starting an empty dev server would not help.
  const problem = await connectionProblem(settings, 2_000);
  if (problem !== undefined) {
    // With TLS or an API key the cause (certificate, CA, key) is what helps; plain, the server is just not there.
    log(isSecured(settings) ? problem : `No Temporal server answers at ${settings.address}: the page is read from the run's history on its server. Start it (npx tributary server) or set TEMPORAL_ADDRESS.`);
    return 2;
  }
  const { client, close } = await connectClient(settings);
  try {
    const { file, report: runReport } = await writeRunPage(client, settings, id, values.out);
    process.stdout.write(`${file}\n`);
    if (!runReport) log(`${id} has no report yet (still running, or ended without one): the page shows the timeline so far.`);
    return 0;
  } catch (err) {
    // fetchHistory passes the server's NOT_FOUND (gRPC code 5) through as is.
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
      log(`No run ${id} in namespace ${settings.namespace} at ${settings.address}.`);
      return 2;
    }
    throw err;
  } finally {
    await close();
  }
}
