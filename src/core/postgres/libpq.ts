/**
 * The parts of a `postgres://` URL that libpq reads on the client and the driver (postgres 3.4.9)
 * does not, or reads differently: TLS (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `sslpassword`,
 * `sslcrl` and their PG* variables), the password (URL, PGPASSWORD, the password file, then the
 * caller's hook) and `target_session_attrs`. The driver would send every query parameter it does not
 * know to the server as a setting, which refuses the connection (`unrecognized configuration
 * parameter "sslrootcert"`), so those are taken out of the URL it gets.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { type PasswordRequest, pgpassFile, readPgpassPassword } from './pgpass';

/** Supplies a password when the URL, PGPASSWORD and the password file have none (the extension: SecretStorage). */
export type PasswordHook = (location: string) => Promise<string | undefined>;

/** Parameters libpq reads on the client; never sent to the server. */
const CLIENT_ONLY_PARAMETERS = new Set([
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'sslcompression',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'passfile',
  'password',
  'target_session_attrs',
  'gssencmode',
  'channel_binding',
  'require_auth',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'krbsrvname',
  'gsslib',
  'fallback_application_name',
]);

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
/** libpq's values; the driver's `read-write` accepts a hot standby, so read-write is checked as `primary` too. */
const SESSION_ATTRS = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'];

export interface DriverSettings {
  /** The URL for the driver: client-only parameters and the password removed. */
  url: string;
  /** The driver's `ssl` option. */
  ssl: false | 'prefer' | 'allow' | ConnectionOptions;
  /** The driver's `pass` option: asked for each new connection. */
  password: () => Promise<string>;
  /** The driver's `target_session_attrs`, or undefined for any server. */
  targetSessionAttrs: string | undefined;
  /** The ssl mode in force, for messages. */
  sslMode: string;
  /** The hosts of the URL, in order (TCP; a socket path as given). */
  hosts: Array<{ host: string; port: number }>;
}

interface ParsedServerUrl {
  user: string | undefined;
  password: string | undefined;
  /** `host:port` parts as written (`h1:5432,h2`). */
  hosts: string;
  database: string | undefined;
  parameters: Map<string, string>;
  /** The raw `name=value` parts kept for the driver. */
  kept: string[];
  prefix: string;
  pathPart: string;
}

/**
 * verify-full's check of the certificate against the host connected to. Node would check the name it
 * was given, and for an IP address the driver gives none, so Node checks 'localhost' instead: a
 * certificate for localhost would pass for any address. Node calls this as a method of the options
 * it was given, whose `socket` is the driver's, and the driver sets that socket's `host`.
 */
function checkConnectedHost(this: { socket?: { host?: unknown } } | undefined, _name: string, certificate: PeerCertificate): Error | undefined {
  const host = this?.socket?.host;
  if (typeof host !== 'string' || host === '') return new Error('cannot tell which host the certificate should name');
  return checkServerIdentity(host, certificate);
}

