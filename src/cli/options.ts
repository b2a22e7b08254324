import { parseArgs } from 'node:util';
import { usageError } from '../core/errors';

/**
 * One grammar for every command: options may stand before or after the command, `--` ends options,
 * and `-h`/`-v` only mean help/version where they are options, never as values after `--`.
 */
const OPTIONS = {
  database: { type: 'string' },
  cursor: { type: 'string', short: 'c' },
  user: { type: 'string', short: 'u' },
  project: { type: 'string', short: 'p' },
  namespace: { type: 'string', short: 'n' },
  'ns-delim': { type: 'string' },
  ttl: { type: 'string' },
  meta: { type: 'string' },
  stdin: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  target: { type: 'string' },
  list: { type: 'boolean', short: 'l' },
  restore: { type: 'string', short: 'r' },
  rotate: { type: 'string' },
  keep: { type: 'string' },
  force: { type: 'boolean', short: 'f' },
  quiet: { type: 'boolean', short: 'q' },
  'preserve-timestamps': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export type OptionName = keyof typeof OPTIONS;
export type ParsedOptions = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export interface Invocation {
  command: string | undefined;
  args: string[];
  options: ParsedOptions;
}

export function parseInvocation(argv: string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError((error as Error).message.split('\n')[0]!);
  }
  const [command, ...args] = parsed.positionals;
  return { command, args, options: parsed.values as ParsedOptions };
}

/** Options that only make sense for some commands are refused elsewhere, so typos surface. */
export function allowOnly(invocation: Invocation, allowed: OptionName[]): void {
  const always: OptionName[] = ['database', 'cursor', 'user', 'project', 'namespace', 'ns-delim', 'help', 'version', 'quiet'];
  for (const name of Object.keys(invocation.options) as OptionName[]) {
    if (!always.includes(name) && !allowed.includes(name)) {
      throw usageError(`Option --${name} does not apply to '${invocation.command}'`);
    }
  }
}

export function expectArgs(invocation: Invocation, min: number, max: number, usage: string): string[] {
  const { args } = invocation;
  if (args.length < min || args.length > max) throw usageError(`Usage: prontodb ${usage}`);
  return args;
}

export function wholeNumber(name: string, text: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min || Number(text) > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : '';
    throw usageError(`${name} '${text}' must be a whole number${range}`);
  }
  return Number(text);
}
