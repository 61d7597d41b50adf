// ESLint flat config: typescript-eslint's recommended rules, and the layer rule of
// docs/ARCHITECTURE.md: pipelines/ is pure, it imports only pipelines/ and zod. Import cycles are
// found by dependency-cruiser (.dependency-cruiser.cjs), which also follows `import type` edges.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PIPELINES_ONLY = 'pipelines/ imports only pipelines/ and zod (docs/ARCHITECTURE.md).';

export default defineConfig(
  {
    // test/fixtures/lint/ holds deliberate violations that test/unit/lint/ feeds to the linters.
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'models/cache/**', 'media/cache/**', 'test/fixtures/lint/**'],
  },
  js.configs.recommended,
  // The recommended set, not the type-checked one: that builds a full TypeScript program on every
  // lint run, and `npm run typecheck` already does the type work.
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // An unused binding named _x is a deliberate placeholder (a required parameter, a skipped slot).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['pipelines/**'],
    plugins: { 'import-x': importX },
    settings: {
      // Sources import each other as './x.js' (NodeNext); the resolver maps that to the .ts file.
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      // No node: module and no package but zod...
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\.|zod$)', message: PIPELINES_ONLY }] }],
      // ...and no relative path out of pipelines/ (into agent/, scripts/, test/, config/ ...);
      // packages, which resolve into node_modules/, are the rule above's.
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: [{ target: './pipelines', from: '.', except: ['./pipelines', './node_modules'], message: PIPELINES_ONLY }] },
      ],
    },
  },
);
