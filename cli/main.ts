/** The `tributary` command: one function per sub-command, dispatched by name. */
import { loadSettings } from '../runtime/settings';
import { ensureTemporalCli } from '../runtime/temporalCli';
import { runServerForeground, stopBackgroundServer } from '../runtime/devServer';
import { runWorker } from '../workers/worker';
import { demo } from './demo';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const USAGE = `Usage: tributary <command>

Commands:
  demo            Run the sample job on the embedded local Temporal dev server (starts it if needed)
  server          Run the local Temporal dev server in the foreground (state kept in .tributary/)
  server stop     Stop a dev server that another command started in the background
  worker          Run a worker on the configured task queue until SIGINT/SIGTERM
  ensure-cli      Find the Temporal CLI, building it with Go if it is missing, and print its path

Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default),
TRIBUTARY_TASK_QUEUE (tributary), TRIBUTARY_HOME (.tributary), TEMPORAL_CLI_PATH.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const settings = loadSettings();
  switch (command) {
    case 'demo':
      return demo(settings, rest, log);
    case 'server':
      if (rest[0] === 'stop') {
        await stopBackgroundServer(settings, log);
        return 0;
      }
      return runServerForeground(settings, log);
    case 'worker':
      log(`Worker polling task queue "${settings.taskQueue}" at ${settings.address} (Ctrl+C to stop).`);
      await runWorker({ address: settings.address, namespace: settings.namespace, taskQueue: settings.taskQueue });
      return 0;
    case 'ensure-cli':
      process.stdout.write(`${await ensureTemporalCli(log)}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 1 : 0;
    default:
      log(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}
