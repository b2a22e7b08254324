/**
 * The CLI's command table (src/cli/commands/): walked as data, so a command added later is covered
 * without touching this file, and checked through `main()` (and the bundle, for exit statuses) for
 * what the table derives: help, `<cmd> --help`, `help <cmd>`, option and argument checking.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isProntoError } from '../../src/core/errors';
import { chooseForm, type CommandSpec, type FormSpec, formGrammar, HELP_GROUPS } from '../../src/cli/commandTable';
import { COMMANDS } from '../../src/cli/commands/index';
import { type Invocation, isGlobalOption, type OptionName, OPTIONS, optionSpec, type ParsedOptions } from '../../src/cli/options';
import { CLI, Sandbox } from '../helpers/cliHarness';

let box: Sandbox;
const SPAWN = { via: 'spawn' } as const;

beforeEach(() => {
  box = new Sandbox('prontodb-table-');
});

afterEach(() => {
  box.cleanup();
});

/** Every name the CLI answers to, with the command it means. */
function everyName(): Array<{ name: string; spec: CommandSpec }> {
  return COMMANDS.flatMap((spec) => [spec.name, ...(spec.aliases ?? [])].map((name) => ({ name, spec })));
}

/** An invocation of `spec` meant to be `form`: its action word, its required arguments, its bare options. */
function invocationOf(spec: CommandSpec, form: FormSpec, extraArgs = 0): Invocation {
  const grammar = formGrammar(spec.name, form.usage);
  const options: Record<string, string | boolean> = {};
  for (const name of grammar.bareOptions) options[name] = optionSpec(name).type === 'string' ? 'x' : true;
  const args = [...(grammar.action === undefined ? [] : [grammar.action]), ...Array.from({ length: grammar.minArgs + extraArgs }, (_, i) => `arg${i}`)];
  return { command: spec.name, args, options: options as ParsedOptions };
}

