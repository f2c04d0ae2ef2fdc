// Medium specs (test/) start the gateway, safety service, context service and a worker as real
// processes; the contracts' global setup generates libs/contracts/src/gen first when a fresh clone
// has none (a no-op under npm test).
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'orchestrator',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../../libs/contracts/jest.global-setup.js',
};
