// One Jest run over every project, so `npm test` prints a single summary.
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const projects = ['libs', 'apps'].flatMap((folder) =>
  existsSync(join(__dirname, folder))
    ? readdirSync(join(__dirname, folder))
        .filter((name) => existsSync(join(__dirname, folder, name, 'jest.config.js')))
        .map((name) => `<rootDir>/${folder}/${name}/jest.config.js`)
    : [],
);

module.exports = { projects };
