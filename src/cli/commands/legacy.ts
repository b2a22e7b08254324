import * as fs from 'node:fs';
import * as path from 'node:path';
import { displayKey, MAX_TTL_SECONDS, printableName } from '../core/address';
import { createBackup, defaultBackupDirectory, listBackups, restoreBackup, rotateBackups } from '../core/backup';
import { DEFAULT_USER } from '../core/cursors';
import { writeFileAtomically } from '../core/atomicFile';
import { fsError, ProntoError, usageError } from '../core/errors';
import type { ProntoDB, ResolvedTarget, Selection, Session } from '../core/pronto';
import { decodeUtf8, formatFromFileName, parseDocument, serializeDocument, type TransferFormat } from '../core/transfer';
import { allowOnly, expectArgs, type Invocation, wholeNumber } from './args';
import { COMMAND_HELP } from './help';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Standard input as the bytes that arrived. */
  readStdin(): Promise<Buffer>;
  env: Record<string, string | undefined>;
}

/** Exit status: 0 ok, 1 error, 2 miss. */
export type ExitCode = 0 | 1 | 2;

interface Context {
  pronto: ProntoDB;
  invocation: Invocation;
  io: Io;
}

/** Flags first; the environment (empty values count as unset) only when no flag picks a target. */
function selectionOf({ invocation, io }: Context): Selection {
  const { options } = invocation;
  const fromEnv = (name: string) => io.env[name] || undefined;
  const user = options.user ?? fromEnv('PRONTODB_USER');
  if (options.database !== undefined || options.cursor !== undefined) return { database: options.database, cursor: options.cursor, user };
  return { database: fromEnv('PRONTODB_DATABASE'), databasePath: fromEnv('PRONTODB_DATABASE_PATH'), cursor: fromEnv('PRONTODB_CURSOR'), user };
}

async function openSession(context: Context): Promise<Session> {
  const { options } = context.invocation;
  const session = await context.pronto.open(selectionOf(context), {
    delimiter: options['ns-delim'],
    project: options.project,
    namespace: options.namespace,
  });
  const warnings = [session.target.notice, session.store.staleReadWarning];
  for (const warning of warnings) if (warning && !options.quiet) context.io.err(`warning: ${warning}`);
  return session;
}

function status(context: Context, line: string): void {
  if (!context.invocation.options.quiet) context.io.err(line);
}

function databaseNameOf(target: ResolvedTarget): string {
  if (!target.databaseName) {
    throw usageError(`${target.file} is not a named database of the data directory; backups archive named databases`);
  }
  return target.databaseName;
}

function backupDirectory(context: Context): string {
  const { options } = context.invocation;
  return path.resolve(options.output ?? context.io.env.PRONTODB_BACKUP_DIR ?? defaultBackupDirectory(context.io.env));
}

