// Medium specs (test/) start the BFF in-process against real PostgreSQL and Redis, and the services
// behind it (gateway, worker, orchestrator, ...) as real processes; the contracts' global setup
// generates libs/contracts/src/gen first when a fresh clone has none (a no-op under npm test).
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bff',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../../libs/contracts/jest.global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/test/jest.timeout.setup.ts'],
};
