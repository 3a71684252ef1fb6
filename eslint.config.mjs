import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '.run/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:config', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:transport', onlyDependOnLibsWithTags: ['type:core', 'type:testkit'] },
            { sourceTag: 'type:metrics', onlyDependOnLibsWithTags: ['type:core', 'type:testkit'] },
            { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:core', 'type:config'] },
            { sourceTag: 'type:component', onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:transport', 'type:testkit'] },
            {
              sourceTag: 'type:runtime',
              onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:transport', 'type:metrics', 'type:component', 'type:testkit'],
            },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:runtime', 'type:transport', 'type:metrics', 'type:component'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:transport', 'type:metrics', 'type:component', 'type:runtime'] },
          ],
        },
      ],
    },
  },
  {
    // The test kit is for tests: the product never loads it.
    files: ['libs/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**', '**/*test-support.ts', 'libs/testkit/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@sluice/testkit', message: 'the test kit is for tests only' }] }],
    },
  },
];
