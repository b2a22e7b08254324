import * as os from 'node:os';
import * as vscode from 'vscode';
import { isProntoError } from '../core/errors';
import { usageError } from '../core/errors';
import { isPostgresLocation, parsePostgresLocation, urlHasPassword } from '../core/postgres/location';

/** Secrets are stored under this prefix and the server key; the keys (never the passwords) are listed in global state. */
const SECRET_PREFIX = 'prontodb.serverPassword:';
const KEYS_STATE = 'prontodb.serverPasswordKeys';

/**
 * What a password is kept under: `user@hosts/database` of a server URL, without the password or any
 * parameter (so every ProntoDB database of one PostgreSQL database shares it). The user and the
 * database default as the driver defaults them (PGUSER, the login name; PGDATABASE, the user).
 */
export function serverKey(location: string): string {
  const { serverUrl } = parsePostgresLocation(location, usageError);
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^?#]*))?/.exec(serverUrl);
  const userInfo = match?.[1];
  const user = (userInfo !== undefined ? decodeURIComponent(userInfo.split(':')[0]!) : '') || process.env.PGUSER || process.env.USER || os.userInfo().username;
  const database = decodeURIComponent(match?.[3] ?? '') || process.env.PGDATABASE || user;
  return `${user}@${(match?.[2] ?? '').toLowerCase()}/${database}`;
}

/**
 * The server refused the login (SQLSTATE class 28, which the core's wrapError reports as "The
 * server of … refused the login: …").
 */
export function isLoginRefused(error: unknown): boolean {
  return isProntoError(error) && /refused the login/.test(error.message);
}

/**
 * Passwords of server locations that have none of their own (not in the URL, no PGPASSWORD), kept
 * in VS Code's SecretStorage under `user@hosts/database`. The core asks `lookup` whenever a server
 * wants a password; when a server refuses a login for want of one, `afterFailure` asks the user once,
 * tries the answer, and keeps it only when the server takes it. Passwords never go to settings,
 * cursor files, `.prontodb`, the log, messages, or the environment of terminals.
 */
