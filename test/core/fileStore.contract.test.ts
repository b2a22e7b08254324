/** The KvStore contract, run against the sql.js file store: two stores on one file act as two processes. */
import * as path from 'node:path';
import { SqlJsFileStore } from '../../src/core/fileStore';
import { loadSqlJs } from '../../src/core/sqljs';
import { makeTempHome } from '../helpers/tempHome';
import { kvStoreContract } from './contract/kvStoreContract';

kvStoreContract('sql.js file store', async (now) => {
  const sql = await loadSqlJs();
  const temp = makeTempHome();
  const file = path.join(temp.home, 'db', 'pronto.contract.prdb');
  const open = () => new SqlJsFileStore(file, sql, { now, watchDebounceMs: 10 });
  return { open, openAnother: open, cleanup: () => temp.cleanup() };
});
