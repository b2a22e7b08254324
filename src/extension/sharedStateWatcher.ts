import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { Layout } from '../core/paths';

/** What changed on disk since the last look, as far as the views care. */
export interface SharedStateChange {
  /** A database appeared or disappeared. */
  databases: boolean;
  /** A cursor file was created, changed, renamed or deleted (any user). */
  cursors: boolean;
  /** A selection file (`cursor use`) was written or removed (any user). */
  selections: boolean;
}

function listNames(directory: string): string[] {
  try {
    return fs.readdirSync(directory).sort();
  } catch {
    return [];
  }
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The nearest folder of `directory` (itself included) that exists: where its creation shows up. */
function nearestExisting(directory: string): string {
  let current = path.resolve(directory);
  while (!isDirectory(current)) {
    const parent = path.dirname(current);
    if (parent === current) return current;
    current = parent;
  }
  return current;
}

/**
 * Watches the folders that hold what the command line shares with the editor — database folders,
 * cursor files and selection files — so a `prontodb db create`, `cursor set|rename|delete` or
 * `cursor use` in any terminal shows up in the views within a fraction of a second.
 *
 * Node's fs.watch (inotify on Linux, FSEvents/ReadDirectoryChangesW elsewhere) on a handful of
 * folders: the data directory, each database folder and its `cursors/`, the legacy `<data>/cursors`
 * and the selection folder. A folder that does not exist yet is watched through its nearest existing
 * ancestor, so nothing is ever created on disk just to be watched. Every event only triggers a
 * re-read (debounced); what is reported is decided by comparing snapshots, so the files' own
 * churn (a database's temp file on every write) never refreshes a view by itself.
 */
export class SharedStateWatcher implements vscode.Disposable {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private snapshot: { databases: string; cursors: string; selections: string } | undefined;
  private disposed = false;

  constructor(
    private readonly layout: () => Layout,
    private readonly onChange: (change: SharedStateChange) => void,
    private readonly debounceMs = 100,
  ) {}

  /** Starts watching (again, e.g. for another data directory) and takes the baseline snapshot. */
  start(): void {
    this.stopWatchers();
    this.syncWatchers();
    this.snapshot = this.take();
  }

  private folders(): string[] {
    const { dataDir, cursorCacheDir } = this.layout();
    const folders = new Set([dataDir, path.join(dataDir, 'cursors'), cursorCacheDir]);
    for (const name of listNames(dataDir)) {
      const folder = path.join(dataDir, name);
      if (!isDirectory(folder)) continue;
      folders.add(folder);
      folders.add(path.join(folder, 'cursors'));
    }
    return [...new Set([...folders].map(nearestExisting))];
  }

  private syncWatchers(): void {
    const wanted = new Set(this.folders());
    for (const [folder, watcher] of this.watchers) {
      if (wanted.has(folder)) continue;
      watcher.close();
      this.watchers.delete(folder);
    }
    for (const folder of wanted) {
      if (this.watchers.has(folder)) continue;
      try {
        const watcher = fs.watch(folder, { persistent: false }, () => this.schedule());
        // A watched folder that is deleted ends its watcher; the next look re-plans.
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(folder);
          this.schedule();
        });
        this.watchers.set(folder, watcher);
      } catch {
        // Vanished between the look and the watch: the parent's watcher reports it.
      }
    }
  }

  private schedule(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), this.debounceMs);
  }

  /** Re-plans the watched folders, then compares what the views show with what is on disk now. */
  check(): void {
    if (this.disposed) return;
    this.syncWatchers();
    const next = this.take();
    const previous = this.snapshot;
    this.snapshot = next;
    if (!previous) return;
    const change: SharedStateChange = {
      databases: next.databases !== previous.databases,
      cursors: next.cursors !== previous.cursors,
      selections: next.selections !== previous.selections,
    };
    if (change.databases || change.cursors || change.selections) this.onChange(change);
  }

  private take(): { databases: string; cursors: string; selections: string } {
    const { dataDir, cursorCacheDir } = this.layout();
    const databases: string[] = [];
    const cursors: string[] = [];
    for (const name of listNames(dataDir)) {
      const folder = path.join(dataDir, name);
      if (fs.existsSync(path.join(folder, `pronto.${name}.prdb`))) databases.push(name);
    }
    for (const name of [...listNames(dataDir).map((name) => path.join(name, 'cursors')), 'cursors']) {
      const folder = path.join(dataDir, name);
      for (const file of listNames(folder)) {
        if (!file.endsWith('.cursor')) continue;
        const stat = fs.statSync(path.join(folder, file), { throwIfNoEntry: false });
        if (stat) cursors.push(`${name}/${file}:${stat.size}:${stat.mtimeMs}:${stat.ino}`);
      }
    }
    const selections = listNames(cursorCacheDir)
      .filter((file) => file === 'cursor' || file.startsWith('cursor_'))
      .map((file) => {
        try {
          const full = path.join(cursorCacheDir, file);
          // Only regular files are read: a FIFO would block the extension host.
          if (!fs.statSync(full).isFile()) return `${file}!`;
          return `${file}=${fs.readFileSync(full, 'utf8').trim()}`;
        } catch {
          return `${file}?`;
        }
      });
    return { databases: databases.join('\n'), cursors: cursors.join('\n'), selections: selections.join('\n') };
  }

  private stopWatchers(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.stopWatchers();
  }
}
