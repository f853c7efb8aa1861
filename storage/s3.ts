/**
 * Storage on S3-compatible object storage (storage/index.ts), `s3://bucket/key`. Endpoint, region
 * and credentials come from the environment, the AWS way (AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files): never from a spec or
 * a workflow input, so no secret reaches a workflow history. A custom endpoint (MinIO) is addressed
 * path-style. Errors say which bucket, which operation and what to fix; those no retry can fix
 * (credentials, missing bucket, denied access) are non-retryable, the rest (throttling, 5xx,
 * connection resets) retryable per the stage's policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import type * as AwsS3 from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ExclusiveOptions, ObjectInfo, Storage } from './types';

/** The SDK, loaded on first use: local runs never load it (about 100 ms). */
type Sdk = typeof AwsS3;
let sdk: Promise<Sdk> | undefined;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-s3'));

/** The HTTP status of an SDK error, if it has one. */
const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** `s3://bucket/a/b` → bucket and key `a/b`. */
export function parseS3(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw ApplicationFailure.nonRetryable(`Not an s3:// location: "${url}"`, 'InvalidSpec');
  return { bucket: m[1]!, key: m[2]! };
}

/** The settings the client is built from, as the environment gives them (for messages and tests). */
export function s3Settings(env: NodeJS.ProcessEnv = process.env) {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  return { endpoint, region };
}

/**
 * What polars needs to read or write `s3://` itself (scanParquet, sinkParquet): the same endpoint,
 * region and keys, from the worker's environment. Only ever built in the worker: never put it in
 * a workflow input, an activity argument or a result (it holds the secret key).
 */
export function polarsCloudOptions(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const { endpoint, region } = s3Settings(env);
  return {
    aws_region: region,
    ...(endpoint && { aws_endpoint_url: endpoint, aws_allow_http: String(endpoint.startsWith('http://')) }),
    ...(env.AWS_ACCESS_KEY_ID && { aws_access_key_id: env.AWS_ACCESS_KEY_ID }),
    ...(env.AWS_SECRET_ACCESS_KEY && { aws_secret_access_key: env.AWS_SECRET_ACCESS_KEY }),
    ...(env.AWS_SESSION_TOKEN && { aws_session_token: env.AWS_SESSION_TOKEN }),
    ...(env.AWS_PROFILE && { aws_profile: env.AWS_PROFILE }),
  };
}

const NOT_RETRYABLE: Record<string, string> = {
  NoSuchBucket: 'the bucket does not exist: create it, or fix the s3:// location in the spec',
  AccessDenied: "the credentials may not do this: grant the worker's identity access to the bucket",
  InvalidAccessKeyId: 'the access key is unknown: fix AWS_ACCESS_KEY_ID (or the profile, AWS_PROFILE)',
  SignatureDoesNotMatch: 'the secret key does not match: fix AWS_SECRET_ACCESS_KEY (or the profile, AWS_PROFILE)',
  InvalidBucketName: 'the bucket name is not valid: fix the s3:// location in the spec',
  CredentialsProviderError: 'no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE',
};

/** A failure naming the bucket, the operation and the fix. */
export function s3Failure(err: unknown, operation: string, url: string): Error {
  const name = (err as { name?: string }).name ?? 'Error';
  const status = statusOf(err);
  const { bucket } = parseS3(url);
  const where = `${operation} ${url} (bucket ${bucket}, endpoint ${s3Settings().endpoint ?? 'AWS'})`;
  const fix = NOT_RETRYABLE[name] ?? (status === 403 ? NOT_RETRYABLE.AccessDenied : undefined);
  const message = `Object storage refused ${where}: ${name}${status ? ` (HTTP ${status})` : ''}: ${(err as Error).message}`;
  if (fix) return ApplicationFailure.nonRetryable(`${message}. To fix: ${fix}`, `S3${name}`);
  // Throttling, 5xx, resets: the stage's retry policy tries again.
  return ApplicationFailure.retryable(`${message}; retried per the stage's retry policy`, 'ObjectStorageUnavailable');
}

/**
 * A failure polars met reaching object storage itself (scanParquet, sinkParquet: "object-store
 * error: …", after its own retries): a connection, throttling or server fault, not the file's
 * content, so the stage's retry policy tries again. Undefined for any other error.
 */
export function polarsStorageFailure(what: string, err: unknown): ApplicationFailure | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (!/object-store error/i.test(message)) return undefined;
  const retried = "retried per the stage's retry policy";
  return ApplicationFailure.retryable(
    `Object storage failed while polars read ${what}: ${message}; ${retried}`,
    'ObjectStorageUnavailable',
  );
}

const isMissing = (err: unknown) => {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
};