function decodePart(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function parseServerUrl(url: string): ParsedServerUrl {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/s.exec(url);
  if (!match) throw new Error('not a postgres:// URL');
  const [, prefix, authority, pathPart = '', query = ''] = match;
  const at = authority!.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority!.slice(0, at);
  const hosts = authority!.slice(at + 1);
  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    user = decodePart(colon < 0 ? userinfo : userinfo.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodePart(userinfo.slice(colon + 1));
  }
  const parameters = new Map<string, string>();
  const kept: string[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = decodePart(equals < 0 ? part : part.slice(0, equals));
    const value = decodePart(equals < 0 ? '' : part.slice(equals + 1));
    parameters.set(name, value);
    if (!CLIENT_ONLY_PARAMETERS.has(name)) kept.push(part);
  }
  const database = decodePart(pathPart.slice(1)) || undefined;
  return { user, password, hosts, database, parameters, kept, prefix: prefix!, pathPart };
}

/** `h1:5432,[::1]:5433,h3` as host/port pairs (port as written, or the default). */
function hostPorts(hosts: string, defaultPort: string): Array<{ host: string; port: string }> {
  return hosts.split(',').map((part) => {
    const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(part);
    if (bracketed) return { host: bracketed[1]!, port: bracketed[2] || defaultPort };
    const colon = part.lastIndexOf(':');
    return colon < 0 ? { host: decodePart(part), port: defaultPort } : { host: decodePart(part.slice(0, colon)), port: part.slice(colon + 1) || defaultPort };
  });
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}

function readFileFor(what: string, file: string, fail: (message: string) => Error): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw fail(`cannot read the ${what} "${file}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * How to connect to `url` (a server URL, without ProntoDB's own parameter) as libpq would: the TLS
 * settings, the password sources in libpq's order then `hook`, and the URL the driver may see.
 * `fail` makes the error for a setting that cannot work (an unknown sslmode, a missing root certificate).
 */
export function driverSettings(
  url: string,
  options: { hook?: PasswordHook; shownLocation: string; warn?: (line: string) => void; fail: (message: string) => Error; env?: NodeJS.ProcessEnv },
): DriverSettings {
  const env = options.env ?? process.env;
  const parsed = parseServerUrl(url);
  const parameter = (name: string, variable: string): string | undefined => parsed.parameters.get(name) || env[variable] || undefined;
  const home = env.HOME || os.homedir();
  const postgresqlDir = process.platform === 'win32' && env.APPDATA ? path.join(env.APPDATA, 'postgresql') : path.join(home, '.postgresql');
  const fail = (message: string) => options.fail(`${options.shownLocation}: ${message}`);

  // ---- TLS
  let rootCert = parameter('sslrootcert', 'PGSSLROOTCERT');
  let sslMode = parameter('sslmode', 'PGSSLMODE') ?? (rootCert === 'system' ? 'verify-full' : 'prefer');
  if (!SSL_MODES.includes(sslMode)) throw fail(`sslmode "${sslMode}" is not one of ${SSL_MODES.join(', ')}`);
  if (rootCert === 'system' && sslMode !== 'verify-full') throw fail(`sslrootcert=system needs sslmode=verify-full, not "${sslMode}"`);
  const defaultRootCert = path.join(postgresqlDir, 'root.crt');
  if (rootCert === undefined && fs.existsSync(defaultRootCert)) rootCert = defaultRootCert;
  // libpq: with a root certificate at hand, require verifies the chain as verify-ca does.
  if (sslMode === 'require' && rootCert !== undefined && rootCert !== 'system') sslMode = 'verify-ca';
  let ssl: DriverSettings['ssl'];
  if (sslMode === 'disable') {
    ssl = false;
  } else if (sslMode === 'allow' || sslMode === 'prefer') {
    ssl = sslMode;
  } else {
    const tlsOptions: ConnectionOptions = {};
    if (sslMode === 'require') {
      tlsOptions.rejectUnauthorized = false;
    } else {
      if (rootCert === undefined) {
        throw fail(
          `sslmode=${sslMode} needs the certificate of the authority that signed the server's: give sslrootcert=FILE (or PGSSLROOTCERT, or put it in ${defaultRootCert}), or sslrootcert=system for the system's trusted authorities`,
        );
      }
      if (rootCert !== 'system') tlsOptions.ca = readFileFor('root certificate (sslrootcert)', rootCert, fail);
      tlsOptions.rejectUnauthorized = true;
      // verify-ca checks the chain only; verify-full also the host name connected to.
      tlsOptions.checkServerIdentity = sslMode === 'verify-ca' ? () => undefined : checkConnectedHost;
    }
    const crl = parameter('sslcrl', 'PGSSLCRL');
    if (crl !== undefined) tlsOptions.crl = readFileFor('certificate revocation list (sslcrl)', crl, fail);
    ssl = tlsOptions;
  }
  if (typeof ssl !== 'boolean') {
    // A client certificate, as libpq: given, or the default files when both exist.
    let cert = parameter('sslcert', 'PGSSLCERT');
    let key = parameter('sslkey', 'PGSSLKEY');
    const defaultCert = path.join(postgresqlDir, 'postgresql.crt');
    const defaultKey = path.join(postgresqlDir, 'postgresql.key');
    if (cert === undefined && key === undefined && fs.existsSync(defaultCert) && fs.existsSync(defaultKey)) [cert, key] = [defaultCert, defaultKey];
    if (cert !== undefined || key !== undefined) {
      if (cert === undefined || key === undefined) throw fail('a client certificate needs both sslcert and sslkey');
      const clientOptions: ConnectionOptions = {
        cert: readFileFor('client certificate (sslcert)', cert, fail),
        key: readFileFor('client key (sslkey)', key, fail),
        passphrase: parsed.parameters.get('sslpassword') || undefined,
      };
      // 'prefer' and 'allow' are the driver's words for "TLS without verification, if offered".
      ssl = typeof ssl === 'string' ? { rejectUnauthorized: false, ...clientOptions } : { ...ssl, ...clientOptions };
    }
  }

  // ---- the session wanted
  let targetSessionAttrs = parameter('target_session_attrs', 'PGTARGETSESSIONATTRS');
  if (targetSessionAttrs !== undefined && !SESSION_ATTRS.includes(targetSessionAttrs)) {
    throw fail(`target_session_attrs "${targetSessionAttrs}" is not one of ${SESSION_ATTRS.join(', ')}`);
  }
  // The driver's read-write only looks at default_transaction_read_only, which a hot standby reports as off.
  if (targetSessionAttrs === 'read-write') targetSessionAttrs = 'primary';
  if (targetSessionAttrs === 'any') targetSessionAttrs = undefined;

  // ---- the password: the URL, PGPASSWORD, the password file, then the hook
  const defaultPort = parsed.parameters.get('port') || env.PGPORT || '5432';
  const user = parsed.user ?? env.PGUSER ?? osUser();
  const database = parsed.database ?? env.PGDATABASE ?? user;
  const requests: PasswordRequest[] = (parsed.hosts ? hostPorts(parsed.hosts, defaultPort) : [{ host: env.PGHOST || 'localhost', port: defaultPort }]).map(
    ({ host, port }) => ({ host: host.startsWith('/') || host === '' ? 'localhost' : host, port, database, user }),
  );
  const urlPassword = parsed.password ?? parsed.parameters.get('password');
  const passfile = pgpassFile(parsed.parameters.get('passfile'), env);
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  let warned = false;
  const withoutPassword = `${parsed.prefix}${parsed.user !== undefined ? `${encodeURIComponent(parsed.user)}@` : ''}${parsed.hosts}${parsed.pathPart}`;
  const password = async (): Promise<string> => {
    if (urlPassword !== undefined) return urlPassword;
    if (env.PGPASSWORD !== undefined) return env.PGPASSWORD;
    for (const request of requests) {
      const found = readPgpassPassword(passfile, request, (line) => {
        if (!warned) warn(line);
        warned = true;
      });
      if (found !== undefined) return found;
    }
    if (options.hook) {
      // Asked for every new connection, never remembered here: the host's answer can change (a
      // password taken after a refused login, one being tried, one forgotten), and a pool that kept
      // a wrong one would be refused for good. The host answers from memory; it never prompts here.
      const answer = await options.hook(withoutPassword);
      if (answer !== undefined) return answer;
    }
    return '';
  };

  const userinfo = parsed.user !== undefined ? `${encodeURIComponent(parsed.user)}@` : '';
  const driverUrl = `${parsed.prefix}${userinfo}${parsed.hosts}${parsed.pathPart}${parsed.kept.length ? `?${parsed.kept.join('&')}` : ''}`;
  const hosts = parsed.hosts ? hostPorts(parsed.hosts, defaultPort).map(({ host, port }) => ({ host, port: Number(port) })) : [];
  return { url: driverUrl, ssl, password, targetSessionAttrs, sslMode, hosts };
}
