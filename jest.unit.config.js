// The unit tier alone (`npm run test:unit`): every project's src/**/*.spec.ts, no infrastructure, no build.
const { projects } = require('./jest.config.js');

module.exports = { projects: projects.filter((project) => project.roots[0] === '<rootDir>/src') };
