import * as path from 'node:path';
import * as v8 from 'node:v8';
import { describeErrno, errnoCode, isProntoError } from '../core/errors';
import { ProntoDB } from '../core/pronto';
import { configureSqlJs } from '../core/sqljs';
import { parseInvocation } from './args';
import { type ExitCode, type Io, knownCommand, runCommand } from './commands';
import { COMMAND_HELP, generalHelp } from './help';

declare const PRONTODB_VERSION: string | undefined;
const VERSION = typeof PRONTODB_VERSION === 'string' ? PRONTODB_VERSION : 'dev';

export async function main(argv: string[], io: Io, cwd = process.cwd()): Promise<ExitCode> {
  try {
    const invocation = parseInvocation(argv);
    const { command, options } = invocation;
    if (options.version || command === 'version') {
      io.out(`prontodb ${VERSION}\n`);
      return 0;
    }
    if (command === 'help' || command === undefined || options.help) {
      const topic = command === 'help' ? invocation.args[0] : command;
      if (topic !== undefined && !(topic in COMMAND_HELP)) {
        io.err(`Error: no help for unknown command '${topic}'\n`);
        return 1;
      }
      io.out(`${topic === undefined ? generalHelp(VERSION) : COMMAND_HELP[topic]}\n`);
      return command === undefined && !options.help ? 1 : 0;
    }
    if (!knownCommand(command)) {
      io.err(`Error: unknown command '${command}' (see 'prontodb help')\n`);
      return 1;
    }
    const pronto = new ProntoDB({ env: io.env, cwd });
    try {
      return await runCommand(pronto, invocation, io);
    } finally {
      await pronto.close();
    }
  } catch (error) {
    io.err(`Error: ${describeFailure(error, io.env)}\n`);
    return 1;
  }
}

/**
 * One line for the user. Expected failures (ProntoErrors, and file-system errors caused by what the
 * user pointed at) never show a stack; anything else is a bug, whose stack PRONTODB_DEBUG=1 shows.
 */
function describeFailure(error: unknown, env: Record<string, string | undefined>): string {
  if (isProntoError(error)) return error.message;
  if (errnoCode(error)) return describeErrno(error as NodeJS.ErrnoException);
  const message = error instanceof Error ? error.message : String(error);
  if (env.PRONTODB_DEBUG && error instanceof Error && error.stack) return `unexpected failure: ${error.stack}`;
  return `unexpected failure: ${message} (PRONTODB_DEBUG=1 shows where)`;
}

/** Standard input as bytes: `set --stdin` decides itself how to read them. */
function readStdin(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', reject);
  });
}

/**
 * A one-shot command runs a few statements: compiling SQLite's wasm with the baseline compiler only
 * saves the optimising compiler's background work, which otherwise keeps the process alive for
 * hundreds of milliseconds after the answer is printed. Bulk commands still get optimised code.
 */
function preferFastStartup(argv: string[]): void {
  const bulk = new Set(['import', 'export', 'backup', 'restore']);
  if (!argv.some((arg) => bulk.has(arg))) v8.setFlagsFromString('--liftoff-only');
}

if (require.main === module) {
  preferFastStartup(process.argv.slice(2));
  // `prontodb scan | head -1`: a reader that goes away is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  configureSqlJs({ wasmPath: path.join(__dirname, 'sql-wasm.wasm') });
  const io: Io = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    readStdin,
    env: process.env,
  };
  void main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