export class ServerPasswords {
  /** Answers being tried: the core's lookup sees them before they are kept. */
  private readonly trying = new Map<string, string>();
  /**
   * What SecretStorage holds per server (undefined: nothing), read once: the driver asks in the
   * middle of every new connection's login exchange, which then need not wait on the window's
   * secret store.
   */
  private readonly known = new Map<string, string | undefined>();
  /** Servers whose question the user dismissed: not asked again until Refresh or Forget Server Password. */
  private readonly declined = new Set<string>();
  /** One question per server at a time; everything refused meanwhile waits for its answer. */
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    /** Whether `location` can be reached now with the password the lookup gives (a test connection). */
    private readonly check: (location: string) => Promise<void>,
  ) {
    // Another window kept or forgot one: read it again (meanwhile lookups answer what was known).
    context.subscriptions.push(
      context.secrets.onDidChange((event) => {
        if (!event.key.startsWith(SECRET_PREFIX)) return;
        const key = event.key.slice(SECRET_PREFIX.length);
        void context.secrets.get(event.key).then((kept) => this.known.set(key, kept), () => this.known.delete(key));
      }),
    );
  }

  /** The core's password hook (PostgresBackendOptions.password). */
  readonly lookup = async (serverUrl: string): Promise<string | undefined> => {
    const key = serverKey(serverUrl);
    const trying = this.trying.get(key);
    if (trying !== undefined) return trying;
    if (this.known.has(key)) return this.known.get(key);
    const kept = await this.context.secrets.get(SECRET_PREFIX + key);
    // A password taken (or forgotten) while this read was pending is newer than what it read: keep that.
    if (!this.known.has(key)) this.known.set(key, kept);
    return this.known.get(key);
  };

  /** The servers a password is kept for. */
  keys(): string[] {
    return this.context.globalState.get<string[]>(KEYS_STATE, []);
  }

  /** Refresh: a server whose question was dismissed is asked again at its next refusal. */
  reset(): void {
    this.declined.clear();
  }

  /**
   * After reading `location` failed with `error`: when a server refused a login that had no password
   * of its own, asks for one (once; a kept one that no longer works is dropped first) and resolves
   * true once the server took it, so the caller reads again. False for every other failure.
   */
  afterFailure(error: unknown, location: string | undefined): Promise<boolean> {
    if (!location || !isLoginRefused(error) || !isPostgresLocation(location) || urlHasPassword(location) || process.env.PGPASSWORD) return Promise.resolve(false);
    let key: string;
    try {
      key = serverKey(location);
    } catch {
      return Promise.resolve(false);
    }
    const pending = this.asking.get(key);
    if (pending) return pending;
    const asked = this.ask(key, location).finally(() => this.asking.delete(key));
    this.asking.set(key, asked);
    return asked;
  }

  private async ask(key: string, location: string): Promise<boolean> {
    if (await this.context.secrets.get(SECRET_PREFIX + key)) {
      // A refusal may come from a connection opened before the password was kept (the readers were
      // told to read again then): nothing to ask while the kept one still works.
      if (await this.works(location)) return false;
      await this.remove(key);
      this.log.warn(`The server refused the password kept for ${key}; it is forgotten`);
    }
    if (this.declined.has(key)) return false;
    let prompt = `The server refused the login of ${key} without a password. Its password is kept in VS Code's secret storage (ProntoDB: Forget Server Password removes it).`;
    for (;;) {
      const answer = await vscode.window.showInputBox({
        title: `ProntoDB: password for ${key}`,
        prompt,
        password: true,
        ignoreFocusOut: true,
      });
      if (answer === undefined) {
        this.declined.add(key);
        this.log.info(`No password given for ${key}; ProntoDB: Refresh asks again`);
        return false;
      }
      this.trying.set(key, answer);
      let accepted: boolean;
      try {
        accepted = await this.works(location);
      } finally {
        this.trying.delete(key);
      }
      if (accepted) {
        await this.context.secrets.store(SECRET_PREFIX + key, answer);
        this.known.set(key, answer);
        await this.context.globalState.update(KEYS_STATE, [...new Set([...this.keys(), key])].sort());
        this.log.info(`The password for ${key} is kept in VS Code's secret storage`);
        return true;
      }
      prompt = `The server refused that password for ${key}. Try again, or press Escape.`;
    }
  }

  /** Whether the server takes the login now; other failures (unreachable) count as taken, since asking again would not help. */
  private async works(location: string): Promise<boolean> {
    try {
      await this.check(location);
      return true;
    } catch (error) {
      return !isLoginRefused(error);
    }
  }

  private async remove(key: string): Promise<void> {
    await this.context.secrets.delete(SECRET_PREFIX + key);
    this.known.set(key, undefined);
    await this.context.globalState.update(
      KEYS_STATE,
      this.keys().filter((kept) => kept !== key),
    );
  }

  /** ProntoDB: Forget Server Password. Resolves with the server forgotten, or undefined. */
  async forget(activeLocation: string | undefined): Promise<string | undefined> {
    const keys = this.keys();
    if (keys.length === 0) {
      void vscode.window.showInformationMessage('ProntoDB: no server password is kept.');
      return undefined;
    }
    let active: string | undefined;
    try {
      active = activeLocation && isPostgresLocation(activeLocation) ? serverKey(activeLocation) : undefined;
    } catch {
      active = undefined;
    }
    const ordered = active && keys.includes(active) ? [active, ...keys.filter((key) => key !== active)] : keys;
    const picked = await vscode.window.showQuickPick(
      ordered.map((key) => ({ label: key, description: key === active ? 'active database' : undefined })),
      { title: 'ProntoDB: Forget Server Password', placeHolder: 'The server whose kept password to forget' },
    );
    if (!picked) return undefined;
    await this.remove(picked.label);
    this.declined.delete(picked.label);
    this.log.info(`Forgot the password kept for ${picked.label}`);
    void vscode.window.showInformationMessage(`ProntoDB: forgot the password for ${picked.label}.`);
    return picked.label;
  }
}
