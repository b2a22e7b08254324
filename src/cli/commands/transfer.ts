/** Moving entries in and out as JSON or CSV: export, import. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { displayLocation } from '../../core/location';
import { writeFileAtomically } from '../../core/atomicFile';
import { fsError, ProntoError, usageError } from '../../core/errors';
import { decodeUtf8, formatFromFileName, parseDocument, serializeDocument, type TransferFormat } from '../../core/transfer';
import type { CommandSpec } from '../commandTable';
import { openSession, status } from '../session';

function transferFormat(explicit: string | undefined, fileName: string | undefined): TransferFormat {
  if (explicit !== undefined) {
    if (explicit !== 'json' && explicit !== 'csv') throw usageError(`--format must be json or csv, got '${explicit}'`);
    return explicit;
  }
  return fileName ? formatFromFileName(fileName) : 'json';
}

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

export const TRANSFER_COMMANDS: CommandSpec[] = [
  {
    name: 'export',
    group: 'Databases',
    bulk: true,
    forms: [
      {
        usage: 'export [project | project.namespace] [--format json|csv] [--output FILE]',
        async run(context, [scope]) {
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
      },
    ],
    help: 'Write live entries (and TTL namespaces, in JSON) to FILE or standard output.',
  },
  {
    name: 'import',
    group: 'Databases',
    bulk: true,
    forms: [
      {
        usage: 'import <file> [--format json|csv] [--preserve-timestamps]',
        async run(context, [file]) {
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
          status(context, `Imported ${count} entries into ${session.target.databaseName ?? displayLocation(session.target.location)}`);
          return 0;
        },
      },
    ],
    help: `Write every entry of an export in one all-or-nothing commit. Use '-' for standard input.`,
  },
];
