// Medium specs (test/) start a real inference worker and model gateway as processes and use real
// PostgreSQL and Redis; the contracts' global setup generates libs/contracts/src/gen first when a
// fresh clone has none (a no-op under npm test).
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'context-service',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../../libs/contracts/jest.global-setup.js',
};
