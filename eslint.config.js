import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['src/cli/**', 'bench/**', 'bin/**', 'test/**'], rules: { 'no-console': 'off' } },
  { files: ['test/**', 'bench/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  { files: ['bin/**'], languageOptions: { globals: { process: 'readonly', URL: 'readonly' } } },
  // The console SPA runs in the browser; its build config and the build scripts run in Node.
  { files: ['web/**/*.{ts,tsx}'], languageOptions: { globals: globals.browser } },
  { files: ['web/console/vite.config.ts', 'scripts/**/*.mjs'], languageOptions: { globals: globals.node } },
);
