/** `copy SOURCE TARGET`: a whole database from one location to another (core/copy.ts). */
import { type CopyProgress, copyDatabase, resolveCopyLocation } from '../../core/copy';
import { ProntoError } from '../../core/errors';
import type { CommandContext, CommandSpec } from '../commandTable';
import { selectionOf, status } from '../session';

/** At most this often a progress line (the last one always). */
const PROGRESS_INTERVAL_MS = 200;

/** Rows copied / total on standard error: one line rewritten in place on a terminal, else a line per update. */
function progressReporter(context: CommandContext): ((progress: CopyProgress) => void) & { finish(): void } {
  const tty = process.stderr.isTTY === true;
  const wanted = !context.invocation.options.quiet && (context.invocation.options.progress === true || tty);
  let last = 0;
  let shown: CopyProgress | undefined;
  const write = (progress: CopyProgress): void => {
    const line = `Copying: ${progress.done} / ${progress.total} rows`;
    if (tty) process.stderr.write(`\r${line}\u001b[K`);
    else context.io.err(line);
    shown = progress;
  };
  const report = (progress: CopyProgress): void => {
    if (!wanted) return;
    const now = Date.now();
    if (progress.done < progress.total && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    write(progress);
  };
  return Object.assign(report, {
    finish(): void {
      if (wanted && tty && shown) process.stderr.write('\n');
    },
  });
}

export const COPY_COMMANDS: CommandSpec[] = [
  {
    name: 'copy',
    group: 'Databases',
    bulk: true,
    forms: [
      {
        usage: 'copy <source> <target> [--replace] [--progress]',
        async run(context, [sourceText, targetText]) {
          const { options } = context.invocation;
          const server = selectionOf(context).databaseUrl;
          const source = resolveCopyLocation(context.pronto, sourceText!, 'source', server);
          const target = resolveCopyLocation(context.pronto, targetText!, 'target', server);
          let actor: { user?: string; cursor?: string } = {};
          try {
            const resolved = context.pronto.resolve(selectionOf(context));
            actor = { user: resolved.user, cursor: resolved.cursor?.name };
          } catch {
            // Only for the audit record: the copy does not depend on the selected database.
          }
          const abort = new AbortController();
          const onInterrupt = (): void => abort.abort();
          process.on('SIGINT', onInterrupt);
          const progress = progressReporter(context);
          try {
            const result = await copyDatabase(context.pronto, source, target, { replace: options.replace, signal: abort.signal, onProgress: progress, actor });
            progress.finish();
            status(context, `Copied ${result.entries} entries and ${result.ttlNamespaces} TTL namespaces from ${source.shown} to ${target.shown}`);
            return 0;
          } catch (error) {
            progress.finish();
            if (abort.signal.aborted && error instanceof ProntoError && error.code === 'cancelled') {
              throw new ProntoError('cancelled', 'cancelled: the copy was stopped and the target left unchanged');
            }
            throw error;
          } finally {
            process.off('SIGINT', onInterrupt);
          }
        },
      },
    ],
    help: `Copy every live value (contexts, values, created/updated/expiry times) and the TTL
namespaces of SOURCE into TARGET, in one all-or-nothing commit. Each is a database name (of the
data directory, or with --database-url of that server), a file path (with a folder, or ending in
.prdb, .db, .sqlite), or a postgres:// URL. Expired values are not copied. A TARGET that holds
data is refused unless --replace, which replaces its contents in the same commit. Progress goes
to standard error on a terminal or with --progress; Ctrl-C cancels and leaves TARGET unchanged.`,
  },
];
