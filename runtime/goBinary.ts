/**
 * Building a Go program once per user, from the Go module proxy, into `~/.cache/tributary/<name>/<version>/bin`
 * (outside the repo: every clone on the machine reuses it): the Temporal CLI (runtime/temporalCli.ts)
 * and MinIO (runtime/minio.ts). Progress goes to `log` every 30 s; without Go, the caller's message
 * says what to install instead.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GoProgram {
  /** The cache folder's name and what messages call it, e.g. "temporal-cli", "the Temporal CLI". */
  cacheName: string;
  title: string;
  /** `go install` target and version, e.g. github.com/temporalio/cli/cmd/temporal, v1.5.1. */
  goPackage: string;
  version: string;
  /** The binary's file name. */
  binary: string;
  /** The first build's usual length, for the message: "a few minutes". */
  takes: string;
}

/** Where a built program is cached. */
export function goCacheDir(program: GoProgram, env: NodeJS.ProcessEnv = process.env): string {
  const cacheRoot = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheRoot, 'tributary', program.cacheName, program.version, 'bin');
}

/** Whether `binary --version` runs and says `says` (e.g. /temporal version/i): the binary works. */
export async function answersVersion(binary: string, says: RegExp): Promise<boolean> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 20_000 });
    return says.test(stdout);
  } catch {
    return false;
  }
}

export async function goAvailable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return run('go', ['version'], { timeout: 20_000, env }).then(
    () => true,
    () => false,
  );
}

/**
 * Builds the program with `go install` into its cache folder and returns the binary's path;
 * `fail` makes the caller's error from a message. Call only when Go is there (goAvailable).
 */
export async function goInstall(
  program: GoProgram,
  log: (line: string) => void,
  fail: (message: string) => Error,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ binary: string; seconds: number }> {
  const gobin = goCacheDir(program, env);
  await mkdir(gobin, { recursive: true });
  log(
    `Building ${program.title} ${program.version} with Go into ${gobin} ` +
      `(first time only; this takes ${program.takes})...`,
  );
  const started = Date.now();
  const ticker = setInterval(() => log(`  still building... ${Math.round((Date.now() - started) / 1000)}s`), 30_000);
  const target = `${program.goPackage}@${program.version}`;
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', ['install', target], {
        env: { ...env, GOBIN: gobin },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(fail(`\`go install ${target}\` exited with ${code}`)),
      );
    });
  } finally {
    clearInterval(ticker);
  }
  return { binary: path.join(gobin, program.binary), seconds: Math.round((Date.now() - started) / 1000) };
}
