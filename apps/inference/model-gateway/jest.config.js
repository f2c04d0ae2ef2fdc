// Medium specs (test/) start real inference workers, Redis and Kafka clients; the contracts' global
// setup generates libs/contracts/src/gen first when a fresh clone has none (a no-op under npm test).
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'model-gateway',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../../libs/contracts/jest.global-setup.js',
};
