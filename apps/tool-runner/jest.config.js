// isolated-vm wants --no-node-snapshot (npm test passes it in NODE_OPTIONS).
// Medium specs (test/) start the tool runner against a real PostgreSQL database and Kafka broker, plus
// loopback HTTP servers for the http tools; the contracts' global setup generates
// libs/contracts/src/gen first when a fresh clone has none (a no-op under npm test).
// isolated-vm is a native addon (`.node`), which the shared preset's extensions do not list.
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  moduleFileExtensions: [...preset.moduleFileExtensions, 'node'],
  displayName: 'tool-runner',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../libs/contracts/jest.global-setup.js',
};
