/**
 * The one place that turns settings into a connection to Temporal, for the client (`Connection`)
 * and the worker (`NativeConnection`) alike: address, namespace, TLS, API key and gRPC headers
 * come from the environment and `@temporalio/envconfig` profiles, with the variable names the
 * Temporal CLI and SDKs use, and both connections get the same options.
 */
import { tracingPlugin } from './tracing';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { EncryptionCodec } from './codec';
import { ensureServer as ensureDevServer, type ServerHandle } from './devServer';
import type { Settings } from './settings';

/** A certificate or key: a file or inline PEM, and the setting that gave it (errors name it). */
export interface PemSource {
  path?: string;
  data?: string;
  setting: string;
}

export interface TlsSettings {
  serverName?: string;
  serverCa?: PemSource;
  clientCert?: PemSource;
  clientKey?: PemSource;
}

export interface ConnectionSettings {
  /** TLS on (every field optional); false: explicitly off (TEMPORAL_TLS=false); absent: plain text. */
  tls?: TlsSettings | false;
  apiKey?: string;
  /** gRPC headers (TEMPORAL_GRPC_META_*). */
  metadata?: Record<string, string>;
}

export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

const isTrue = (value: string | undefined) => value === 'true' || value === '1';

/** Reads the envconfig profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) with the environment over it. */
export function loadConnectionSettings(env: NodeJS.ProcessEnv): {
  address?: string;
  /** Where the address was configured (TEMPORAL_ADDRESS, or the profile); absent: not configured. */
  addressFrom?: string;
  namespace?: string;
  connection: ConnectionSettings;
} {
  const file = env.TEMPORAL_CONFIG_FILE;
  // envconfig quietly ignores a missing file; a file named on purpose should exist.
  if (file && !existsSync(file)) throw new ConnectionError(`TEMPORAL_CONFIG_FILE: no file at ${file}`);
  // The TypeScript SDK always verifies the server's certificate; failing later with a name mismatch would mislead.
  if (isTrue(env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)) {
    throw new ConnectionError(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported: the Temporal TypeScript SDK always verifies the ' +
        "server's certificate. Set TEMPORAL_TLS_SERVER_NAME to a name the certificate is issued for, and " +
        'TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it',
    );
  }
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const profileName = env.TEMPORAL_PROFILE || 'default';
  const where = `profile "${profileName}" of ${file ?? 'the Temporal config file (~/.config/temporalio/temporal.toml)'}`;
  let profile: ReturnType<typeof loadClientConfigProfile>;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    throw new ConnectionError(`Temporal connection settings (${where}${env.TEMPORAL_PROFILE ? ', from TEMPORAL_PROFILE' : ''}): ${(err as Error).message}`);
  }
  const source = (ds: ConfigDataSource | undefined, name: 'CLIENT_CERT' | 'CLIENT_KEY' | 'SERVER_CA_CERT'): PemSource | undefined => {
    // An empty variable (as docker-compose leaves `${VAR:-}`) means unset, not a file named "".
    if (!ds || ('path' in ds ? ds.path === '' : ds.data.length === 0)) return undefined;
    const variable = `TEMPORAL_TLS_${name}_${'path' in ds ? 'PATH' : 'DATA'}`;
    const setting = env[variable] !== undefined ? variable : `tls.${name.toLowerCase()}_${'path' in ds ? 'path' : 'data'} in ${where}`;
    return 'path' in ds ? { path: ds.path, setting } : { data: Buffer.from(ds.data).toString('utf8'), setting };
  };
  const t = profile.tls;
  const connection: ConnectionSettings = {
    // As envconfig decides: any TLS setting turns TLS on unless disabled; an API key alone does too.
    tls: t ? !t.disabled && { serverName: t.serverName, serverCa: source(t.serverCACert, 'SERVER_CA_CERT'), clientCert: source(t.clientCert, 'CLIENT_CERT'), clientKey: source(t.clientKey, 'CLIENT_KEY') } : profile.apiKey ? {} : undefined,
    apiKey: profile.apiKey || undefined,
    metadata: profile.grpcMeta,
  };
  const addressFrom = env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : profile.address ? where : undefined;
  return { address: profile.address, ...(addressFrom && { addressFrom }), namespace: profile.namespace, connection };
}

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
    throw new ConnectionError(`${source.setting}: cannot read ${source.path} (${code === 'ENOENT' ? 'no such file' : (err as Error).message})`);
  }
  if (!pem.includes('-----BEGIN ')) throw new ConnectionError(`${source.setting}: ${source.path ?? 'the value'} is not PEM (no "-----BEGIN" line)`);
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
  const options: ConnectOptions = { address: settings.address, ...(apiKey !== undefined && { apiKey }), ...(metadata && { metadata }) };
  // false stays explicit: with an API key, leaving tls out would turn TLS back on.
  if (!t) return t === false ? { ...options, tls: false } : options;
  if (!t.clientCert !== !t.clientKey) {
    const [given, missing] = t.clientCert ? [t.clientCert, 'TEMPORAL_TLS_CLIENT_KEY_PATH'] : [t.clientKey!, 'TEMPORAL_TLS_CLIENT_CERT_PATH'];
    throw new ConnectionError(`${given.setting} is set but ${missing} is not: a client certificate needs its key, and a key its certificate`);
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
  const ways = [settings.connection?.tls && 'TLS', settings.connection?.apiKey !== undefined && 'an API key'].filter(Boolean);
  return `the Temporal server at ${settings.address}${ways.length ? ` with ${ways.join(' and ')}` : ''}`;
}

