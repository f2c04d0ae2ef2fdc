// isolated-vm wants --no-node-snapshot (npm test passes it in NODE_OPTIONS).
// Medium specs (test/) start the tool runner against a real PostgreSQL database and Kafka broker, plus
// loopback HTTP servers for the http tools; the contracts' global setup generates
// libs/contracts/src/gen first when a fresh clone has none (a no-op under npm test).
// isolated-vm is a native addon (`.node`), which the shared preset's extensions do not list.
const preset = require('../../../jest.preset.js');

module.exports = {
  ...preset,
  moduleFileExtensions: [...preset.moduleFileExtensions, 'node'],
  // Resolve isolated-vm's addon by its full file name: resolving the extension-less require inside
  // the package through Jest's resolver failed intermittently in full-suite runs.
  moduleNameMapper: {
    ...preset.moduleNameMapper,
    '^\\./out/isolated_vm$': require.resolve('isolated-vm/out/isolated_vm.node'),
  },
  displayName: 'tool-runner',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../../libs/contracts/jest.global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/test/jest.timeout.setup.ts'],
};
