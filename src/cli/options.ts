import { parseArgs } from 'node:util';
import { usageError } from '../core/errors';

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Global options apply to every command; `prontodb help` lists them with this text. */
  global?: { value?: string; help: string };
}

/**
 * Every option of the CLI. Which command accepts which non-global option is read from the usage
 * lines of the command table (src/cli/commands/), so an option no usage line names is refused.
 */
export const OPTIONS = {
  database: { type: 'string', global: { value: 'NAME', help: 'use this database for this call only' } },
  'database-url': { type: 'string', global: { value: 'URL', help: 'a server database (postgres://…); with --database, its named one' } },
  cursor: { type: 'string', short: 'c', global: { value: 'NAME', help: 'use this cursor for this call only' } },
  user: { type: 'string', short: 'u', global: { value: 'NAME', help: "cursor profile (default: 'default')" } },
  project: { type: 'string', short: 'p', global: { value: 'P', help: 'project for addresses without one' } },
  namespace: { type: 'string', short: 'n', global: { value: 'N', help: 'namespace for addresses without one' } },
  'ns-delim': { type: 'string', global: { value: 'S', help: "segment delimiter instead of '.'" } },
  quiet: { type: 'boolean', short: 'q', global: { help: 'no status lines on standard error' } },
  help: { type: 'boolean', short: 'h', global: { help: "this help; with a command, that command's help" } },
  version: { type: 'boolean', short: 'v', global: { help: 'print the version' } },
  ttl: { type: 'string' },
  meta: { type: 'string' },
  stdin: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  target: { type: 'string' },
  list: { type: 'boolean', short: 'l' },
  restore: { type: 'string', short: 'r' },
  rotate: { type: 'string' },
  force: { type: 'boolean', short: 'f' },
  'preserve-timestamps': { type: 'boolean' },
  'if-absent': { type: 'boolean' },
  expect: { type: 'string' },
  timeout: { type: 'string' },
  'read-only': { type: 'boolean' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  fix: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'keep-days': { type: 'string' },
  'keep-rows': { type: 'string' },
  'keep-values': { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'no-open': { type: 'boolean' },
  'allow-remote': { type: 'boolean' },
  prometheus: { type: 'boolean' },
  replace: { type: 'boolean' },
  progress: { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;
export type ParsedOptions = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export interface Invocation {
  command: string | undefined;
  args: string[];
  options: ParsedOptions;
}

export function optionSpec(name: OptionName): OptionSpec {
  return OPTIONS[name];
}

export function isGlobalOption(name: OptionName): boolean {
  return optionSpec(name).global !== undefined;
}

/** The option a flag names (`--ttl`, `-p`), or undefined for a flag the CLI does not have. */
export function optionForFlag(flag: string): OptionName | undefined {
  const names = Object.keys(OPTIONS) as OptionName[];
  if (flag.startsWith('--')) return names.find((name) => name === flag.slice(2));
  if (/^-[A-Za-z]$/.test(flag)) return names.find((name) => optionSpec(name).short === flag.slice(1));
  return undefined;
}

/**
 * One grammar for every command: options may stand before or after the command, `--` ends options,
 * and `-h`/`-v` only mean help/version where they are options, never as values after `--`.
 */
export function parseInvocation(argv: string[]): Invocation {
  const grammar: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const { type, short } = optionSpec(name);
    grammar[name] = short === undefined ? { type } : { type, short };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: grammar, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError((error as Error).message.split('\n')[0]!);
  }
  const [command, ...args] = parsed.positionals;
  return { command, args, options: parsed.values as ParsedOptions };
}

export function wholeNumber(name: string, text: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min || Number(text) > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : '';
    throw usageError(`${name} '${text}' must be a whole number${range}`);
  }
  return Number(text);
}
