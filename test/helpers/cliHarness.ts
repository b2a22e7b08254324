/**
 * Shared helpers for the CLI, interop and multi-process tests: an isolated home per sandbox, a
 * runner for the bundled CLI (`dist/cli.js`) with a clean environment, the system `sqlite3`, and the
 * compiled fixture scripts under `out/test/fixtures`.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';

/** This file runs from `out/test/helpers/`; the repository is three levels up. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * How a Sandbox runs the CLI: 'spawn' starts `node dist/cli.js` (the shipped bundle, a real process);
 * 'inprocess' calls the same `main(argv, io, cwd)` in this process with the sandbox's environment,
 * which costs milliseconds instead of a process start plus a WebAssembly compile (~0.3 CPU-s).
 */
export type RunMode = 'spawn' | 'inprocess';

/** PRONTODB_CLI_MODE=spawn runs every CLI test through the bundle; the default mixes both. */
export const DEFAULT_MODE: RunMode = process.env.PRONTODB_CLI_MODE === 'spawn' ? 'spawn' : 'inprocess';

export interface RunOptions {
  /** Overrides the sandbox's mode; tests about the process boundary force 'spawn'. */
  via?: RunMode;
  /** Written to the child's standard input, which is then closed. */
  input?: string | Buffer;
  cwd?: string;
  /** Merged over the sandbox environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** The only variables a CLI child sees: no PRONTODB_*, PRONTO_*, XDG_* from the test runner's shell. */
function cleanEnv(home: string, xdgData: string): Record<string, string> {
  const env: Record<string, string> = { HOME: home, XDG_DATA_HOME: xdgData, LANG: 'C.UTF-8' };
  if (process.env.PATH) env.PATH = process.env.PATH;
  if (process.env.SYSTEMROOT) env.SYSTEMROOT = process.env.SYSTEMROOT;
  return env;
}

function mergeEnv(base: Record<string, string>, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = { ...base };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `node <script> ...args` and collects everything; never rejects on a non-zero exit. */
export function runNode(script: string, args: string[], options: { env: Record<string, string>; cwd: string; input?: string | Buffer; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 25_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.on('error', () => undefined); // the child may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** The CLI's `main` with captured output; stderr lines get the newline the real CLI adds. */
async function runInProcess(args: string[], env: Record<string, string>, cwd: string, input: string | Buffer | undefined): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text.endsWith('\n') ? text : `${text}\n`;
    },
    readStdin: () => Promise.resolve(input === undefined ? Buffer.alloc(0) : Buffer.from(input)),
    env,
  }, cwd);
  return { code, signal: null, stdout, stderr };
}

/**
 * A fresh temp directory with its own HOME and XDG_DATA_HOME. The data directory of the Rust
 * layout is `<root>/xdg-data/odx/prontodb`; cursor-cache files live in `<root>/home/.local/etc/prontodb`.
 */
export class Sandbox {
  readonly root: string;
  readonly home: string;
  readonly xdgData: string;
  readonly dataDir: string;
  readonly cursorCacheDir: string;
  readonly env: Record<string, string>;

  constructor(prefix = 'prontodb-test-') {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    this.home = path.join(this.root, 'home');
    this.xdgData = path.join(this.root, 'xdg-data');
    this.dataDir = path.join(this.xdgData, 'odx', 'prontodb');
    this.cursorCacheDir = path.join(this.home, '.local', 'etc', 'prontodb');
    fs.mkdirSync(this.home, { recursive: true });
    this.env = cleanEnv(this.home, this.xdgData);
  }

  /** `<data>/<name>/pronto.<name>.prdb`, the Rust CLI's layout. */
  dbFile(name = 'main'): string {
    return path.join(this.dataDir, name, `pronto.${name}.prdb`);
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  envWith(extra: Record<string, string | undefined> = {}): Record<string, string> {
    return mergeEnv(this.env, extra);
  }

  /** Runs the CLI in this sandbox (cwd defaults to the sandbox root), spawned or in process. */
  run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const env = this.envWith(options.env);
    const cwd = options.cwd ?? this.root;
    if ((options.via ?? DEFAULT_MODE) === 'spawn') return runNode(CLI, args, { env, cwd, input: options.input, timeoutMs: options.timeoutMs });
    return runInProcess(args, env, cwd, options.input);
  }

