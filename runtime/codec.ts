/**
 * Optional payload encryption: a Temporal PayloadCodec that seals every payload (workflow and
 * activity inputs, results, queries) with AES-256-GCM before it leaves this process, so the
 * Temporal server and its database only ever store ciphertext. It runs in the client and the
 * worker (never inside the workflow sandbox), and only when TRIBUTARY_ENCRYPTION_KEY is set.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12; // the GCM standard nonce size
const TAG_BYTES = 16;

export interface EncryptionKey {
  /** Stored in each payload's metadata, so a payload names the key it needs. */
  id: string;
  key: Buffer;
}

export class EncryptionSettingsError extends Error {
  override name = 'EncryptionSettingsError';
}

/** Raised when a payload cannot be decrypted; names the key id the payload asks for. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** The key from TRIBUTARY_ENCRYPTION_KEY (base64 of 32 bytes) and TRIBUTARY_ENCRYPTION_KEY_ID; undefined when unset. */
export function encryptionFromEnv(env: NodeJS.ProcessEnv): EncryptionKey | undefined {
  const text = env.TRIBUTARY_ENCRYPTION_KEY?.trim();
  if (!text) {
    // An id without a key most likely means encryption was meant to be on: say so rather than store plain text.
    if (env.TRIBUTARY_ENCRYPTION_KEY_ID)
      throw new EncryptionSettingsError(
        'TRIBUTARY_ENCRYPTION_KEY_ID is set but TRIBUTARY_ENCRYPTION_KEY is not: set the key too, or unset both to store payloads unencrypted',
      );
    return undefined;
  }
  // Buffer.from(…, 'base64') skips characters it does not know, so check the alphabet first.
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key?.length !== 32) {
    throw new EncryptionSettingsError(
      `TRIBUTARY_ENCRYPTION_KEY must be 32 random bytes in base64 (44 characters, e.g. from \`openssl rand -base64 32\`); ` +
        (key ? `it decodes to ${key.length} bytes` : 'it is not base64'),
    );
  }
  // Without an explicit id, a short fingerprint of the key: different keys never share an id.
  const id =
    env.TRIBUTARY_ENCRYPTION_KEY_ID?.trim() || `sha256-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
  return { id, key };
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  private readonly keyId: Buffer;
  constructor(private readonly encryption: EncryptionKey) {
    this.keyId = Buffer.from(encryption.id);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.encryption.key, iv);
      // The key id is authenticated too: a payload relabelled with another id does not decrypt.
      cipher.setAAD(this.keyId);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: this.keyId }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on stay readable.
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[KEY_ID_METADATA]) ?? '(none)';
      if (id !== this.encryption.id) {
        throw new PayloadDecryptionError(
          `A payload is encrypted with key id "${id}", but this process has key id "${this.encryption.id}" ` +
            '(TRIBUTARY_ENCRYPTION_KEY_ID): set TRIBUTARY_ENCRYPTION_KEY and TRIBUTARY_ENCRYPTION_KEY_ID to the key it was written with',
        );
      }
      const data = Buffer.from(payload.data ?? []);
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.encryption.key, data.subarray(0, IV_BYTES));
        decipher.setAAD(this.keyId);
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain);
      } catch {
        throw new PayloadDecryptionError(
          `A payload encrypted with key id "${id}" does not decrypt with this process's key of that id: ` +
            'TRIBUTARY_ENCRYPTION_KEY is not the key it was written with (or the payload was altered)',
        );
      }
    });
  }
}
