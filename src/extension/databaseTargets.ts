import { displayLocation } from '../core/location';
import type { ResolvedTarget } from '../core/pronto';
import type { WorkdirConfig } from '../core/workdir';
import type { DatabaseRef, DatabasesNode } from './databasesView';
import type { ProntoService } from './service';

/** An explicit database needs no `.prontodb`; passing none would make the core read the workspace's. */
const NO_WORKDIR: WorkdirConfig = Object.freeze({ file: '', cursors: {}, users: {} }) as WorkdirConfig;

/**
 * The database a view row stands for, resolved without opening it (health checks must reach files
 * that do not open): by name, or by file for a database outside the data directory.
 */
export function targetOfRef(service: ProntoService, ref: DatabaseRef): ResolvedTarget {
  const user = service.user;
  return service.pronto.resolve(ref.file ? { databasePath: ref.file, user } : { database: ref.database, user }, NO_WORKDIR);
}

/** The clicked row's database, else the active one (with its cursor, which the audit log records). */
export function targetOfNode(service: ProntoService, node?: DatabasesNode): ResolvedTarget {
  return node && 'ref' in node ? targetOfRef(service, node.ref) : service.target();
}

/** How a database reads in messages: `'main'`, or its location when it has no name. */
export function describeTarget(target: ResolvedTarget): string {
  return target.databaseName ? `'${target.databaseName}'` : displayLocation(target.location);
}
