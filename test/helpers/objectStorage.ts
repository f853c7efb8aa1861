/**
 * Object storage in tests: the suite's MinIO (test/globalSetup.ts) reached the way workers reach
 * any S3, through the AWS variables of the environment; each test works under a prefix of its own.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import type { MinioServer } from '../../runtime/minio';
import { joinPath, storageFor } from '../../storage';
import { filesUnder } from './weekly';

/** The AWS variables that point the S3 storage at a MinIO. */
export const awsEnvFor = (s3: { endpoint: string; accessKey: string; secretKey: string }) => ({
  AWS_ENDPOINT_URL: s3.endpoint,
  AWS_ACCESS_KEY_ID: s3.accessKey,
  AWS_SECRET_ACCESS_KEY: s3.secretKey,
  AWS_REGION: 'us-east-1',
});

export async function createBucket(minio: Pick<MinioServer, 'endpoint' | 'accessKey' | 'secretKey'>, bucket: string) {
  const client = new S3Client({
    endpoint: minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
}

/** Points this process's S3 storage at the suite's MinIO; returns a fresh `s3://bucket/<prefix>` for a test. */
export function suiteObjectStorage(): { root: (name: string) => string; env: Record<string, string> } {
  const s3 = inject('s3');
  const env = awsEnvFor(s3);
  Object.assign(process.env, env);
  return { root: (name) => `s3://${s3.bucket}/${name}-${randomUUID().slice(0, 8)}`, env };
}

/** Puts every file under the local folder `dir` at the same relative key under `root` (s3://…). */
export async function uploadTree(dir: string, root: string): Promise<void> {
  const files = await filesUnder(dir);
  await Promise.all(
    files.map(async (f) => storageFor(root).write(joinPath(root, f), await readFile(path.join(dir, f)))),
  );
}
