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
            { sourceTag: 'type:transport', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:metrics', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:component', onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:transport'] },
            {
              sourceTag: 'type:runtime',
              onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:transport', 'type:metrics', 'type:component'],
            },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:runtime', 'type:transport', 'type:metrics', 'type:component'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:core', 'type:config', 'type:transport', 'type:metrics', 'type:component', 'type:runtime'] },
          ],
        },
      ],
    },
  },
];
