import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';

/**
 * Loads SQLite-in-WASM once per process. Bundles ship `sql-wasm.wasm` beside themselves and say
 * where it is; unbundled code (tests) finds it in the sql.js package.
 */
let wasmLocation: string | undefined;
let engine: Promise<SqlJsStatic> | undefined;

export function configureSqlJs(options: { wasmPath: string }): void {
  wasmLocation = options.wasmPath;
}

function defaultWasmPath(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  if (fs.existsSync(beside)) return beside;
  return require.resolve('sql.js/dist/sql-wasm.wasm');
}

export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!engine) {
    const wasmPath = wasmLocation ?? defaultWasmPath();
    const wasmBinary = fs.readFileSync(wasmPath);
    engine = initSqlJs({ wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer });
  }
  return engine;
}
