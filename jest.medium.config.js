// The medium tier alone: every project's test/**/*.spec.ts against the real infrastructure, after a build.
const { projects } = require('./jest.config.js');

module.exports = { projects: projects.filter((project) => project.roots[0] === '<rootDir>/test') };
