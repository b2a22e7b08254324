/** The KvStore contract, run against the sql.js file store: two stores on one file act as two processes. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { loadSqlJs } from '../../src/core/sqljs';
import { makeTempHome } from '../helpers/tempHome';
import { kvStoreContract } from './contract/kvStoreContract';

/**
 * Makes `folder` and the files in it read-only for this process; returns the undo. Permissions do
 * not stop root, so as root the folder becomes a read-only bind mount of itself.
 */
function makeReadOnly(folder: string): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('mount', ['--bind', folder, folder]);
    execFileSync('mount', ['-o', 'remount,bind,ro', folder]);
    return () => execFileSync('umount', [folder]);
  }
  const files = fs.readdirSync(folder).map((name) => path.join(folder, name));
  for (const file of files) fs.chmodSync(file, 0o444);
  fs.chmodSync(folder, 0o555);
  return () => {
    fs.chmodSync(folder, 0o755);
    for (const file of files) fs.chmodSync(file, 0o644);
  };
}

kvStoreContract('sql.js file store', async (now) => {
  const sql = await loadSqlJs();
  const temp = makeTempHome();
  const file = path.join(temp.home, 'db', 'pronto.contract.prdb');
  const open = () => new SqlJsFileStore(file, sql, { now, watchDebounceMs: 10 });
  let undo: (() => void) | undefined;
  return {
    open,
    openAnother: open,
    async openReadOnly() {
      undo = makeReadOnly(path.dirname(file));
      return open();
    },
    async cleanup() {
      undo?.();
      await temp.cleanup();
    },
  };
});