const NOT_TRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE']);

/**
 * Why a TLS handshake with these settings fails, in words (undefined when it succeeds). gRPC only
 * says "failed to connect before the deadline"; a plain Node handshake with the same files says why.
 */
async function tlsProblem(settings: Pick<Settings, 'address' | 'connection'>, options: ConnectOptions): Promise<string | undefined> {
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
      socket.once('close', () => resolve(Object.assign(new Error('closed right after the handshake'), { code: 'CLOSED' })));
    });
    timers.push(setTimeout(() => resolve(Object.assign(new Error('no TLS handshake within 10 s'), { code: 'TIMEOUT' })), 10_000));
  });
  timers.forEach(clearTimeout);
  const alpn = socket.alpnProtocol;
  socket.destroy();
  const message = error?.message ?? '';
  if (!error) return alpn === 'h2' ? undefined : `the server at ${settings.address} does not offer HTTP/2 over TLS (ALPN "h2"), which gRPC needs`;
  if (error.code === 'ECONNREFUSED') return `nothing listens at ${settings.address}`;
  if (NOT_TRUSTED.has(error.code ?? '')) {
    const ca = t.serverCa ? `the CA in ${t.serverCa.setting}${t.serverCa.path ? ` (${t.serverCa.path})` : ''}` : 'a CA this machine trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it';
    return `the server's certificate is not signed by ${ca} [${error.code}]`;
  }
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the server's certificate is not issued for "${name}" (${error.reason}): set TEMPORAL_TLS_SERVER_NAME to a name it is issued for`;
  if (error.code === 'CERT_HAS_EXPIRED' || error.code === 'CERT_NOT_YET_VALID') return `the server's certificate is not valid now [${error.code}]`;
  if (/certificate required|peer did not return a certificate/i.test(message)) {
    return 'the server asks for a client certificate (mutual TLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
  }
  if (/alert (unknown ca|bad certificate|certificate unknown|decrypt error)/i.test(message) || error.code === 'CLOSED') {
    if (!t.clientCert) return `the server hung up right after the TLS handshake: it may want a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)`;
    return `the server refused the client certificate from ${t.clientCert.setting}${t.clientCert.path ? ` (${t.clientCert.path})` : ''}: it is not signed by a CA the server trusts`;
  }
  if (/wrong version number|packet length too long|unexpected eof|socket hang up/i.test(message)) {
    return `the server at ${settings.address} does not answer TLS: unset TEMPORAL_TLS and the TEMPORAL_TLS_* variables if it serves plain gRPC`;
  }
  return `TLS handshake failed: ${message}`;
}

/** A connection failure restated with what was tried and, for TLS, why the handshake fails. */
async function explain(settings: Pick<Settings, 'address' | 'connection'>, options: ConnectOptions, err: unknown): Promise<ConnectionError> {
  const why = (await tlsProblem(settings, options).catch(() => undefined)) ?? (err as Error).message;
  return new ConnectionError(`Cannot connect to ${target(settings)}: ${why}`, { cause: err });
}

export async function connectClient(settings: Settings, connectTimeoutMs?: number): Promise<{ client: Client; close: () => Promise<void> }> {
  const options = connectOptions(settings);
  const connection = await Connection.connect({ ...options, ...(connectTimeoutMs && { connectTimeout: connectTimeoutMs }) }).catch(async (err: unknown) => {
    throw await explain(settings, options, err);
  });
  const dataConverter = dataConverterFor(settings);
  const tracing = tracingPlugin();
  const client = new Client({ connection, namespace: settings.namespace, ...(dataConverter && { dataConverter }), ...(tracing ? { plugins: [tracing] } : {}) });
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
