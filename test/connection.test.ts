/**
 * Connection settings (runtime/connection.ts): Temporal's variable names and envconfig profiles,
 * clear errors, and real TLS. The dev server has no TLS flags, so a TLS-terminating proxy on
 * loopback (Node's tls, ALPN h2, client certificates required) sits in front of the suite's dev server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, connectNative, connectOptions, ensureServer, isSecured } from '../runtime/connection';
import { loadSettings } from '../runtime/settings';
import type { scanFiles } from './workflows';
import { tributary } from './helpers/cli';
import { tempDir, writeNumberedFiles } from './helpers/parquet';
import { freePort, waitFor } from './helpers/processes';
import { sharedServerAddress, startWorker, taskQueueFor } from './helpers/temporal';

const noLog = () => undefined;

describe('connection settings', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('tributary-conn-');
  });

  it('is plain localhost:7233 by default, and only then may start a local dev server', () => {
    const settings = loadSettings({});
    expect(settings.address).toBe('localhost:7233');
    expect(isSecured(settings)).toBe(false);
    expect(connectOptions(settings)).toEqual({ address: 'localhost:7233' });
  });

  it('reads TEMPORAL_TLS_* into the same options for client and worker', async () => {
    const ca = path.join(dir, 'ca.pem');
    const crt = path.join(dir, 'client.pem');
    const key = path.join(dir, 'client.key');
    await Promise.all([ca, crt, key].map((f) => writeFile(f, `-----BEGIN ${path.basename(f)}-----\n`)));
    const settings = loadSettings({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: crt,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
    });
    const options = connectOptions(settings);
    expect(isSecured(settings)).toBe(true);
    expect(options.tls && options.tls.serverNameOverride).toBe('frontend.internal');
    expect(options.tls && Buffer.from(options.tls.serverRootCACertificate!).toString()).toBe(readFileSync(ca, 'utf8'));
    expect(options.tls && Buffer.from(options.tls.clientCertPair!.key).toString()).toBe(readFileSync(key, 'utf8'));
  });

  it('takes an API key as TLS on, unless TEMPORAL_TLS=false; a Temporal Cloud address links to its Web UI', () => {
    const cloud = loadSettings({
      TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'secret',
    });
    expect(connectOptions(cloud)).toEqual({ address: 'us-east-1.aws.api.temporal.io:7233', apiKey: 'secret', tls: {} });
    expect(cloud.uiUrl).toBe('https://cloud.temporal.io');
    expect(loadSettings({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233' }).uiUrl).toBe('https://cloud.temporal.io');
    const local = loadSettings({ TEMPORAL_API_KEY: 'secret', TEMPORAL_TLS: 'false' });
    expect(connectOptions(local)).toEqual({ address: 'localhost:7233', apiKey: 'secret', tls: false });
    expect(isSecured(local)).toBe(true);
  });

  it('names the variable and the path of a missing certificate, and a certificate without its key', () => {
    const missing = path.join(dir, 'nope.pem');
    expect(() =>
      connectOptions(loadSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: missing })),
    ).toThrow(`TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${missing} (no such file)`);
    expect(() => connectOptions(loadSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: missing }))).toThrow(
      'TEMPORAL_TLS_CLIENT_CERT_PATH is set but TEMPORAL_TLS_CLIENT_KEY_PATH is not',
    );
    expect(() => loadSettings({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' })).toThrow(
      /not supported.*TEMPORAL_TLS_SERVER_NAME/,
    );
  });

  it('reads an envconfig profile, with the environment over it, and names the profile in errors', async () => {
    const file = path.join(dir, 'temporal.toml');
    const ca = path.join(dir, 'missing-ca.pem');
    await writeFile(
      file,
      `[profile.default]\naddress = "localhost:7233"\n\n[profile.prod]\naddress = "prod.internal:7233"\nnamespace = "weekly"\napi_key = "k"\n\n[profile.prod.tls]\nserver_ca_cert_path = "${ca}"\n`,
    );
    const prod = loadSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'override' });
    expect([prod.address, prod.namespace, prod.connection?.apiKey]).toEqual(['prod.internal:7233', 'override', 'k']);
    expect(() => connectOptions(prod)).toThrow(
      `tls.server_ca_cert_path in profile "prod" of ${file}: cannot read ${ca} (no such file)`,
    );
    expect(() => loadSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })).toThrow(
      /profile "staging".*TEMPORAL_PROFILE.*not found/,
    );
    expect(() => loadSettings({ TEMPORAL_CONFIG_FILE: path.join(dir, 'none.toml') })).toThrow(
      'TEMPORAL_CONFIG_FILE: no file at',
    );
  });

  it('with TLS on a local address where nothing answers: a clear error, and no dev server started', async () => {
    const home = await tempDir('tributary-home-');
    const settings = loadSettings({
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_TLS: 'true',
      TRIBUTARY_HOME: home,
    });
    const lines: string[] = [];
    await expect(ensureServer(settings, (l) => lines.push(l))).rejects.toThrow(
      /Cannot connect to the Temporal server at 127\.0\.0\.1:\d+ with TLS: nothing listens/,
    );
    expect(lines).toEqual([]);
    expect(existsSync(path.join(home, 'temporal.db'))).toBe(false);
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** A CA, a server certificate (localhost, 127.0.0.1) and a client certificate it signs; and a second, unrelated CA. */
function makeCertificates(
  dir: string,
): Record<
  'ca' | 'otherCa' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'strangerCert' | 'strangerKey',
  string