/** The usage error `chooseForm` throws for an invocation (fails the test if it accepts it). */
function refusal(spec: CommandSpec, invocation: Invocation): string {
  try {
    chooseForm(spec, invocation);
  } catch (error) {
    assert.ok(isProntoError(error, 'usage'), `expected a usage error, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`prontodb ${spec.name} ${invocation.args.join(' ')} ${JSON.stringify(invocation.options)} was accepted`);
}

describe('CLI command table: the table itself', () => {
  it('names and aliases are unique, every usage line reads, and every option is global or named by some form', () => {
    const names = everyName().map(({ name }) => name);
    assert.deepEqual(names.filter((name, i) => names.indexOf(name) !== i), [], 'a name or alias is used twice');
    const named = new Set<OptionName>();
    for (const spec of COMMANDS) {
      assert.ok(spec.forms.length > 0, `${spec.name} has no usage form`);
      assert.match(spec.help, /\S/, `${spec.name} has no help text`);
      const actions = new Set<string>();
      for (const form of spec.forms) {
        const grammar = formGrammar(spec.name, form.usage); // throws on a line it cannot read
        grammar.options.forEach((option) => named.add(option));
        if (grammar.action !== undefined) actions.add(grammar.action);
      }
      if (spec.defaultAction !== undefined) assert.ok(actions.has(spec.defaultAction), `${spec.name}: default action '${spec.defaultAction}' is not one of its forms`);
    }
    const dead = (Object.keys(OPTIONS) as OptionName[]).filter((name) => !isGlobalOption(name) && !named.has(name));
    assert.deepEqual(dead, [], 'options that no usage line names would be refused by every command');
  });

  it('a usage line the grammar cannot read is reported as a bug in the table, naming the line', () => {
    assert.throws(() => formGrammar('get', 'get <address> [--bogus X]'), /command table: usage 'get <address> \[--bogus X\]': '--bogus' is not an option/);
    assert.throws(() => formGrammar('get', 'got <address>'), /does not start with 'get'/);
    assert.throws(() => formGrammar('set', 'set [--ttl]'), /does not match the option's type/);
    assert.throws(() => formGrammar('set', 'set [address] <value>'), /required <value> follows an optional argument/);
  });

  it('every form is reachable: an invocation built from its usage line selects it', () => {
    for (const spec of COMMANDS) {
      for (const form of spec.forms) {
        const chosen = chooseForm(spec, invocationOf(spec, form));
        assert.equal(chosen.form.usage, form.usage, `prontodb ${form.usage} selects another form`);
      }
    }
  });

  it("argument counts are checked against the chosen form, and the error quotes that form's usage", () => {
    for (const spec of COMMANDS) {
      for (const form of spec.forms) {
        const grammar = formGrammar(spec.name, form.usage);
        const tooMany = invocationOf(spec, form, grammar.maxArgs - grammar.minArgs + 1);
        assert.equal(refusal(spec, tooMany), `Usage: prontodb ${form.usage}`);
        if (grammar.minArgs === 0) continue;
        const tooFew = invocationOf(spec, form, -1);
        // `cursor` alone names no action and quotes the command's first form instead.
        if (tooFew.args.length === 0 && spec.forms.some((other) => formGrammar(spec.name, other.usage).action !== undefined)) continue;
        assert.equal(refusal(spec, tooFew), `Usage: prontodb ${form.usage}`);
      }
    }
  });

  it('an option no form of the command names is refused, naming the option and the form', () => {
    for (const spec of COMMANDS) {
      const namedHere = new Set(spec.forms.flatMap((form) => formGrammar(spec.name, form.usage).options));
      const foreign = (Object.keys(OPTIONS) as OptionName[]).filter((name) => !isGlobalOption(name) && !namedHere.has(name));
      for (const form of spec.forms) {
        const invocation = invocationOf(spec, form);
        const { label } = formGrammar(spec.name, form.usage);
        for (const name of foreign) {
          const options = { ...invocation.options, [name]: optionSpec(name).type === 'string' ? 'x' : true };
          assert.equal(refusal(spec, { ...invocation, options }), `Option --${name} does not apply to '${label}'`);
        }
      }
    }
  });
});

describe('CLI command table: help', () => {
  it('every command and alias answers --help, -h and help <name> with exit 0 and all its usage lines on stdout, opening nothing', async () => {
    for (const { name, spec } of everyName()) {
      const results = [await box.run([name, '--help']), await box.run([name, '-h']), await box.run(['help', name])];
      for (const result of results) {
        assert.equal(result.code, 0, `prontodb ${name} --help / help ${name}: ${result.stderr}`);
        assert.equal(result.stderr, '');
        for (const form of spec.forms) assert.ok(result.stdout.includes(`prontodb ${form.usage}`), `help of '${name}' lacks 'prontodb ${form.usage}':\n${result.stdout}`);
        assert.ok(result.stdout.startsWith(`prontodb ${spec.forms[0]!.usage}`), `help of '${name}' does not start with its usage`);
      }
      assert.equal(results[1]!.stdout, results[0]!.stdout);
      assert.equal(results[2]!.stdout, results[0]!.stdout);
    }
    assert.equal(fs.existsSync(box.dataDir), false, 'help created the data directory');
  });

  it('the bundle exits 0 for an alias asked for help (prontodb ls --help used to exit 1)', async () => {
    const [flag, topic] = await Promise.all([box.run(['ls', '--help'], SPAWN), box.run(['help', 'ls'], SPAWN)]);
    assert.deepEqual([flag.code, topic.code, flag.stderr], [0, 0, '']);
    assert.match(flag.stdout, /^prontodb scan \[path\]/);
    assert.equal(flag.stdout, topic.stdout);
    assert.ok(fs.existsSync(CLI));
  });

  it('prontodb help lists every command with its aliases and actions, and every global option', async () => {
    const result = await box.run(['help']);
    assert.equal(result.code, 0, result.stderr);
    const listed = new Set(
      result.stdout
        .split('\n')
        .filter((line) => new RegExp(`^(${HELP_GROUPS.join('|')}):`).test(line))
        .flatMap((line) => line.replace(/^\w+:\s*/, '').split(/,\s*/))
        .flatMap((item) => item.replace(/[()]/g, '').split(/[\s|]+/)),
    );
    for (const { name } of everyName()) assert.ok(listed.has(name), `prontodb help does not list '${name}'`);
    for (const spec of COMMANDS) {
      for (const form of spec.forms) {
        const { action } = formGrammar(spec.name, form.usage);
        if (action !== undefined) assert.ok(listed.has(action), `prontodb help does not list '${spec.name} ${action}'`);
      }
    }
    for (const name of (Object.keys(OPTIONS) as OptionName[]).filter(isGlobalOption)) {
      assert.ok(result.stdout.includes(`--${name}`), `prontodb help does not list --${name}`);
    }
  });
});

describe('CLI command table: what the split registries got wrong', () => {
  it('names of Object.prototype are not commands: exit 1, one line on stderr, no stack', async () => {
    for (const args of [['toString'], ['constructor'], ['__proto__'], ['help', 'constructor'], ['help', 'hasOwnProperty'], ['valueOf', '--help']]) {
      const result = await box.run(args);
      assert.equal(result.code, 1, `prontodb ${args.join(' ')} exited ${result.code}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^Error: (no help for )?unknown command '\w+'/);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
    const spawned = await box.run(['toString'], SPAWN);
    assert.equal(spawned.code, 1);
    assert.match(spawned.stderr, /^Error: unknown command 'toString'/);
    assert.doesNotMatch(spawned.stderr, /\n\s+at /);
  });

  it('an option that does not apply to the chosen form is refused, and nothing is done', async () => {
    await box.ok(['set', 'k', 'v']);
    await box.ok(['cursor', 'set', 'work', 'main']);
    const cursorsBefore = await box.ok(['cursor', 'list']);
    const out = box.path('backups');
    fs.mkdirSync(out);
    const refused: Array<[string[], RegExp]> = [
      [['backup', '--target', 'other', '--output', out], /--target does not apply to 'backup'/],
      [['backup', '--list', '--rotate', '1', '--output', out], /--rotate does not apply to 'backup --list'/],
      [['db', 'list', '--force'], /--force does not apply to 'db list'/],
      [['db', 'create', 'extra', '--force'], /--force does not apply to 'db create'/],
      [['cursor', 'use', 'work', '--meta', 'm'], /--meta does not apply to 'cursor use'/],
      [['cursor', 'clear', '--meta', 'm'], /--meta does not apply to 'cursor clear'/],
    ];
    for (const [args, message] of refused) assert.match(await box.fails(args), message);
    assert.deepEqual(fs.readdirSync(out), [], 'a refused backup wrote an archive');
    assert.equal(fs.existsSync(path.dirname(box.dbFile('extra'))), false, 'a refused db create made the database');
    assert.equal(await box.ok(['cursor', 'list']), cursorsBefore, 'a refused cursor command changed the selection');
    assert.match(cursorsBefore, /^ {2}work\t/, 'no cursor is selected to begin with');
  });

  it('--help outranks --version, so version --help and help --help describe those commands', async () => {
    const [version, help, both] = await Promise.all([box.run(['version', '--help']), box.run(['help', '--help']), box.run(['-v', '-h'])]);
    assert.match(version.stdout, /^prontodb version\b/);
    assert.match(help.stdout, /^prontodb help \[command\]/);
    assert.match(both.stdout, /^prontodb \S+ — key-value store/);
    assert.deepEqual([version.code, help.code, both.code], [0, 0, 0]);
  });

  it('backup --restore, which backup always accepted, is in its help', async () => {
    assert.match(await box.ok(['help', 'backup']), /^prontodb backup --restore <archive>/m);
  });
});