const handlers: Record<string, (context: Context) => Promise<ExitCode>> = {
  async set(context) {
    allowOnly(context.invocation, ['ttl', 'stdin']);
    const { options } = context.invocation;
    const [address, given] = options.stdin
      ? [expectArgs(context.invocation, 1, 1, 'set <address> --stdin')[0]!, undefined]
      : expectArgs(context.invocation, 2, 2, 'set <address> <value> [--ttl SECONDS]');
    const value = given ?? decodeUtf8(await context.io.readStdin(), 'Standard input');
    const session = await openSession(context);
    const ttlSeconds = options.ttl === undefined ? undefined : wholeNumber('TTL', options.ttl, { max: MAX_TTL_SECONDS });
    await session.set(address!, value, { ttlSeconds });
    return 0;
  },

  async get(context) {
    allowOnly(context.invocation, []);
    const [address] = expectArgs(context.invocation, 1, 1, 'get <address>');
    const entry = await (await openSession(context)).get(address!);
    if (!entry) return 2;
    context.io.out(`${entry.value}\n`);
    return 0;
  },

  async del(context) {
    allowOnly(context.invocation, []);
    const [address] = expectArgs(context.invocation, 1, 1, 'del <address>');
    await (await openSession(context)).delete(address!);
    return 0;
  },

  async keys(context) {
    allowOnly(context.invocation, []);
    const [pathText] = expectArgs(context.invocation, 0, 1, 'keys [path]');
    const entries = await (await openSession(context)).listPath(pathText);
    context.io.out(entries.map((entry) => `${printableName(displayKey(entry))}\n`).join(''));
    return 0;
  },

  async scan(context) {
    allowOnly(context.invocation, []);
    const [pathText] = expectArgs(context.invocation, 0, 1, 'scan [path]');
    const entries = await (await openSession(context)).listPath(pathText);
    context.io.out(entries.map((entry) => `${printableName(displayKey(entry))}=${entry.value}\n`).join(''));
    return 0;
  },

  async projects(context) {
    allowOnly(context.invocation, []);
    expectArgs(context.invocation, 0, 0, 'projects');
    context.io.out((await (await openSession(context)).projects()).map((project) => `${printableName(project)}\n`).join(''));
    return 0;
  },

  async namespaces(context) {
    allowOnly(context.invocation, []);
    const [positional] = expectArgs(context.invocation, 0, 1, 'namespaces <project>');
    const project = positional ?? context.invocation.options.project;
    if (!project) throw usageError('namespaces requires a project: prontodb namespaces <project>');
    context.io.out((await (await openSession(context)).namespaces(project)).map((ns) => `${printableName(ns)}\n`).join(''));
    return 0;
  },

  async nss(context) {
    allowOnly(context.invocation, []);
    expectArgs(context.invocation, 0, 0, 'nss');
    const session = await openSession(context);
    const delimiter = context.invocation.options['ns-delim'] ?? '.';
    const lines: string[] = [];
    for (const project of await session.projects()) {
      for (const namespace of await session.namespaces(project)) lines.push(`${printableName(project)}${delimiter}${printableName(namespace)}\n`);
    }
    context.io.out(lines.join(''));
    return 0;
  },

  async 'create-cache'(context) {
    allowOnly(context.invocation, []);
    const [namespacePath, seconds] = expectArgs(context.invocation, 2, 2, 'create-cache <project.namespace> <seconds>');
    await (await openSession(context)).createCache(namespacePath!, wholeNumber('Timeout', seconds!, { min: 1, max: MAX_TTL_SECONDS }));
    return 0;
  },

  async 'remove-cache'(context) {
    allowOnly(context.invocation, []);
    const [namespacePath] = expectArgs(context.invocation, 1, 1, 'remove-cache <project.namespace>');
    const removed = await (await openSession(context)).removeCache(namespacePath!);
    if (!removed) throw new ProntoError('not-found', `'${namespacePath}' is not a TTL namespace`);
    return 0;
  },

  async purge(context) {
    allowOnly(context.invocation, []);
    expectArgs(context.invocation, 0, 0, 'purge');
    const removed = await (await openSession(context)).purgeExpired();
    context.io.out(`${removed}\n`);
    return 0;
  },

  async db(context) {
    allowOnly(context.invocation, ['force']);
    const [action, name] = context.invocation.args;
    const { pronto } = context;
    if (action === 'list' || action === undefined) {
      expectArgs(context.invocation, 0, 1, 'db list');
      context.io.out(pronto.listDatabases().map((db) => `${db.name}\t${db.size}\t${db.file}\n`).join(''));
      return 0;
    }
    if (action === 'create') {
      expectArgs(context.invocation, 2, 2, 'db create <name>');
      const created = await pronto.createDatabase(name!);
      status(context, `Created database '${created.name}' at ${created.file}`);
      return 0;
    }
    if (action === 'delete') {
      expectArgs(context.invocation, 2, 2, 'db delete <name> --force');
      if (!context.invocation.options.force) throw usageError(`Deleting database '${name}' removes its data: add --force to confirm`);
      await pronto.deleteDatabase(name!);
      status(context, `Deleted database '${name}'`);
      return 0;
    }
    throw usageError(`Unknown db action '${action}' (list, create, delete)`);
  },

  async cursor(context) {
    allowOnly(context.invocation, ['meta']);
    const { pronto, invocation } = context;
    const user = selectionOf(context).user ?? DEFAULT_USER;
    const [action, ...rest] = invocation.args;
    const describe = (name: string, file: string, meta: string | null) => `${name}\t${file}${meta ? `\tmeta:${meta}` : ''}`;
    switch (action) {
      case 'set': {
        const [name, target] = expectArgs({ ...invocation, args: rest }, 2, 2, 'cursor set <name> <database-or-path> [--meta CTX]');
        const isPath = /[\\/]/.test(target!) || /\.(prdb|db|sqlite3?)$/.test(target!);
        const cursor = await pronto.cursors.set(name!, user, isPath ? { path: target } : { database: target }, {
          metaContext: invocation.options.meta ?? null,
          defaultProject: invocation.options.project ?? null,
          defaultNamespace: invocation.options.namespace ?? null,
        });
        status(context, `Cursor '${cursor.name}' set to '${cursor.databasePath}'${cursor.metaContext ? ` with meta context '${cursor.metaContext}'` : ''}`);
        return 0;
      }
      case 'list': {
        expectArgs({ ...invocation, args: rest }, 0, 0, 'cursor list');
        const selected = pronto.cursors.selection(user);
        context.io.out(
          pronto.cursors
            .list(user)
            .map((cursor) => `${cursor.name === selected ? '*' : ' '} ${describe(cursor.name, cursor.databasePath, cursor.metaContext)}\n`)
            .join(''),
        );
        return 0;
      }
      case 'active': {
        expectArgs({ ...invocation, args: rest }, 0, 0, 'cursor active');
        const target = pronto.resolve(selectionOf(context));
        context.io.out(`${target.cursor?.name ?? target.databaseName ?? target.file}\t${target.file}\t${target.source}\tuser:${target.user}\n`);
        return 0;
      }
      case 'use': {
        const [name] = expectArgs({ ...invocation, args: rest }, 1, 1, 'cursor use <name>');
        await selectAndExplain(context, user, name!);
        return 0;
      }
      case 'delete': {
        const [name] = expectArgs({ ...invocation, args: rest }, 1, 1, 'cursor delete <name>');
        if (!pronto.cursors.delete(name!, user)) throw new ProntoError('not-found', `Cursor '${name}' not found for user '${user}'`);
        if (pronto.cursors.selection(user) === name) pronto.cursors.clearSelection(user);
        status(context, `Cursor '${name}' deleted for user '${user}'`);
        return 0;
      }
      case 'rename': {
        const [from, to] = expectArgs({ ...invocation, args: rest }, 2, 2, 'cursor rename <old> <new>');
        await pronto.cursors.rename(from!, to!, user);
        status(context, `Cursor '${from}' renamed to '${to}' for user '${user}'`);
        return 0;
      }
      case 'clear': {
        expectArgs({ ...invocation, args: rest }, 0, 0, 'cursor clear');
        pronto.cursors.clearSelection(user);
        status(context, `Selection cleared for user '${user}'`);
        return 0;
      }
      case undefined:
        throw usageError(`Usage: ${COMMAND_HELP.cursor!.split('\n')[0]}`);
      default: {
        // The Rust CLI's bare form: `cursor <name>` selects it.
        expectArgs(invocation, 1, 1, 'cursor <name>');
        await selectAndExplain(context, user, action);
        return 0;
      }
    }
  },

  async backup(context) {
    allowOnly(context.invocation, ['output', 'list', 'restore', 'rotate', 'target']);
    const { options } = context.invocation;
    expectArgs(context.invocation, 0, 0, 'backup [--output DIR] [--list] [--rotate N]');
    const directory = backupDirectory(context);
    if (options.restore) return restore(context, options.restore);
    if (options.list) {
      const backups = await listBackups(directory);
      context.io.out(backups.map((b) => `${b.file}\t${b.size}\t${b.modified.toISOString()}\n`).join(''));
      if (backups.length === 0) status(context, `No backup files found in ${directory}`);
      return 0;
    }
    const database = databaseNameOf(context.pronto.resolve(selectionOf(context)));
    if (options.rotate !== undefined) {
      const removed = await rotateBackups(directory, database, wholeNumber('--rotate', options.rotate, { min: 1 }));
      for (const file of removed) status(context, `Removed ${file}`);
      return 0;
    }
    const made = await createBackup(context.pronto.layout, database, { outputDir: directory });
    context.io.out(`${made.file}\n`);
    status(context, `Backed up database '${database}' (${made.size} bytes, ${made.files.length} files)`);
    return 0;
  },

  async restore(context) {
    allowOnly(context.invocation, ['output', 'target']);
    const [archive] = expectArgs(context.invocation, 1, 1, 'restore <archive> [--target NAME]');
    return restore(context, archive!);
  },

  async export(context) {
    allowOnly(context.invocation, ['format', 'output']);
    const [scope] = expectArgs(context.invocation, 0, 1, 'export [project | project.namespace] [--format json|csv] [--output FILE]');
    const { options } = context.invocation;
    const format = transferFormat(options.format, options.output);
    const session = await openSession(context);
    const document = await session.exportEntries(scope);
    const text = serializeDocument(document, format, { database: session.target.databaseName, exportedAt: new Date() });
    if (options.output) {
      await writeExport(path.resolve(options.output), text);
      status(context, `Exported ${document.entries.length} entries to ${options.output}`);
    } else {
      context.io.out(text);
    }
    return 0;
  },

  async import(context) {
    allowOnly(context.invocation, ['format', 'preserve-timestamps']);
    const [file] = expectArgs(context.invocation, 1, 1, 'import <file> [--format json|csv]');
    const { options } = context.invocation;
    const fromStdin = file === '-';
    const format = transferFormat(options.format, fromStdin ? undefined : file);
    let bytes: Buffer;
    try {
      // A pipe (`import <(generate)`) is a fine source here: it is read once, to its end.
      bytes = fromStdin ? await context.io.readStdin() : fs.readFileSync(file!);
    } catch (error) {
      throw fsError(error, `Cannot read ${file}`);
    }
    const text = decodeUtf8(bytes, fromStdin ? 'Standard input' : file!);
    const document = parseDocument(text, format, fromStdin ? 'standard input' : file);
    const session = await openSession(context);
    const count = await session.importEntries(document.entries, document.ttlNamespaces, { preserveTimestamps: options['preserve-timestamps'] });
    status(context, `Imported ${count} entries into ${session.target.databaseName ?? session.target.file}`);
    return 0;
  },

  async noop(context) {
    allowOnly(context.invocation, []);
    context.pronto.resolve(selectionOf(context));
    return 0;
  },
};
handlers.ls = handlers.scan!;

