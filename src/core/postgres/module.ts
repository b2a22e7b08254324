/**
 * The PostgreSQL bundle's entry (dist/postgres.js, see esbuild.config.mjs): the store, the server's
 * named databases, and the driver under them. Loaded by backend.ts the first time a `postgres://`
 * location is used, so the CLI and the extension start without it for file users.
 */
export type { CoreServices } from './connection';
export { databaseExists, dropDatabase, listDatabases } from './server';
export { PostgresStore, type PostgresStoreOptions } from './store';
