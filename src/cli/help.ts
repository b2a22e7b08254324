/** Help texts, rendered from the command table: `prontodb help`, `help <cmd>` and `<cmd> --help`. */
import { type CommandSpec, formGrammar, HELP_GROUPS } from './commandTable';
import { type OptionName, OPTIONS, optionSpec } from './options';

/** The usage lines, then the command's text indented under them. */
export function commandHelp(spec: CommandSpec): string {
  const usageLines = spec.forms.map((form, index) => {
    const notes = [...(index === 0 && spec.aliases?.length ? [`alias: ${spec.aliases.join(', ')}`] : []), ...(form.note ? [form.note] : [])];
    return `prontodb ${form.usage}${notes.map((note) => `    (${note})`).join('')}`;
  });
  return [...usageLines, ...spec.help.split('\n').map((line) => `  ${line}`)].join('\n');
}

/** How `prontodb help` lists a command: `scan (ls)`, `db list|create|delete`. */
function listing(spec: CommandSpec): string {
  const actions = [...new Set(spec.forms.map((form) => formGrammar(spec.name, form.usage).action).filter((action) => action !== undefined))];
  const aliases = spec.aliases?.length ? ` (${spec.aliases.join(', ')})` : '';
  return `${spec.name}${aliases}${actions.length ? ` ${actions.join('|')}` : ''}`;
}

function globalOptionLines(): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const { short, global } = optionSpec(name);
    if (!global) continue;
    const flag = `${short ? `-${short}, ` : ''}--${name}${global.value ? ` ${global.value}` : ''}`;
    lines.push(`  ${flag.padEnd(19)} ${global.help}`);
  }
  return lines;
}

export function generalHelp(commands: readonly CommandSpec[], version: string): string {
  const groups = HELP_GROUPS.map((group) => {
    const names = commands.filter((spec) => spec.group === group).map(listing);
    return `${`${group}:`.padEnd(11)} ${names.join(', ')}`;
  });
  return `prontodb ${version} — key-value store for people and coding agents

Usage: prontodb [options] <command> [arguments]     (options may also follow the command)

Addresses: key | namespace.key | project.namespace.key, each with an optional __context.
  Missing parts default to -p/-n, the cursor's defaults, then 'default'.

${groups.join('\n')}

'prontodb help <command>' (or 'prontodb <command> --help') describes one command.

Options:
${globalOptionLines().join('\n')}
  --                  end of options (for values starting with '-')

Which database: --database > --cursor > .prontodb (here or above) > the user's selection
  > the global selection > main.  Environment: PRONTODB_DATABASE (or PRONTODB_DATABASE_URL,
  a postgres:// server, or PRONTODB_DATABASE_PATH, a file), PRONTODB_CURSOR, PRONTODB_USER stand
  in for the flags; PRONTODB_DATA_DIR sets the data directory; XDG_DATA_HOME and PRONTO_DB work
  as in the Rust CLI.

Exit codes: 0 ok, 1 error, 2 miss (get found nothing; watch timed out),
  3 condition not met (set --if-absent found a value, set/del --expect found another one);
  nothing was written, and standard error says why; 4 doctor found warnings only.`;
}