/**
 * Replaces the export file atomically (temp file beside it, fsync, rename), so a full disk or a
 * crash leaves the previous export whole. The folder must exist: a typo is not silently created.
 * A symbolic link is written through to its target; anything else that is not a regular file
 * (a FIFO, a device, a directory) is refused rather than replaced.
 */
async function writeExport(output: string, text: string): Promise<void> {
  let target = output;
  const existing = fs.lstatSync(output, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink()) {
    try {
      target = fs.realpathSync(output);
    } catch (error) {
      throw fsError(error, `Cannot export to ${output}: it is a symbolic link that does not lead to a file`);
    }
  }
  const stat = existing?.isSymbolicLink() ? fs.statSync(target, { throwIfNoEntry: false }) : existing;
  if (stat && !stat.isFile()) throw usageError(`Cannot export to ${output}: it exists and is not a regular file`);
  const directory = path.dirname(target);
  const folder = fs.statSync(directory, { throwIfNoEntry: false });
  if (!folder) throw new ProntoError('not-found', `Cannot export to ${output}: folder ${directory} does not exist`);
  if (!folder.isDirectory()) throw usageError(`Cannot export to ${output}: ${directory} is not a folder`);
  await writeFileAtomically(target, Buffer.from(text, 'utf8'), stat ? stat.mode & 0o777 : undefined);
}

