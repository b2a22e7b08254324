import * as path from 'node:path';
import * as v8 from 'node:v8';
import { ConditionFailedError, describeErrno, errnoCode, isProntoError, usageError } from '../core/errors';
import { ProntoDB } from '../core/pronto';
import { configureSqlJs } from '../core/sqljs';
import { chooseForm, type CommandContext, type ExitCode, findCommand, type Io } from './commandTable';
import { COMMANDS } from './commands/index';
import { printHelp, printVersion } from './commands/info';
import { generalHelp } from './help';
import { parseInvocation } from './options';

declare const PRONTODB_VERSION: string | undefined;
const VERSION = typeof PRONTODB_VERSION === 'string' ? PRONTODB_VERSION : 'dev';

/**
 * Runs one command line. `--help` anywhere is `help <command>`, then `--version` anywhere is
 * `version`; otherwise the command table picks the command's form, checks its options and
 * arguments, and runs its handler. Every error is one line on stderr and exit 1.
 */
export async function main(argv: string[], io: Io, cwd = process.cwd()): Promise<ExitCode> {
  let pronto: ProntoDB | undefined;
  try {
    const invocation = parseInvocation(argv);
    const context: CommandContext = {
      invocation,
      io,
      commands: COMMANDS,
      version: VERSION,
      get pronto() {
        return (pronto ??= new ProntoDB({ env: io.env, cwd, client: 'cli' }));
      },
    };
    const { command, options } = invocation;
    if (options.help) return await printHelp(context, command);
    if (options.version) return await printVersion(context);
    if (command === undefined) {
      io.out(`${generalHelp(COMMANDS, VERSION)}\n`);
      return 1;
    }
    const spec = findCommand(COMMANDS, command);
    if (!spec) throw usageError(`unknown command '${command}' (see 'prontodb help')`);
    const { form, args } = chooseForm(spec, invocation);
    try {
      return await form.run(context, args);
    } finally {
      await pronto?.close();
    }
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      // Not a failure: the answer "someone else has it", which scripts branch on.
      io.err(`Not written: ${error.message}\n`);
      return 3;
    }
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
  if (!argv.some((arg) => findCommand(COMMANDS, arg)?.bulk)) v8.setFlagsFromString('--liftoff-only');
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
