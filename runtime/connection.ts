/**
 * The one place that turns settings into a connection to Temporal, for the client (`Connection`)
 * and the worker (`NativeConnection`) alike: both get the same options (address, TLS, API key and
 * gRPC headers, as runtime/connectionSettings.ts reads them), and a failure says why in words.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { EncryptionCodec } from './codec';
import { ConnectionError, type PemSource } from './connectionSettings';
import { ensureDevServer, type ServerHandle } from './devServer';
import type { Settings } from './settings';
import { tracingPlugin } from './tracing';

/** TLS or an API key means a real cluster: never replaced by a local dev server. */
export function isSecured(settings: Pick<Settings, 'connection'>): boolean {
  return !!settings.connection?.tls || settings.connection?.apiKey !== undefined;
}

function readPem(source: PemSource): Buffer {
  let pem: Buffer;
  try {
    pem = source.path === undefined ? Buffer.from(source.data ?? '') : readFileSync(source.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConnectionError(
      `${source.setting}: cannot read ${source.path} (${code === 'ENOENT' ? 'no such file' : (err as Error).message})`,
    );
  }
  if (!pem.includes('-----BEGIN '))
    throw new ConnectionError(`${source.setting}: ${source.path ?? 'the value'} is not PEM (no "-----BEGIN" line)`);
  return pem;
}

export interface ConnectOptions {
  address: string;
  tls?: TLSConfig | false;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** The options both `Connection.connect` and `NativeConnection.connect` get; reads the certificate files. */
export function connectOptions(settings: Pick<Settings, 'address' | 'connection'>): ConnectOptions {
  const { tls: t, apiKey, metadata } = settings.connection ?? {};
  const options: ConnectOptions = {
    address: settings.address,
    ...(apiKey !== undefined && { apiKey }),
    ...(metadata && { metadata }),
  };
  // false stays explicit: with an API key, leaving tls out would turn TLS back on.
  if (!t) return t === false ? { ...options, tls: false } : options;
  if (!t.clientCert !== !t.clientKey) {
    const [given, missing] = t.clientCert
      ? [t.clientCert, 'TEMPORAL_TLS_CLIENT_KEY_PATH']
      : [t.clientKey!, 'TEMPORAL_TLS_CLIENT_CERT_PATH'];
    throw new ConnectionError(
      `${given.setting} is set but ${missing} is not: a client certificate needs its key, and a key its certificate`,
    );
  }
  const tlsConfig: TLSConfig = {};
  if (t.serverName) tlsConfig.serverNameOverride = t.serverName;
  if (t.serverCa) tlsConfig.serverRootCACertificate = readPem(t.serverCa);
  if (t.clientCert && t.clientKey) tlsConfig.clientCertPair = { crt: readPem(t.clientCert), key: readPem(t.clientKey) };
  return { ...options, tls: tlsConfig };
}

/** The client's and the worker's data converter: payloads encrypted when a key is configured. */
export function dataConverterFor(settings: Pick<Settings, 'encryption'>): DataConverter | undefined {
  return settings.encryption ? { payloadCodecs: [new EncryptionCodec(settings.encryption)] } : undefined;
}

/** "the Temporal server at X with TLS and an API key": the files involved are named by the reason that follows. */
function target(settings: Pick<Settings, 'address' | 'connection'>): string {
  const ways = [settings.connection?.tls && 'TLS', settings.connection?.apiKey !== undefined && 'an API key'].filter(
    Boolean,
  );
  return `the Temporal server at ${settings.address}${ways.length ? ` with ${ways.join(' and ')}` : ''}`;
}

const NOT_TRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * Why a TLS handshake with these settings fails, in words (undefined when it succeeds). gRPC only
 * says "failed to connect before the deadline"; a plain Node handshake with the same files says why.
 */
async function tlsProblem(
  settings: Pick<Settings, 'address' | 'connection'>,
  options: ConnectOptions,
): Promise<string | undefined> {
  const t = settings.connection?.tls;
  if (!t || !options.tls) return undefined;
  const at = settings.address.lastIndexOf(':');
  const host = settings.address.slice(0, at).replace(/^\[|\]$/g, '');
  const name = t.serverName ?? host;
  const pair = options.tls.clientCertPair;
  const socket = tls.connect({
    host,
    port: Number(settings.address.slice(at + 1)),
    servername: isIP(name) ? undefined : name,
    ...(options.tls.serverRootCACertificate && { ca: Buffer.from(options.tls.serverRootCACertificate) }),
    ...(pair && { cert: Buffer.from(pair.crt), key: Buffer.from(pair.key) }),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
    ALPNProtocols: ['h2'],
  });
  const timers: NodeJS.Timeout[] = [];
  const error = await new Promise<(Error & { code?: string; reason?: string }) | undefined>((resolve) => {
    socket.on('error', resolve); // kept on: a second error after the first must not go unhandled
    // With TLS 1.3 the server checks the client certificate after the handshake: give its alert time to arrive.
    socket.once('secureConnect', () => {
      timers.push(setTimeout(() => resolve(undefined), 1_000));
      // Some servers refuse a client certificate by hanging up without an alert.
      socket.once('close', () =>
        resolve(Object.assign(new Error('closed right after the handshake'), { code: 'CLOSED' })),
      );
    });
    timers.push(
      setTimeout(() => resolve(Object.assign(new Error('no TLS handshake within 10 s'), { code: 'TIMEOUT' })), 10_000),
    );
  });
  timers.forEach(clearTimeout);
  const alpn = socket.alpnProtocol;
  socket.destroy();
  const message = error?.message ?? '';
  if (!error)
    return alpn === 'h2'
      ? undefined
      : `the server at ${settings.address} does not offer HTTP/2 over TLS (ALPN "h2"), which gRPC needs`;
  if (error.code === 'ECONNREFUSED') return `nothing listens at ${settings.address}`;
  if (NOT_TRUSTED.has(error.code ?? '')) {
    const ca = t.serverCa
      ? `the CA in ${t.serverCa.setting}${t.serverCa.path ? ` (${t.serverCa.path})` : ''}`
      : 'a CA this machine trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it';
    return `the server's certificate is not signed by ${ca} [${error.code}]`;
  }
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's certificate is not issued for "${name}" (${error.reason}): set TEMPORAL_TLS_SERVER_NAME to a name it is issued for`;
  if (error.code === 'CERT_HAS_EXPIRED' || error.code === 'CERT_NOT_YET_VALID')
    return `the server's certificate is not valid now [${error.code}]`;
  if (/certificate required|peer did not return a certificate/i.test(message)) {
    return 'the server asks for a client certificate (mutual TLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
  }
  if (
    /alert (unknown ca|bad certificate|certificate unknown|decrypt error)/i.test(message) ||
    error.code === 'CLOSED'
  ) {
    if (!t.clientCert)
      return `the server hung up right after the TLS handshake: it may want a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)`;
    return `the server refused the client certificate from ${t.clientCert.setting}${t.clientCert.path ? ` (${t.clientCert.path})` : ''}: it is not signed by a CA the server trusts`;
  }
  if (/wrong version number|packet length too long|unexpected eof|socket hang up/i.test(message)) {
    return `the server at ${settings.address} does not answer TLS: unset TEMPORAL_TLS and the TEMPORAL_TLS_* variables if it serves plain gRPC`;
  }
  return `TLS handshake failed: ${message}`;
}

/** A connection failure restated with what was tried and, for TLS, why the handshake fails. */
async function explain(
  settings: Pick<Settings, 'address' | 'connection'>,
  options: ConnectOptions,
  err: unknown,
): Promise<ConnectionError> {
  const why = (await tlsProblem(settings, options).catch(() => undefined)) ?? (err as Error).message;
  return new ConnectionError(`Cannot connect to ${target(settings)}: ${why}`, { cause: err });
}

export async function connectClient(
  settings: Settings,
  connectTimeoutMs?: number,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const options = connectOptions(settings);
  const connection = await Connection.connect({
    ...options,
    ...(connectTimeoutMs && { connectTimeout: connectTimeoutMs }),
  }).catch(async (err: unknown) => {
    throw await explain(settings, options, err);
  });
  const dataConverter = dataConverterFor(settings);
  const tracing = tracingPlugin();
  const client = new Client({
    connection,
    namespace: settings.namespace,
    ...(dataConverter && { dataConverter }),
    ...(tracing ? { plugins: [tracing] } : {}),
  });
  return { client, close: () => connection.close() };
}

export async function connectNative(settings: Pick<Settings, 'address' | 'connection'>): Promise<NativeConnection> {
  const options = connectOptions(settings);
  return NativeConnection.connect(options).catch(async (err: unknown) => {
    throw await explain(settings, options, err);
  });
}

/** Undefined when the server answers with these settings; otherwise why not, in words. */
export async function connectionProblem(settings: Settings, timeoutMs = 5_000): Promise<string | undefined> {
  try {
    const { close } = await connectClient(settings, timeoutMs);
    await close();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Makes sure a server answers. A plain connection keeps the embedded default (a local dev server
 * started when nothing answers at a local address); with TLS or an API key, the server must exist.
 */
export async function ensureServer(settings: Settings, log: (line: string) => void): Promise<ServerHandle> {
  if (!isSecured(settings)) return ensureDevServer(settings, log);
  const why = await connectionProblem(settings);
  if (why !== undefined) throw new ConnectionError(why);
  return { started: false, address: settings.address, uiUrl: settings.uiUrl };
}
