/**
 * Payload encryption (runtime/codec.ts): the codec on its own, then a real run on a dev server with
 * the codec in the client and the worker, its history read back by a client without the codec.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  encryptionFromEnv,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../runtime/codec';
import { decodeHistoryPayloads } from '../cli/htmlReport/decode';
import { connectClient, connectNative, dataConverterFor } from '../runtime/connection';
import { loadSettings } from '../runtime/settings';
import type { scanFiles } from './workflows';
import { tempDir, writeNumberedFiles } from './helpers/parquet';
import { sharedServerAddress, startWorker, taskQueueFor } from './helpers/temporal';

const KEY = randomBytes(32).toString('base64');
const OTHER_KEY = randomBytes(32).toString('base64');
const json = (value: unknown): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});
const codec = (key: string, id: string) =>
  new EncryptionCodec(encryptionFromEnv({ TRIBUTARY_ENCRYPTION_KEY: key, TRIBUTARY_ENCRYPTION_KEY_ID: id })!);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString();

describe('EncryptionCodec', () => {
  it('round-trips payloads, storing only ciphertext, the encoding and the key id', async () => {
    const original = json({ dataRoot: '/srv/sales/secret-region' });
    const [sealed] = await codec(KEY, 'k1').encode([original]);
    expect(text(sealed!.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed!.metadata?.[KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(sealed!.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(text(sealed!.data)).not.toContain('secret-region');
    const [again] = await codec(KEY, 'k1').encode([original]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(sealed!.data!))).toBe(false); // a fresh nonce each time
    const [opened] = await codec(KEY, 'k1').decode([sealed!]);
    expect(text(opened!.metadata?.encoding)).toBe('json/plain');
    expect(JSON.parse(text(opened!.data))).toEqual({ dataRoot: '/srv/sales/secret-region' });
  });

  it('passes unencrypted payloads through (histories from before encryption was on)', async () => {
    const plain = json(1);
    expect(await codec(KEY, 'k1').decode([plain])).toEqual([plain]);
  });

  it('refuses another key id, a wrong key and altered data, naming the key id', async () => {
    const [sealed] = await codec(KEY, 'k1').encode([json('x')]);
    await expect(codec(KEY, 'k2').decode([sealed!])).rejects.toThrow(
      'A payload is encrypted with key id "k1", but this process has key id "k2"',
    );
    await expect(codec(OTHER_KEY, 'k1').decode([sealed!])).rejects.toThrow(
      'A payload encrypted with key id "k1" does not decrypt with this process\'s key of that id: TRIBUTARY_ENCRYPTION_KEY is not the key it was written with',
    );
    const altered = Buffer.from(sealed!.data!);
    altered[20]! ^= 1;
    await expect(codec(KEY, 'k1').decode([{ ...sealed!, data: altered }])).rejects.toBeInstanceOf(
      PayloadDecryptionError,
    );
    // The key id is authenticated: relabelling a payload does not make another key's id open it.
    const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec(KEY, 'k2').decode([relabelled])).rejects.toThrow('key id "k2" does not decrypt');
  });

  it('reads the key from the environment: off when unset, clear errors when malformed, never echoing the key', () => {
    expect(encryptionFromEnv({})).toBeUndefined();
    expect(encryptionFromEnv({ TRIBUTARY_ENCRYPTION_KEY: KEY })?.id).toMatch(/^sha256-[0-9a-f]{12}$/);
    const short = randomBytes(16).toString('base64');
    expect(() => encryptionFromEnv({ TRIBUTARY_ENCRYPTION_KEY: short })).toThrow(
      'must be 32 random bytes in base64 (44 characters, e.g. from `openssl rand -base64 32`); it decodes to 16 bytes',
    );
    expect(() => encryptionFromEnv({ TRIBUTARY_ENCRYPTION_KEY: short })).not.toThrow(short);
    expect(() => encryptionFromEnv({ TRIBUTARY_ENCRYPTION_KEY: 'not base64!' })).toThrow('it is not base64');
    expect(() => encryptionFromEnv({ TRIBUTARY_ENCRYPTION_KEY_ID: 'k1' })).toThrow(
      'TRIBUTARY_ENCRYPTION_KEY_ID is set but TRIBUTARY_ENCRYPTION_KEY is not',
    );
    expect(dataConverterFor(loadSettings({}))).toBeUndefined();
  });
});

/** Every payload object anywhere in a history (inputs, results, activity arguments). */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (value && typeof value === 'object') {
    if ('metadata' in value && 'data' in value && (value as Payload).metadata?.encoding) found.push(value as Payload);
    else for (const child of Object.values(value)) payloadsIn(child, found);
  }
  return found;
}

