// Unit specs (event → row mapping) next to the code; the medium spec in test/ runs the compiled ledger
// against the real Kafka broker and PostgreSQL.
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'ledger',
  rootDir: __dirname,
  globalSetup: require.resolve('../../../libs/contracts/jest.global-setup.js'),
};
