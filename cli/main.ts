/** The `tributary` command: one function per sub-command, dispatched by name. */
import { loadSettings, type Settings } from '../runtime/settings';
import { installRuntime, logLine } from '../runtime/telemetry';
import { ensureTemporalCli } from '../runtime/temporalCli';
import { runServerForeground, stopBackgroundServer } from '../runtime/devServer';
import { cancel } from './cancel';
import { datagen } from './datagen';
import { demo } from './demo';
import { doctor } from './doctor';
import { explainFailure } from './failure';
import { gc } from './gc';
import { outputs } from './outputs';
import { report } from './report';
import { rerun } from './rerun';
import { run } from './run';
import { schedule } from './schedule';
import { worker } from './worker';

/** The commands' messages on stderr: text, or one JSON object per line with TRIBUTARY_LOG_FORMAT=json. */
const log = (line: string): void => logLine(line);

const USAGE = `Usage: tributary <command>

Commands:
  demo            The quick start: generate sample data, run the weekly load on the embedded dev server
  run <spec>      Validate a pipeline spec and run it (--week YYYY-MM-DD, --detach, --workflow-id ID)
  schedule <action> <spec>
                  The run on a Temporal Schedule, from the spec's "schedule" section:
                  create|update (--id, --cron, --paused), describe|pause|unpause|trigger|delete
                  (<spec> or --id ID), backfill --from YYYY-MM-DD --to YYYY-MM-DD (weeks of data)
  rerun <workflow-id>
                  Re-run only the datasets of an earlier run that failed or were late: same spec
                  and week, new run <id>-rerun-<n> (--include-cancelled, --detach, --workflow-id)
  cancel <workflow-id>
                  Cancel a run and see it through: with no worker polling, runs one here until it has closed
  outputs <week>  The week's committed snapshot: datasets, tables, files, rows, the run, when
                  (--spec FILE or --root DIR: the output root, default the demo's; --json; --verify)
  gc              Remove what runs left under the output root that no snapshot lists: superseded
                  files, files of runs that never committed (--spec/--root, --week, --dry-run)
  report <workflow-id>
                  Write a run's page: a timeline of every dataset's stages, attempts and failures,
                  and the totals, as one self-contained HTML file (--out FILE; default
                  <output root>/<week>/_report.html, which \`run\` also writes)
  doctor [spec]   Check the Temporal CLI, the server, the namespace and the workers; with a spec,
                  the spec, its data and the free space at the output root. Exit code 1 on a problem
  datagen         Write the sample retail week as parquet (--out, --regions, --stores, --products, --days, --seed)
  server          Run the local Temporal dev server in the foreground (state kept in .tributary/)
  server stop     Stop a dev server that another command started in the background
  worker          Run a worker on the configured task queue until SIGINT/SIGTERM
                  (--activities N: activities at once, default 4; --shutdown-grace 30s)
  ensure-cli      Find the Temporal CLI, building it with Go if it is missing, and print its path

Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default),
TRIBUTARY_TASK_QUEUE (tributary), TRIBUTARY_HOME (.tributary), TEMPORAL_CLI_PATH,
TRIBUTARY_DEV_SERVER (unset: a dev server only at the local default; 1: also at TEMPORAL_ADDRESS; 0: never),
TRIBUTARY_LOG_LEVEL (WARN; INFO for the worker command), TRIBUTARY_LOG_FORMAT=json (every
log line one JSON object), TRIBUTARY_METRICS_PORT (Prometheus /metrics of the worker runtime),
TRIBUTARY_METRICS_HOST (address it binds: 127.0.0.1; 0.0.0.0 to be scraped from elsewhere).`;

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    // The root cause and what to do, not just "Workflow execution failed".
    log(`tributary: ${explainFailure(err)}`);
    return 1;
  }
}

type Log = (line: string) => void;
type Command = (settings: Settings, args: string[], log: Log) => Promise<number>;

/** Every sub-command by name. */
const COMMANDS: Record<string, Command> = {
  demo,
  run,
  schedule,
  rerun,
  cancel,
  report,
  outputs,
  gc,
  doctor,
  datagen: (_settings, args, out) => datagen(args, out),
  server: async (settings, args, out) => {
    if (args[0] !== 'stop') return runServerForeground(settings, out);
    await stopBackgroundServer(settings, out);
    return 0;
  },
  worker,
  'ensure-cli': async (_settings, _args, out) => {
    process.stdout.write(`${await ensureTemporalCli(out)}\n`);
    return 0;
  },
};

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const settings = loadSettings();
  // An in-process worker (demo, run) logs warnings only, so the progress bar and report stay
  // readable; `tributary worker` logs at INFO. TRIBUTARY_LOG_LEVEL overrides both.
  installRuntime(command);
  if (command !== undefined && Object.hasOwn(COMMANDS, command)) return COMMANDS[command]!(settings, rest, log);
  if (command === undefined || ['help', '--help', '-h'].includes(command)) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 1 : 0;
  }
  log(`Unknown command "${command}".\n\n${USAGE}`);
  return 2;
}
