// Lint rules that carry the architecture: plane and type tags decide who may import whom.
import nx from '@nx/eslint-plugin';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**', '.nx/**', 'libs/contracts/src/gen/**', 'libs/db/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // libs/testing builds test databases with libs/db, and libs/db's medium specs use those helpers:
          // a cycle through spec files only, never through production code.
          ignoredCircularDependencies: [['db', 'testing']],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:experience', onlyDependOnLibsWithTags: ['scope:experience', 'scope:shared'] },
            { sourceTag: 'scope:orchestration', onlyDependOnLibsWithTags: ['scope:orchestration', 'scope:shared'] },
            { sourceTag: 'scope:inference', onlyDependOnLibsWithTags: ['scope:inference', 'scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['../../../*'], message: 'Use a workspace alias (@hearth/...) instead of a deep relative import.' }] }],
    },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name='only']", message: 'No focused tests.' },
        { selector: "NewExpression > Literal[value=null]", message: 'Build the object under test through DI, not with null collaborators.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
];
