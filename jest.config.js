// Jest over every project, in two tiers that `npm test` runs one after the other:
// - unit: each project's src/**/*.spec.ts, next to the code, needing no infrastructure (jest.unit.config.js);
// - medium: each project's test/**/*.spec.ts, against real PostgreSQL, Redis, Kafka and llama.cpp, with
//   the apps run as compiled processes from dist/ (jest.medium.config.js). Its global setup builds every
//   project first (Nx skips what is up to date), so a spec never runs yesterday's dist/.
// `npx jest <path>` runs whichever tiers the path selects; each project is split into one Jest project
// per tier so that the build only runs when a medium spec is selected.
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

// Projects live in libs/<name>, apps/<plane>/<name> and evals/<name>; deploy/ holds the image and
// chart checks.
const projectFolders = (folder, depth) =>
  !existsSync(join(__dirname, folder))
    ? []
    : existsSync(join(__dirname, folder, 'jest.config.js'))
      ? [folder]
      : depth === 0
        ? []
        : readdirSync(join(__dirname, folder), { withFileTypes: true })
            .filter((entry) => entry.isDirectory())
            .flatMap((entry) => projectFolders(join(folder, entry.name), depth - 1));

/** The Jest project of one tier of one project: only its tier's folder is crawled for specs. */
function tierOf(folder, tier) {
  const config = require(join(__dirname, folder, 'jest.config.js'));
  const specs = tier === 'unit' ? 'src' : 'test';
  if (!existsSync(join(__dirname, folder, specs))) return [];
  return [
    {
      ...config,
      displayName: tier === 'unit' ? config.displayName : `${config.displayName}:medium`,
      roots: [`<rootDir>/${specs}`],
      testMatch: [`<rootDir>/${specs}/**/*.spec.ts`],
      ...(tier === 'medium' ? { globalSetup: join(__dirname, 'jest.medium.global-setup.js') } : {}),
    },
  ];
}

const folders = [
  ...projectFolders('libs', 1),
  ...projectFolders('apps', 2),
  ...projectFolders('evals', 1),
  ...projectFolders('deploy', 0),
];

module.exports = {
  projects: [...folders.flatMap((f) => tierOf(f, 'unit')), ...folders.flatMap((f) => tierOf(f, 'medium'))],
};