/**
 * Saves the selection, then checks what commands run here would actually use: a flag, a PRONTODB_*
 * variable or a `.prontodb` outranks a selection, and saying "Selected" without saying so misleads.
 * The selection is saved either way (exit 0); the note goes to stderr even with --quiet.
 */
async function selectAndExplain(context: Context, user: string, name: string): Promise<void> {
  await context.pronto.cursors.select(user, name);
  status(context, `Selected '${name}' for user '${user}'`);
  let target: ResolvedTarget;
  try {
    target = context.pronto.resolve(selectionOf(context));
  } catch (error) {
    context.io.err(`note: the selection is saved, but commands run here fail: ${(error as Error).message}`);
    return;
  }
  const outranking = outrankingSource(context, target);
  if (outranking === undefined) return;
  context.io.err(
    `note: ${outranking} outranks the selection here, so commands run here still use ${target.file}; ` +
      `'${name}' applies where nothing outranks it`,
  );
}

/** What, above the selection in the resolution order, chose `target`; undefined if nothing did. */
function outrankingSource({ invocation, io }: Context, target: ResolvedTarget): string | undefined {
  const { options } = invocation;
  const fromEnv = (variable: string) => `${variable}=${io.env[variable]} in the environment`;
  switch (target.origin) {
    case 'database':
      return options.database !== undefined ? `the --database flag` : fromEnv('PRONTODB_DATABASE');
    case 'database-path':
      return fromEnv('PRONTODB_DATABASE_PATH');
    case 'cursor':
      return options.cursor !== undefined ? `the --cursor flag` : fromEnv('PRONTODB_CURSOR');
    case 'workdir':
      return `${target.workdir!.file}`;
    default:
      return undefined;
  }
}

function transferFormat(explicit: string | undefined, fileName: string | undefined): TransferFormat {
  if (explicit !== undefined) {
    if (explicit !== 'json' && explicit !== 'csv') throw usageError(`--format must be json or csv, got '${explicit}'`);
    return explicit;
  }
  return fileName ? formatFromFileName(fileName) : 'json';
}

async function restore(context: Context, archive: string): Promise<ExitCode> {
  const result = await restoreBackup(context.pronto.layout, archive, {
    target: context.invocation.options.target,
    safetyDir: backupDirectory(context),
  });
  if (result.safetyCopy) status(context, `Saved the replaced data to ${result.safetyCopy}`);
  status(context, `Restored ${path.basename(archive)} into database '${result.database}'`);
  return 0;
}

export function knownCommand(name: string): boolean {
  return name in handlers;
}

export function runCommand(pronto: ProntoDB, invocation: Invocation, io: Io): Promise<ExitCode> {
  const handler = handlers[invocation.command!];
  if (!handler) throw usageError(`Unknown command '${invocation.command}' (see 'prontodb help')`);
  return handler({ pronto, invocation, io });
}

