/**
 * MinIO, the S3-compatible server the tests and `tributary demo --storage s3` run on loopback: found
 * (MINIO_PATH, `minio` on PATH, the per-user cache) or built once from the Go module proxy (about
 * 4.5 min of CPU on 2 cores, a 150 MB binary), then started on a free port with a folder of its own
 * and stopped with its process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { answersVersion, goAvailable, goCacheDir, goInstall, type GoProgram } from './goBinary';

/** The MinIO commit we build (no releases are tagged as Go module versions; this pseudo-version is one). */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
const MINIO: GoProgram = {
  cacheName: 'minio',
  title: 'MinIO',
  goPackage: 'github.com/minio/minio',
  version: MINIO_VERSION,
  binary: 'minio',
  takes: 'about 5 minutes on 2 cores',
};

export class MinioNotFound extends Error {
  override name = 'MinioNotFound';
}

const runs = (binary: string) => answersVersion(binary, /minio version/i);

/** A working MinIO binary, built with `go install` the first time; progress goes to `log`. */
export async function ensureMinio(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (env.MINIO_PATH) {
    if (await runs(env.MINIO_PATH)) return env.MINIO_PATH;
    throw new MinioNotFound(`MINIO_PATH is set to "${env.MINIO_PATH}", but \`${env.MINIO_PATH} --version\` failed.`);
  }
  const cached = path.join(goCacheDir(MINIO, env), 'minio');
  if (existsSync(cached) && (await runs(cached))) return cached;
  if (!(await goAvailable(env))) {
    throw new MinioNotFound(
      'MinIO (the S3 server the object-storage tests and `demo --storage s3` run) was not found and Go is not ' +
        'installed to build it. Install Go (https://go.dev/dl), or put a MinIO server binary at MINIO_PATH.',
    );
  }
  const { binary, seconds } = await goInstall(MINIO, log, (m) => new MinioNotFound(m), env);
  if (!(await runs(binary))) throw new MinioNotFound(`Built ${binary}, but it does not run.`);
  log(`MinIO ready at ${binary} (built in ${seconds}s).`);
  return binary;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface MinioServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  dir: string;
  process: ChildProcess;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder (a server restarted mid-run). */
  restart(): Promise<void>;
}

/** Starts MinIO on a free loopback port, storing under `dir`; resolves once it answers. */
export async function startMinio(binary: string, dir: string, port?: number): Promise<MinioServer> {
  await mkdir(dir, { recursive: true });
  const listen = port ?? (await freePort());
  const accessKey = 'tributary';
  const secretKey = 'tributary-secret';
  const endpoint = `http://127.0.0.1:${listen}`;
  const launch = async (): Promise<ChildProcess> => {
    const consolePort = await freePort();
    const child = spawn(
      binary,
      ['server', dir, '--address', `127.0.0.1:${listen}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
      {
        env: { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`MinIO exited with code ${child.exitCode}: ${stderr}`);
      const live = await fetch(`${endpoint}/minio/health/live`).then(
        (r) => r.ok,
        () => false,
      );
      if (live) return child;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`MinIO did not answer at ${endpoint} within 60 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const stopping = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const server: MinioServer = {
    endpoint,
    accessKey,
    secretKey,
    dir,
    process: await launch(),
    stop: () => stopping(server.process),
    restart: async () => {
      await stopping(server.process);
      server.process = await launch();
    },
  };
  return server;
}
