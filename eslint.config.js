import eslint from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

const CORE = [
  'src/shared/**',
  'src/config/**',
  'src/crypto/**',
  'src/audit/**',
  'src/authz/**',
  'src/keys/**',
  'src/lockbox/**',
  'src/identity/**',
  'src/access/**',
  'src/control/**',
  'src/storage/**',
  'src/records/**',
  'src/query/**',
]

const RESTRICTED = [
  {
    selector: "MemberExpression[object.name='Math'][property.name='random']",
    message: 'Use node:crypto.',
  },
  {
    selector: "MemberExpression[object.name='sql'][property.name=/^(raw|lit|ref|table|id)$/]",
    message: 'Bypasses parameterisation; justify.',
  },
]

export default defineConfig(
  { ignores: ['build/', 'dist/', 'coverage/', 'node_modules/'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      'no-console': 'error',
      'no-restricted-syntax': [
        'error',
        ...RESTRICTED,
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration only in src/config.',
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
  {
    files: CORE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api/**', '**/cli/**', '**/admin-ui/**'],
              message: 'Core domains must not depend on delivery layers (api, cli, admin-ui).',
            },
          ],
        },
      ],
    },
  },
  // The configuration loader is the one reader of process.env.
  { files: ['src/config/**'], rules: { 'no-restricted-syntax': ['error', ...RESTRICTED] } },
  // Tests, benchmarks and the CLI entry may set child-process environments.
  {
    files: ['tests/**', 'bench/**', 'src/**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', ...RESTRICTED] },
  },
)
