import type { SqlJsStatic } from 'sql.js';
import { SqliteFileBacking, type FileBackingOptions } from './sqliteFileBacking';
import { SqlJsStore, type SqlJsStoreOptions } from './sqlJsStore';

export { prefixUpperBound } from './sqlJsStore';

export interface FileStoreOptions extends SqlJsStoreOptions, FileBackingOptions {}

/** The file store: a ProntoDB database in one SQLite file, in the Rust CLI's format, run by sql.js. */
export class SqlJsFileStore extends SqlJsStore {
  constructor(location: string, sql: SqlJsStatic, options: FileStoreOptions = {}) {
    super(new SqliteFileBacking(location, options), sql, options);
  }
}
