/**
 * The shape of the CLI's command table and what is derived from it: which command a name means,
 * which usage form an invocation is, and whether its options and arguments fit that form. The
 * table itself is src/cli/commands/index.ts; help texts are rendered in help.ts.
 */
import { usageError } from '../core/errors';
import type { ProntoDB } from '../core/pronto';
import { type Invocation, isGlobalOption, type OptionName, optionForFlag, optionSpec } from './options';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Standard input as the bytes that arrived. */
  readStdin(): Promise<Buffer>;
  env: Record<string, string | undefined>;
}

/** Exit status: 0 ok, 1 error, 2 miss (or a watch that timed out), 3 condition not met, 4 doctor found warnings only (help.ts explains). */
export type ExitCode = 0 | 1 | 2 | 3 | 4;

export interface CommandContext {
  readonly invocation: Invocation;
  readonly io: Io;
  /** Made on first use, so help and version open nothing. */
  readonly pronto: ProntoDB;
  /** The whole table, for `help`. */
  readonly commands: readonly CommandSpec[];
  readonly version: string;
}

/** Runs one usage form; `args` are the positional arguments after the command (and action) word, already counted. */
export type Handler = (context: CommandContext, args: string[]) => Promise<ExitCode>;

export interface FormSpec {
  /**
   * The form as help shows it, after "prontodb ". It is also the form's grammar: `<x>` is a required
   * argument and `[x]` an optional one; a word right after the command name is an action
   * (`db create <name>`); `[--opt VALUE]` is an option the form accepts; a bare `--opt` is accepted
   * too and, given, selects this form among forms without actions (`backup --list`). Options not
   * named here are refused unless they are global (see options.ts).
   */
  usage: string;
  /** Shown after the usage line in help, in parentheses. */
  note?: string;
  run: Handler;
}

export const HELP_GROUPS = ['Data', 'TTL', 'Agents', 'Databases', 'Health', 'Cursors', 'Other'] as const;
export type HelpGroup = (typeof HELP_GROUPS)[number];

export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  /** The line of `prontodb help` that lists it. */
  group: HelpGroup;
  forms: readonly FormSpec[];
  /** What `help <name>` prints under the usage lines (indented there). */
  help: string;
  /** The action `prontodb <name>` alone runs (`db` lists). */
  defaultAction?: string;
  /** Moves much data: main.ts keeps V8's optimising wasm compiler for it. */
  bulk?: boolean;
}

/** What a usage line says, read once per invoked command. */
export interface FormGrammar {
  action: string | undefined;
  /** How many positional arguments the form takes, after the action word. */
  minArgs: number;
  maxArgs: number;
  /** Options written bare (`--list`, `--force`). */
  bareOptions: OptionName[];
  /** Every option the usage names, bare or in brackets. */
  options: OptionName[];
  /** What messages call the form: `get`, `db create`, `backup --list`. */
  label: string;
}

export function findCommand(commands: readonly CommandSpec[], name: string): CommandSpec | undefined {
  return commands.find((spec) => spec.name === name || spec.aliases?.includes(name));
}

/** A mistake in the table is a bug in the CLI, not in what the user typed. */
function tableError(usage: string, problem: string): Error {
  return new Error(`command table: usage '${usage}': ${problem}`);
}

export function formGrammar(commandName: string, usage: string): FormGrammar {
  const tokens = usage.match(/\[[^\]]*\]|<[^>]*>|\S+/g) ?? [];
  if (tokens[0] !== commandName) throw tableError(usage, `does not start with '${commandName}'`);
  let action: string | undefined;
  let minArgs = 0;
  let optionalArgs = 0;
  const bareOptions: OptionName[] = [];
  const options: OptionName[] = [];
  const optionNamed = (flag: string): OptionName => {
    const name = optionForFlag(flag);
    if (name === undefined) throw tableError(usage, `'${flag}' is not an option of the CLI`);
    options.push(name);
    return name;
  };
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (i === 1 && /^[a-z][a-z-]*$/.test(token)) {
      action = token;
    } else if (token.startsWith('<')) {
      if (optionalArgs > 0) throw tableError(usage, `required ${token} follows an optional argument`);
      minArgs++;
    } else if (token.startsWith('[') && !token.startsWith('[-')) {
      optionalArgs++;
    } else if (token.startsWith('[-')) {
      const [flag, ...value] = token.slice(1, -1).trim().split(/\s+/);
      const name = optionNamed(flag!);
      if ((optionSpec(name).type === 'string') !== (value.length > 0)) throw tableError(usage, `${token} does not match the option's type`);
    } else if (token.startsWith('-')) {
      const name = optionNamed(token);
      bareOptions.push(name);
      if (optionSpec(name).type === 'string') {
        if (i + 1 >= tokens.length) throw tableError(usage, `${token} needs a value`);
        i++; // its value's placeholder
      }
    } else {
      throw tableError(usage, `cannot read '${token}'`);
    }
  }
  const label = [commandName, ...(action !== undefined ? [action] : bareOptions.map((name) => `--${name}`))].join(' ');
  return { action, minArgs, maxArgs: minArgs + optionalArgs, bareOptions, options, label };
}

/**
 * Which form of `spec` an invocation is, with the arguments its handler gets; refuses options the
 * form does not accept and argument counts it does not take.
 */
export function chooseForm(spec: CommandSpec, invocation: Invocation): { form: FormSpec; args: string[] } {
  const forms = spec.forms.map((form) => ({ form, grammar: formGrammar(spec.name, form.usage) }));
  const actions = [...new Set(forms.flatMap(({ grammar }) => (grammar.action === undefined ? [] : [grammar.action])))];
  let args = invocation.args;
  let candidates = forms.filter(({ grammar }) => grammar.action === undefined);
  if (actions.length > 0) {
    const word = args[0] ?? spec.defaultAction;
    if (word !== undefined && actions.includes(word)) {
      candidates = forms.filter(({ grammar }) => grammar.action === word);
      args = args.slice(1);
    } else if (word === undefined) {
      throw usageError(`Usage: prontodb ${spec.forms[0]!.usage}`);
    } else if (candidates.length === 0) {
      throw usageError(`Unknown ${spec.name} action '${word}' (${actions.join(', ')})`);
    }
  }
  const given = (name: OptionName) => invocation.options[name] !== undefined;
  // A form selected by its bare options (the most of them, all given), else one that has none.
  const selected = candidates
    .filter(({ grammar }) => grammar.bareOptions.length > 0 && grammar.bareOptions.every(given))
    .sort((a, b) => b.grammar.bareOptions.length - a.grammar.bareOptions.length);
  const chosen = selected[0] ?? candidates.find(({ grammar }) => grammar.bareOptions.length === 0) ?? candidates[0]!;
  const { grammar } = chosen;
  for (const name of Object.keys(invocation.options) as OptionName[]) {
    if (!isGlobalOption(name) && !grammar.options.includes(name)) {
      throw usageError(`Option --${name} does not apply to '${grammar.label}'`);
    }
  }
  if (args.length < grammar.minArgs || args.length > grammar.maxArgs) throw usageError(`Usage: prontodb ${chosen.form.usage}`);
  return { form: chosen.form, args };
}
