// Lint rules that carry the architecture: plane and type tags decide who may import whom.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Files that only tests load: specs, test folders, and libs/testing itself. */
export const TEST_FILES = ['**/*.spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts'];

/**
 * Who may import whom. Planes: an app imports its own plane's libs, `scope:shared` ones, and (outside the
 * inference plane) `scope:data` ones (PostgreSQL, vector and blob stores): the inference plane never
 * touches the database. Types: apps never import apps, libs never import apps, and only test files may
 * import `type:testing` (libs/testing).
 */
export function moduleBoundaries({ tests }) {
  const testing = tests ? ['scope:testing'] : [];
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    // libs/testing builds test databases with libs/db and reads usage events with libs/events, and
    // those libs' medium specs use its helpers: a cycle through spec files only, never through
    // production code.
    ignoredCircularDependencies: [
      ['db', 'testing'],
      ['events', 'testing'],
    ],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', ...(tests ? ['type:testing'] : [])] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...(tests ? ['type:testing'] : [])] },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', ...testing] },
      { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:data', 'scope:shared', ...testing] },
      {
        sourceTag: 'scope:testing',
        onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared', 'scope:data'],
      },
      {
        sourceTag: 'scope:experience',
        onlyDependOnLibsWithTags: ['scope:experience', 'scope:shared', 'scope:data', ...testing],
      },
      {
        sourceTag: 'scope:orchestration',
        onlyDependOnLibsWithTags: ['scope:orchestration', 'scope:shared', 'scope:data', ...testing],
      },
      {
        sourceTag: 'scope:inference',
        onlyDependOnLibsWithTags: ['scope:inference', 'scope:shared', ...testing],
      },
    ],
  };
}

export default [
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.local/**',
      '.nx/**',
      'libs/contracts/src/gen/**',
      'libs/db/src/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', moduleBoundaries({ tests: false })],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../../*'],
              message: 'Use a workspace alias (@hearth/...) instead of a deep relative import.',
            },
          ],
        },
      ],
    },
  },
  {
    // Specs and their support code may also use libs/testing (real infrastructure, processes, tiny models).
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': ['error', moduleBoundaries({ tests: true })] },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name='only']",
          message: 'No focused tests.',
        },
        {
          selector: 'NewExpression > Literal[value=null]',
          message: 'Build the object under test through DI, not with null collaborators.',
        },
      ],
    },
  },
  {
    // The web app runs in the browser, with React's rules of hooks.
    files: ['apps/experience/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
];
