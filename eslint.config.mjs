// `npm run lint` (CI runs it before the tests). The recommended sets, plus the rules that need type
// information and find real bugs: a promise nobody awaits or handles, a promise handed to something
// that ignores what it returns, `await` on a non-promise, throwing or rejecting with a non-Error.
// Type information comes from the TypeScript 6 compiler API: `typescript` in package.json is
// @typescript/typescript6, while the project's `tsc` is TypeScript 7 (`@typescript/native`), which
// has no JavaScript API that typescript-eslint can use yet. When typescript-eslint supports TS 7,
// `typescript` goes back to TS 7 and the alias goes away.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Scripts outside tsconfig.json, typed through the project service's default project. A script in a
 * new folder needs its glob here (ESLint says so: "was not found by the project service").
 */
const SCRIPTS = [
  '*.mjs',
  'bench/*.mjs',
  'media/*.js',
  'test/*.mjs',
  'test/*.js',
  'test/ui/*.mjs',
  'test/ui/fixtures/*/*.js',
  'test/vscode/*.mjs',
  'test/vscode/*.js',
  'test/helpers/*.js',
  'test/vscode/sample/*.js',
  'test/vscode/sample/*.mjs',
  'test/vscode/sample/suite/*.js',
];

export default defineConfig(
  globalIgnores(['out/', 'dist/', 'media/dist/', '**/node_modules/', 'test-output/', '.vscode-test/']),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // Unused names are the compiler's job (noUnusedLocals/noUnusedParameters in tsconfig.json).
      '@typescript-eslint/no-unused-vars': 'off',
      // Libraries most commands never use are require()d on first use: a one-shot CLI starts faster.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^tar$', '^csv-parse/sync$', '^csv-stringify/sync$'] }],
    },
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: {
          allowDefaultProject: SCRIPTS,
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 40,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    // CommonJS: the extension host loads these with require(), mocha loads its reporter so.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.mocha } },
  },
);
