/**
 * How to reach Temporal, read from the environment and `@temporalio/envconfig` profiles with the
 * variable names the Temporal CLI and SDKs use: address, namespace, TLS files, API key, gRPC headers.
 * runtime/settings.ts reads it once; runtime/connection.ts turns it into connections.
 */
import { existsSync } from 'node:fs';
import { loadClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';

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
    throw new ConnectionError(
      `Temporal connection settings (${where}${env.TEMPORAL_PROFILE ? ', from TEMPORAL_PROFILE' : ''}): ${(err as Error).message}`,
    );
  }
  const source = (
    ds: ConfigDataSource | undefined,
    name: 'CLIENT_CERT' | 'CLIENT_KEY' | 'SERVER_CA_CERT',
  ): PemSource | undefined => {
    // An empty variable (as docker-compose leaves `${VAR:-}`) means unset, not a file named "".
    if (!ds || ('path' in ds ? ds.path === '' : ds.data.length === 0)) return undefined;
    const variable = `TEMPORAL_TLS_${name}_${'path' in ds ? 'PATH' : 'DATA'}`;
    const setting =
      env[variable] !== undefined
        ? variable
        : `tls.${name.toLowerCase()}_${'path' in ds ? 'path' : 'data'} in ${where}`;
    return 'path' in ds ? { path: ds.path, setting } : { data: Buffer.from(ds.data).toString('utf8'), setting };
  };
  const t = profile.tls;
  const connection: ConnectionSettings = {
    // As envconfig decides: any TLS setting turns TLS on unless disabled; an API key alone does too.
    tls: t
      ? !t.disabled && {
          serverName: t.serverName,
          serverCa: source(t.serverCACert, 'SERVER_CA_CERT'),
          clientCert: source(t.clientCert, 'CLIENT_CERT'),
          clientKey: source(t.clientKey, 'CLIENT_KEY'),
        }
      : profile.apiKey
        ? {}
        : undefined,
    apiKey: profile.apiKey || undefined,
    metadata: profile.grpcMeta,
  };
  const addressFrom = env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : profile.address ? where : undefined;
  return { address: profile.address, ...(addressFrom && { addressFrom }), namespace: profile.namespace, connection };
}
