/**
 * Once per suite, before any test file: one real Temporal dev server (the CLI binary, in-memory
 * state), one real MinIO (S3 on loopback, with a bucket) and one workflow bundle (Tributary's workflows and the test-only ones), both handed to the
 * test files through `inject` (test/helpers/temporal.ts). Each test runs on a task queue of its own,
 * so files share the server safely. Tests that stop or restart a server start their own (DevServer).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { ensureMinio, startMinio } from '../runtime/minio';
import { DevServer } from './helpers/devServer';
import { createBucket } from './helpers/objectStorage';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the suite's shared dev server. */
    temporalAddress: string;
    /** A file holding the test workflow bundle (test/workflows/index.ts), for `workflowBundle: { codePath }`. */
    workflowBundlePath: string;
    /** The suite's MinIO on loopback and a bucket in it (test/helpers/objectStorage.ts). */
    s3: { endpoint: string; accessKey: string; secretKey: string; bucket: string };
  }
}

export const TEST_WORKFLOWS_PATH = path.resolve(__dirname, 'workflows/index.ts');

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-suite-'));
  const [server, bundle, minio] = await Promise.all([
    DevServer.start(),
    bundleWorkflowCode({ workflowsPath: TEST_WORKFLOWS_PATH, logger: quietLogger }),
    // Built once per machine (about 5 minutes of CPU) when missing, like the Temporal CLI.
    ensureMinio().then((binary) => startMinio(binary, path.join(dir, 'minio'))),
  ]);
  const bucket = 'tributary-test';
  await createBucket(minio, bucket);
  project.provide('s3', { endpoint: minio.endpoint, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket });
  const bundlePath = path.join(dir, 'workflows.bundle.js');
  await writeFile(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await Promise.all([server.stop(), minio.stop()]);
    await rm(dir, { recursive: true, force: true });
  };
}