> {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ca = (name: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.pem`),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  let serial = 0x1000;
  const leaf = (name: string, signer: string, extensions: string[]) => {
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    );
    writeFileSync(
      file(`${name}.ext`),
      [...extensions, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', ''].join('\n'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${signer}.pem`),
      '-CAkey',
      file(`${signer}.key`),
      '-set_serial',
      String(serial++),
      '-days',
      '2',
      '-out',
      file(`${name}.pem`),
      '-extfile',
      file(`${name}.ext`),
    );
  };
  ca('ca');
  ca('other-ca');
  leaf('server', 'ca', ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth']);
  leaf('client', 'ca', ['extendedKeyUsage=clientAuth']);
  leaf('stranger', 'other-ca', ['extendedKeyUsage=clientAuth']);
  return {
    ca: file('ca.pem'),
    otherCa: file('other-ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    strangerCert: file('stranger.pem'),
    strangerKey: file('stranger.key'),
  };
}

describe.skipIf(!hasOpenssl)('TLS for real: mutual TLS through a TLS-terminating proxy (needs the openssl CLI)', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let server: { address: string; port: number };
  let proxy: tls.Server;
  const sockets = new Set<net.Socket>();
  let tlsAddress: string;

  beforeAll(async () => {
    dir = await tempDir('tributary-tls-');
    certs = makeCertificates(dir);
    const address = await sharedServerAddress(); // the suite's server, behind a TLS proxy of this test's own
    server = { address, port: Number(address.split(':')[1]) };
    const pem = (f: string) => readFileSync(f);
    // Client certificates are required and must come from the test CA: mutual TLS, as on Temporal Cloud.
    proxy = tls.createServer(
      {
        key: pem(certs.serverKey),
        cert: pem(certs.serverCert),
        ca: pem(certs.ca),
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (socket) => {
        const upstream = net.connect(server.port, '127.0.0.1');
        for (const s of [socket, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined).on('close', () => sockets.delete(s));
        }
        socket.on('close', () => upstream.destroy());
        upstream.on('close', () => socket.destroy());
        socket.pipe(upstream).pipe(socket);
      },
    );
    proxy.on('tlsClientError', () => undefined); // refused handshakes are what some tests are about
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    tlsAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    proxy?.close();
    for (const s of sockets) s.destroy();
  });

  /** The environment an operator would set; the certificate names `localhost`, the address is an IP. */
  const tlsEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
    TEMPORAL_ADDRESS: tlsAddress,
    TEMPORAL_TLS: 'true',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TRIBUTARY_HOME: path.join(dir, 'home'),
    ...overrides,
  });

  it('a client and a worker connect through TLS: the client starts and lists a workflow, the worker runs it', async () => {
    const settings = loadSettings(tlsEnv());
    const [file] = await writeNumberedFiles(dir, [42]);
    const handle = await ensureServer(settings, noLog);
    expect(handle.started).toBe(false);
    const { client, close } = await connectClient(settings);
    let native: NativeConnection | undefined;
    try {
      native = await connectNative(settings);
      const taskQueue = taskQueueFor('tls');
      const worker = await startWorker({ connection: native, taskQueue });
      const run = await client.workflow.start<typeof scanFiles>('scanFiles', {
        taskQueue,
        workflowId: taskQueue,
        args: [{ files: [file!] }],
      });
      const result = await worker.runUntil(run.result());
      expect(result.totalRows).toBe(42);
      const listed = await waitFor('the run in the visibility list', async () => {
        for await (const w of client.workflow.list({ query: `WorkflowId = '${taskQueue}'` })) return w;
        return undefined;
      });
      expect(listed.status.name).toBe('COMPLETED');
    } finally {
      await native?.close();
      await close();
    }
  });

  it('tributary doctor connects through TLS from the environment alone', async () => {
    const out = await tributary(['doctor'], { ...tlsEnv(), TRIBUTARY_TASK_QUEUE: taskQueueFor('doctor tls') });
    expect(out.stdout).toMatch(new RegExp(`ok +Temporal server +answers at ${tlsAddress}`));
    expect(out.stdout).toMatch(/ok +namespace "default" +exists/);
  });

  it('refuses a server certificate from another CA, naming the variable and the file, and starts no dev server', async () => {
    const settings = loadSettings(tlsEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCa }));
    const lines: string[] = [];
    const expected = `the server's certificate is not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH (${certs.otherCa})`;
    await expect(ensureServer(settings, (l) => lines.push(l))).rejects.toThrow(expected);
    await expect(connectNative(settings)).rejects.toThrow(expected);
    expect(lines).toEqual([]);
  });

  it('says when the server wants a client certificate, and when it refuses the one given', async () => {
    await expect(
      connectNative(loadSettings(tlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' }))),
    ).rejects.toThrow(
      'the server asks for a client certificate (mutual TLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH',
    );
    await expect(
      connectNative(
        loadSettings(
          tlsEnv({
            TEMPORAL_TLS_CLIENT_CERT_PATH: certs.strangerCert,
            TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerKey,
          }),
        ),
      ),
    ).rejects.toThrow('the server refused the client certificate from TEMPORAL_TLS_CLIENT_CERT_PATH');
  });

  it('says when the server at the address does not speak TLS', async () => {
    await expect(connectNative(loadSettings(tlsEnv({ TEMPORAL_ADDRESS: server.address })))).rejects.toThrow(
      /does not answer TLS/,
    );
  });
});
