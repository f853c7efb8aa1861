/**
 * Finds the Temporal CLI binary, building it once from the Go module proxy when it is missing.
 *
 * Order: TEMPORAL_CLI_PATH, then `temporal` on PATH (if it runs), then the per-user cache,
 * then `go install` into that cache. Nothing is downloaded from outside the package registries:
 * @temporalio/testing's own download is never used.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { answersVersion, goAvailable, goCacheDir, goInstall, type GoProgram } from './goBinary';

/** The CLI version we build: later versions carry a `replace` in go.mod and cannot be go-installed. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export class TemporalCliNotFound extends Error {
  override name = 'TemporalCliNotFound';
}

const CLI: GoProgram = {
  cacheName: 'temporal-cli',
  title: 'the Temporal CLI',
  goPackage: GO_PACKAGE,
  version: TEMPORAL_CLI_VERSION,
  binary: 'temporal',
  takes: 'a few minutes',
};

/** Where a built CLI is cached: outside the repo, so every clone on the machine reuses it. */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return goCacheDir(CLI, env);
}

/** The absolute path of `temporal` on PATH, if any (callers such as @temporalio/testing need a path). */
function whichTemporal(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const runs = (binary: string) => answersVersion(binary, /temporal version/i);

/** Returns the path of a working Temporal CLI, or undefined if none is installed yet. */
export async function findTemporalCli(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (await runs(explicit)) return explicit;
    throw new TemporalCliNotFound(
      `TEMPORAL_CLI_PATH is set to "${explicit}", but that is not a working Temporal CLI ` +
        `(\`${explicit} --version\` failed). Fix or unset TEMPORAL_CLI_PATH.`,
    );
  }
  const onPath = whichTemporal(env);
  if (onPath && (await runs(onPath))) return onPath;
  const cached = path.join(cliCacheDir(env), 'temporal');
  if (existsSync(cached) && (await runs(cached))) return cached;
  return undefined;
}

/**
 * Returns a working Temporal CLI, building it with `go install` if needed.
 * The first build takes a few minutes (about 3 on a 2-core machine); progress goes to `log`.
 */
export async function ensureTemporalCli(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const found = await findTemporalCli(env);
  if (found) return found;

  if (!(await goAvailable(env))) {
    throw new TemporalCliNotFound(
      'The Temporal CLI was not found and Go is not installed to build it.\n' +
        'Either install the CLI (https://docs.temporal.io/cli, or `brew install temporal`) and put it on PATH,\n' +
        'set TEMPORAL_CLI_PATH to its path, or install Go (https://go.dev/dl) and run this again.',
    );
  }
  const { binary: built, seconds } = await goInstall(CLI, log, (m) => new TemporalCliNotFound(m), env);
  if (!(await runs(built))) throw new TemporalCliNotFound(`Built ${built}, but it does not run.`);
  log(`Temporal CLI ready at ${built} (built in ${seconds}s).`);
  return built;
}
