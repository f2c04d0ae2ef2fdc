// One Jest run over every project, so `npm test` prints a single summary.
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

// Projects live in libs/<name> and apps/<plane>/<name>; deploy/ holds the image and chart checks.
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

const projects = [
  ...projectFolders('libs', 1),
  ...projectFolders('apps', 2),
  ...projectFolders('deploy', 0),
].map((folder) => `<rootDir>/${folder}/jest.config.js`);

module.exports = { projects };
