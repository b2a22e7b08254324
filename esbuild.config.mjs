// Bundles the CLI and the extension into dist/, with sql.js's wasm and the terminal shims beside them.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const production = process.argv.includes('--production');

mkdirSync('dist/bin', { recursive: true });
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');

// Integrated terminals put dist/bin on PATH; the shim prefers the editor's own Node (PRONTODB_NODE).
writeFileSync(
  'dist/bin/prontodb',
  `#!/bin/sh
here=$(dirname "$0")
if [ -n "$PRONTODB_NODE" ] && [ -x "$PRONTODB_NODE" ]; then
  ELECTRON_RUN_AS_NODE=1 exec "$PRONTODB_NODE" "$here/../cli.js" "$@"
fi
exec node "$here/../cli.js" "$@"
`,
);
chmodSync('dist/bin/prontodb', 0o755);
writeFileSync(
  'dist/bin/prontodb.cmd',
  `@echo off\r\nif defined PRONTODB_NODE (\r\n  set ELECTRON_RUN_AS_NODE=1\r\n  "%PRONTODB_NODE%" "%~dp0..\\cli.js" %*\r\n) else (\r\n  node "%~dp0..\\cli.js" %*\r\n)\r\n`,
);

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: production,
  sourcemap: !production,
  define: { PRONTODB_VERSION: JSON.stringify(pkg.version) },
  // Only reached when the wasm is not beside the bundle (never in a package); keep it a runtime lookup.
  external: ['sql.js/dist/sql-wasm.wasm'],
  logLevel: 'warning',
};

await Promise.all([
  // The CLI is started for every call: a minified bundle parses faster (the source map keeps stacks readable).
  build({ ...shared, minify: true, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...shared, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: [...shared.external, 'vscode'] }),
  // The MCP SDK, loaded by `prontodb mcp` only (src/cli/mcp/server.ts): other commands never parse it.
  build({ ...shared, minify: true, entryPoints: { 'mcp-sdk': 'src/cli/mcp/sdk.ts' }, outdir: 'dist' }),
  // The PostgreSQL store and driver, loaded the first time a postgres:// location is used (src/core/postgres/backend.ts).
  build({ ...shared, minify: true, entryPoints: { postgres: 'src/core/postgres/module.ts' }, outdir: 'dist' }),
  buildDashboard(),
]);
chmodSync('dist/cli.js', 0o755);

/**
 * The dashboard (media/dashboard, issue 10): one browser bundle for the VS Code webview and
 * `prontodb ui`, written with its stylesheet and the codicons to media/dist. A production build
 * removes a development build's source maps, so they never reach a package (the folder itself stays:
 * a running `prontodb ui` serves from it).
 */
async function buildDashboard() {
  mkdirSync('media/dist', { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) copyFileSync(require.resolve(`@vscode/codicons/dist/${file}`), `media/dist/${file}`);
  await build({
    entryPoints: { dashboard: 'media/dashboard/main.ts' },
    outdir: 'media/dist',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: production,
    sourcemap: !production,
    logLevel: 'warning',
  });
  if (production) for (const file of readdirSync('media/dist')) if (file.endsWith('.map')) rmSync(`media/dist/${file}`);
}
