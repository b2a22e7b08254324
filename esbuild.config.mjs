// Bundles the CLI (and, later, the extension) into dist/, with sql.js's wasm beside the bundle.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const production = process.argv.includes('--production');

mkdirSync('dist', { recursive: true });
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');

await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: production,
  sourcemap: !production,
  banner: { js: '#!/usr/bin/env node' },
  define: { PRONTODB_VERSION: JSON.stringify(pkg.version) },
  // Only reached when the wasm is not beside the bundle (never in a package); keep it a runtime lookup.
  external: ['sql.js/dist/sql-wasm.wasm'],
  logLevel: 'warning',
});
chmodSync('dist/cli.js', 0o755);
