import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'artifacts/**', 'test/client/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', NodeJS: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "Decorator > CallExpression[callee.name='Body']", message: 'Use @ValidBody() (common/validation.ts): a body is always checked against its DTO.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/libs/providers/**', '@devicegate/providers/*'], message: 'Providers are reached through the registry (apps/gateway/src/providers.ts).' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/gateway/src/providers.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // An emulator never imports provider code, and a provider never imports emulator code.
    files: ['libs/emulators/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/providers/**', '@devicegate/providers/*'], message: 'Emulators are written from the vendor reference, never from provider code.' }] }] },
  },
  {
    files: ['libs/providers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/emulators/**', '@devicegate/emulators/*'], message: 'Providers are written from the vendor reference, never from emulator code.' },
            { group: ['@devicegate/providers/*', '../../*/src/*'], message: 'A provider never imports another provider.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