describe('encryption on a real run', () => {
  let dir: string;
  let address: string;
  let file: string;
  beforeAll(async () => {
    dir = await tempDir('tributary-codec-');
    address = await sharedServerAddress();
    file = (await writeNumberedFiles(dir, [25]))[0]!;
  });

  const env = (extra: Record<string, string> = {}) => ({ TEMPORAL_ADDRESS: address, TRIBUTARY_HOME: dir, ...extra });

  it('runs with the codec in client and worker; the history holds only encrypted payloads; a wrong key fails naming the key id', async () => {
    const settings = loadSettings(
      env({ TRIBUTARY_ENCRYPTION_KEY: KEY, TRIBUTARY_ENCRYPTION_KEY_ID: 'tributary-test-1' }),
    );
    const encrypted = await connectClient(settings);
    const plain = await connectClient(loadSettings(env()));
    const wrongKey = await connectClient(
      loadSettings(env({ TRIBUTARY_ENCRYPTION_KEY: OTHER_KEY, TRIBUTARY_ENCRYPTION_KEY_ID: 'tributary-test-1' })),
    );
    let native: NativeConnection | undefined;
    try {
      native = await connectNative(settings);
      const taskQueue = taskQueueFor('encrypted');
      const worker = await startWorker({ connection: native, taskQueue, dataConverter: dataConverterFor(settings) });
      const handle = await encrypted.client.workflow.start<typeof scanFiles>('scanFiles', {
        taskQueue,
        workflowId: taskQueue,
        args: [{ files: [file] }],
      });
      // A worker without the codec could not read its input and would retry forever: bound the wait.
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the encrypted run did not finish within 60 s')), 60_000).unref(),
      );
      const result = await worker.runUntil(Promise.race([handle.result(), timeout]));
      expect(result.totalRows).toBe(25);

      const history = await plain.client.workflow.getHandle(taskQueue).fetchHistory();
      const payloads = payloadsIn(history.events);
      expect(payloads.length).toBeGreaterThanOrEqual(4); // input, activity input and result, workflow result
      for (const p of payloads) {
        expect(text(p.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
        expect(text(p.metadata?.[KEY_ID_METADATA])).toBe('tributary-test-1');
        expect(text(p.data)).not.toContain(path.basename(file));
      }
      await expect(plain.client.workflow.getHandle(taskQueue).result()).rejects.toThrow(ENCRYPTED_ENCODING);
      await expect(wrongKey.client.workflow.getHandle(taskQueue).result()).rejects.toThrow(
        'key id "tributary-test-1" does not decrypt',
      );

      // What the run page and `rerun` read from a history decodes with the client's codec.
      const events = (await encrypted.client.workflow.getHandle(taskQueue).fetchHistory()).events ?? [];
      await decodeHistoryPayloads(encrypted.client, events);
      const converter = encrypted.client.options.loadedDataConverter.payloadConverter;
      const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      expect(converter.fromPayload<{ files: string[] }>(input!)).toEqual({ files: [file] });
      const completed = events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
      expect(converter.fromPayload<{ totalRows: number }>(completed!).totalRows).toBe(25);
    } finally {
      await native?.close();
      await Promise.all([encrypted.close(), plain.close(), wrongKey.close()]);
    }
  });
});
