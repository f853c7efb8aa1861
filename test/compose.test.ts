/**
 * docker-compose.yml, checked without a Docker engine: compose-go (the library `docker compose`
 * uses) validates it against the Compose specification and resolves it; the test then checks the
 * deployment's shape: what each service runs, what it waits for, the ports, the shared volume,
 * and that the workers reach the server and shut down gracefully. Images are not pulled here.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: { target: number; published: string }[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: { source: string; target: string }[];
  healthcheck?: { test: string[] };
  restart?: string;
  stop_grace_period?: string;
}
let services: Record<string, Service>;

beforeAll(async () => {
  // Built once into the Go cache; the compose-go module comes from the Go module proxy.
  const tool = path.join(ROOT, 'node_modules', '.cache', 'compose-check');
  await run('go', ['build', '-o', tool, '.'], {
    cwd: path.join(ROOT, 'tools/compose-check'),
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const { stdout } = await run(tool, [path.join(ROOT, 'docker-compose.yml')], {
    env: { ...process.env, POSTGRES_PASSWORD: '' },
  });
  services = (JSON.parse(stdout) as { services: Record<string, Service> }).services;
}, 300_000);

describe('docker-compose.yml', () => {
  it('is a valid Compose file with PostgreSQL, its schema job, the server, the namespace job, the Web UI, workers and the CLI', () => {
    expect(Object.keys(services).sort()).toEqual([
      'postgresql',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'tributary',
      'worker',
    ]);
    expect(services.postgresql?.image).toMatch(/^postgres:\d+$/);
    expect(services.temporal?.image).toBe('temporalio/server:1.29.1');
    expect(services['temporal-schema']?.image).toBe('temporalio/admin-tools:1.29.1');
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:2\./);
  });

  it('starts each part only when what it needs is ready', () => {
    expect(services['temporal-schema']?.depends_on?.postgresql?.condition).toBe('service_healthy');
    expect(services.temporal?.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
    expect(services.worker?.depends_on?.['temporal-namespace']?.condition).toBe('service_completed_successfully');
    expect(services.postgresql?.healthcheck?.test.join(' ')).toContain('pg_isready');
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'worker'])
      expect(services[name]?.restart, name).toBe('unless-stopped');
  });

  it('publishes the gRPC frontend on 7233 and the Web UI on 8080, and points everything at the server', () => {
    expect(services.temporal?.ports?.map((p) => [p.target, p.published])).toEqual([[7233, '7233']]);
    expect(services['temporal-ui']?.ports?.map((p) => [p.target, p.published])).toEqual([[8080, '8080']]);
    expect(services.temporal?.environment).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgresql',
      DB_PORT: '5432',
    });
    for (const name of ['temporal-ui', 'worker', 'tributary', 'temporal-namespace'])
      expect(services[name]?.environment?.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
  });

  it('builds the workers from the repo’s Dockerfile, shares the data volume, exposes metrics and stops gracefully', () => {
    const worker = services.worker!;
    expect(worker.build?.dockerfile).toBe('Dockerfile');
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
    expect(worker.volumes?.map((v) => [v.source, v.target])).toEqual([['data', '/data']]);
    expect(services.tributary?.volumes?.map((v) => [v.source, v.target])).toEqual([['data', '/data']]);
    // The endpoint binds loopback unless told otherwise: scraped from other containers, it must bind them all.
    expect(worker.environment).toMatchObject({
      TRIBUTARY_TASK_QUEUE: 'tributary',
      TRIBUTARY_METRICS_PORT: '9464',
      TRIBUTARY_METRICS_HOST: '0.0.0.0',
    });
    expect(worker.healthcheck?.test.join(' ')).toContain('9464/metrics');
    // The grace period docker gives before SIGKILL must exceed the worker's own shutdown grace.
    expect(worker.stop_grace_period).toBe('1m0s');
    expect(worker.environment?.TRIBUTARY_SHUTDOWN_GRACE).toBe('50s');
  });

  it('the Dockerfile copies every source folder the worker imports', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    for (const dir of [
      'activities',
      'cli',
      'common',
      'datagen',
      'metrics',
      'runtime',
      'pipeline',
      'workers',
      'workflows',
      'bin',
      'examples',
    ]) {
      expect(dockerfile, dir).toContain(`COPY ${dir} ./${dir}`);
    }
  });
});