export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  private made: Promise<{ client: S3Client; sdk: Sdk }> | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The client, made on first use from the environment given (the process's by default). */
  private async s3(): Promise<{ client: S3Client; sdk: Sdk }> {
    this.made ??= loadSdk().then((loaded) => {
      const { endpoint, region } = s3Settings(this.env);
      const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = this.env;
      // Keys given in this environment; else the SDK's chain (process env, profiles, SSO, instance roles).
      const credentials =
        accessKeyId && secretAccessKey
          ? {
              accessKeyId,
              secretAccessKey,
              ...(this.env.AWS_SESSION_TOKEN && { sessionToken: this.env.AWS_SESSION_TOKEN }),
            }
          : undefined;
      const client = new loaded.S3Client({
        region,
        ...(endpoint && { endpoint, forcePathStyle: true }),
        ...(credentials && { credentials }),
      });
      return { client, sdk: loaded };
    });
    return this.made;
  }

  private async call<T>(operation: string, url: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw s3Failure(err, operation, url);
    }
  }

  async stat(url: string): Promise<ObjectInfo | undefined> {
    const { bucket, key } = parseS3(url);
    const { client, sdk: s } = await this.s3();
    try {
      const head = await client.send(new s.HeadObjectCommand({ Bucket: bucket, Key: key }));
      const version = head.VersionId ?? head.ETag ?? '';
      const modified = head.LastModified && { modifiedMs: head.LastModified.getTime() };
      return { path: url, size: head.ContentLength ?? 0, version, ...modified };
    } catch (err) {
      if (isMissing(err)) return this.missing(url);
      throw s3Failure(statusOf(err) === 403 ? await this.whyRefused(url, err) : err, 'HEAD', url);
    }
  }

  /** Undefined for a missing key; a missing bucket, which a HEAD answers the same way (404, no body), fails naming it. */
  private async missing(url: string): Promise<undefined> {
    const { client, sdk: s } = await this.s3();
    const bucket = parseS3(url).bucket;
    const refused = await client.send(new s.HeadBucketCommand({ Bucket: bucket })).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (refused === undefined) return undefined;
    const noBucket = { name: 'NoSuchBucket', message: 'The bucket does not exist', $metadata: { httpStatusCode: 404 } };
    throw s3Failure(statusOf(refused) === 404 ? noBucket : refused, 'HEAD', url);
  }

  /**
   * Why a HEAD was refused (403 with no body: a wrong key, a wrong secret and no permission look
   * alike): a one-key listing of the same place answers with the reason. The HEAD's error if it does not.
   */
  private async whyRefused(url: string, refused: unknown): Promise<unknown> {
    const { bucket, key } = parseS3(url);
    const { client, sdk: s } = await this.s3();
    return client.send(new s.ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 })).then(
      () => refused,
      (err: unknown) => (statusOf(err) === 403 ? err : refused),
    );
  }

  async read(url: string): Promise<Buffer | undefined> {
    const { bucket, key } = parseS3(url);
    const { client, sdk: s } = await this.s3();
    try {
      const got = await client.send(new s.GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await got.Body!.transformToByteArray());
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw s3Failure(err, 'GET', url);
    }
  }

  async readRange(url: string, offset: number, length: number): Promise<Buffer> {
    const { bucket, key } = parseS3(url);
    const { client, sdk: s } = await this.s3();
    return this.call('GET (range)', url, async () => {
      const range = `bytes=${offset}-${offset + length - 1}`;
      const got = await client.send(new s.GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
      return Buffer.from(await got.Body!.transformToByteArray());
    });
  }

  async write(url: string, body: string | Buffer): Promise<void> {
    const { bucket, key } = parseS3(url);
    const { client, sdk: s } = await this.s3();
    await this.call('PUT', url, () => client.send(new s.PutObjectCommand({ Bucket: bucket, Key: key, Body: body })));
  }

  async createExclusive(url: string, body: string | Buffer, options: ExclusiveOptions = {}): Promise<boolean> {
    const { bucket, key } = parseS3(url);
    const { client, sdk: s } = await this.s3();
    await options.written?.();
    try {
      await client.send(new s.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*' }));
      return true;
    } catch (err) {
      const status = statusOf(err);
      // 412: there is one; 409: another conditional put of the same key is under way (it wins).
      if (status === 412 || status === 409) return false;
      throw s3Failure(err, 'PUT (if none)', url);
    }
  }

  async list(dir: string): Promise<ObjectInfo[]> {
    const { bucket, key } = parseS3(dir);
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const { client, sdk: s } = await this.s3();
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('LIST', dir, () =>
        client.send(new s.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? [])
        found.push({
          path: `s3://${bucket}/${o.Key!}`,
          size: o.Size ?? 0,
          version: o.ETag ?? '',
          ...(o.LastModified && { modifiedMs: o.LastModified.getTime() }),
        });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  async children(dir: string): Promise<string[]> {
    const { bucket, key } = parseS3(dir);
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const { client, sdk: s } = await this.s3();
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.call('LIST', dir, () =>
        client.send(
          new s.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
        ),
      );
      for (const p of page.CommonPrefixes ?? []) names.add(p.Prefix!.slice(prefix.length).replace(/\/$/, ''));
      for (const o of page.Contents ?? []) names.add(o.Key!.slice(prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...names].filter((n) => n !== '').sort();
  }

  async removeTree(dir: string): Promise<void> {
    for (const o of await this.list(dir)) await this.remove(o.path);
  }

  async move(from: string, to: string): Promise<void> {
    const source = parseS3(from);
    const target = parseS3(to);
    const { client, sdk: s } = await this.s3();
    const copySource = `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`;
    await this.call('COPY', to, () =>
      client.send(new s.CopyObjectCommand({ Bucket: target.bucket, Key: target.key, CopySource: copySource })),
    );
    await this.remove(from);
  }

  async makeDir(): Promise<void> {
    // Object storage has no folders: nothing to prepare.
  }

  async pruneEmpty(): Promise<void> {
    // No folders to prune.
  }

  async remove(url: string): Promise<void> {
    const { bucket, key } = parseS3(url);
    const { client, sdk: s } = await this.s3();
    await this.call('DELETE', url, () => client.send(new s.DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }
}
