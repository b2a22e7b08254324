/**
 * A native `sqlite3` shell kept running and fed statements on stdin, standing in for the Rust
 * prontodb or any other native SQLite program that has a database open.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';

export class NativeSession {
  private output = '';
  readonly child: ChildProcessWithoutNullStreams;

  constructor(file: string, args: string[] = []) {
    this.child = spawn('sqlite3', ['-batch', ...args, file]);
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Runs statements and resolves once sqlite3 has executed them (it echoes a marker). */
  async exec(sql: string): Promise<string> {
    const marker = `done-${Math.random().toString(36).slice(2)}`;
    const start = this.output.length;
    this.child.stdin.write(`${sql}\nSELECT '${marker}';\n`);
    const deadline = Date.now() + 20_000;
    while (!this.output.includes(marker, start)) {
      if (Date.now() > deadline) throw new Error(`sqlite3 did not answer: ${this.output}`);
      if (this.child.exitCode !== null) throw new Error(`sqlite3 exited: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.output.slice(start, this.output.indexOf(marker, start));
  }

  kill(): Promise<void> {
    return this.close('SIGKILL');
  }

  quit(): Promise<void> {
    return this.close();
  }

  private close(signal?: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.on('exit', () => resolve());
      if (signal) this.child.kill(signal);
      else this.child.stdin.end('.quit\n');
    });
  }
}

/** Whether `pid` holds a POSIX lock on `file` right now (Linux /proc/locks). */
export function holdsPosixLock(pid: number, file: string): boolean {
  const ino = String(fs.statSync(file).ino);
  return fs
    .readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((line) => {
      const fields = line.replace('->', '').trim().split(/\s+/);
      return fields[4] === String(pid) && fields[5]?.endsWith(`:${ino}`);
    });
}

export const CAN_SEE_POSIX_LOCKS = fs.existsSync('/proc/locks');
