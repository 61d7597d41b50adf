// dependency-cruiser: no import cycles in the tree. It is here, next to ESLint, because it follows
// `import type` edges too (import-x/no-cycle skips them, and a loop of types is still a loop of
// modules that cannot be read or split apart one at a time). The layer rule lives in eslint.config.js.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module must not import itself back through other modules (docs/ARCHITECTURE.md).',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // test/fixtures/lint/ holds deliberate violations that test/unit/lint/ feeds to the linters.
    exclude: { path: '^(dist|test/fixtures/lint)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
