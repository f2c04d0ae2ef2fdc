// Unit specs next to the code, the medium gRPC + Kafka spec in test/. The contracts are generated
// from proto/ first when missing or stale (the same global setup libs/contracts uses).
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'safety-service',
  rootDir: __dirname,
  globalSetup: require.resolve('../../../libs/contracts/jest.global-setup.js'),
};