  /** Runs and asserts exit 0 with nothing unexpected; returns stdout. */
  async ok(args: string[], options: RunOptions = {}): Promise<string> {
    const result = await this.run(args, options);
    assert.equal(result.code, 0, `prontodb ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  /** Runs and asserts exit 1 with an `Error:` on stderr and nothing on stdout; returns stderr. */
  async fails(args: string[], options: RunOptions = {}): Promise<string> {
    const result = await this.run(args, options);
    assert.equal(result.code, 1, `prontodb ${args.join(' ')} should exit 1, exited ${result.code} (stdout ${JSON.stringify(result.stdout)})`);
    assert.equal(result.stdout, '', `prontodb ${args.join(' ')} should print nothing on stdout`);
    assert.match(result.stderr, /\S/, 'an error must be explained on stderr');
    return result.stderr;
  }

  /** Runs a compiled fixture script (`out/test/fixtures/<name>.js`) in this sandbox. */
  fixture(name: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    return runNode(path.join(FIXTURES, `${name}.js`), args, { env: this.envWith(options.env), cwd: options.cwd ?? this.root, input: options.input, timeoutMs: options.timeoutMs });
  }

  /** Starts a compiled fixture script without waiting for it. */
  spawnFixture(name: string, args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): ChildProcess {
    return spawn(process.execPath, [path.join(FIXTURES, `${name}.js`), ...args], {
      cwd: options.cwd ?? this.root,
      env: this.envWith(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

// ---- system sqlite3 -------------------------------------------------------------------------------

export function hasSqlite3(): boolean {
  return spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;
}

export function requireSqlite3(): void {
  assert.ok(hasSqlite3(), 'these tests need the system sqlite3 binary (Debian package sqlite3: apt-get install sqlite3)');
}

/** Runs SQL through the system `sqlite3` and returns its output (rows '|'-separated, one per line). */
export function sqlite3(file: string, sql: string): string {
  return execFileSync('sqlite3', ['-batch', file], { input: sql, encoding: 'utf8' });
}

/** Rows of a query as arrays of strings (NULL prints as `<NULL>`). */
export function sqliteRows(file: string, sql: string): string[][] {
  const out = execFileSync('sqlite3', ['-batch', '-separator', '\x1f', '-newline', '\x1e', '-nullvalue', '<NULL>', file], { input: sql, encoding: 'utf8' });
  return out
    .split('\x1e')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\x1f'));
}

/**
 * `ok`, or what is wrong: a missing, empty (sqlite3 calls a 0-byte file an empty, healthy database)
 * or truncated file, or what sqlite3's integrity_check found (including errors that make it fail).
 */
export function integrityCheck(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return `${file} does not exist`;
  if (stat.size === 0) return `${file} is empty (0 bytes)`;
  const header = Buffer.alloc(100);
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.readSync(fd, header, 0, 100, 0) < 100) return `${file} is truncated: ${stat.size} bytes, shorter than the SQLite header`;
  } finally {
    fs.closeSync(fd);
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pageCount = header.readUInt32BE(28);
  // The header's page count is valid when its version-valid-for number matches the change counter.
  if (pageSize >= 512 && header.readUInt32BE(92) === header.readUInt32BE(24) && stat.size < pageCount * pageSize) {
    return `${file} is truncated: ${stat.size} bytes, its header says ${pageCount} pages of ${pageSize}`;
  }
  if (pageSize >= 512 && stat.size % pageSize !== 0) return `${file} is truncated: ${stat.size} bytes is not a whole number of ${pageSize}-byte pages`;
  const result = spawnSync('sqlite3', ['-batch', file], { input: 'PRAGMA integrity_check;', encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim();
}

/** Header bytes 18 and 19: 1 = rollback journal, 2 = WAL. */
export function headerFormatBytes(file: string): [number, number] {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(2);
    fs.readSync(fd, buffer, 0, 2, 18);
    return [buffer[0]!, buffer[1]!];
  } finally {
    fs.closeSync(fd);
  }
}

/** sqlite_master without the DDL text (whitespace in it may differ), sorted. */
export function schemaObjects(file: string): string[] {
  return sqliteRows(file, "SELECT type, name, tbl_name FROM sqlite_master ORDER BY type, name;").map((row) => row.join(' '));
}

export const EXPECTED_SCHEMA_OBJECTS = [
  'index idx_kv_expiry kv',
  'index sqlite_autoindex_kv_1 kv',
  'index sqlite_autoindex_sys_namespaces_1 sys_namespaces',
  'table kv kv',
  'table sys_namespaces sys_namespaces',
];

/** What a file ProntoDB creates holds: the Rust CLI's schema plus the latest migration's unique address index (src/core/migrations.ts). */
export const CREATED_SCHEMA_OBJECTS = [EXPECTED_SCHEMA_OBJECTS[0]!, 'index kv_unique_address kv', ...EXPECTED_SCHEMA_OBJECTS.slice(1)];

/** Bytes of a file, or undefined when it does not exist. */
export function snapshot(file: string): Buffer | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file) : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lines of a command's output, without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line, index, all) => !(line === '' && index === all.length - 1));
}

/**
 * "Machines" for CLI tests against a shared server: each `machine(env)` is a new Sandbox (its own
 * HOME and data directory) whose commands run as spawned processes with `env`. Everything they
 * print is kept in `printed`, for checks that no secret was shown; `cleanup` removes the sandboxes.
 */
export function sandboxMachines(prefix: string) {
  const sandboxes: Sandbox[] = [];
  const printed: string[] = [];
  function machine(env: Record<string, string> = {}) {
    const sandbox = new Sandbox(prefix);
    sandboxes.push(sandbox);
    const run = async (args: string[], options: RunOptions = {}): Promise<RunResult> => {
      const result = await sandbox.run(args, { via: 'spawn', ...options, env: { ...env, ...options.env } });
      printed.push(result.stdout, result.stderr);
      return result;
    };
    const ok = async (args: string[], options: RunOptions = {}): Promise<string> => {
      const result = await run(args, options);
      assert.equal(result.code, 0, `prontodb ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    };
    return { sandbox, run, ok };
  }
  return { machine, printed, cleanup: () => sandboxes.splice(0).forEach((sandbox) => sandbox.cleanup()) };
}
