module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'grpc',
  rootDir: __dirname,
  // The typed clients read the generated service definitions: generate them first on a fresh clone.
  globalSetup: '<rootDir>/../contracts/jest.global-setup.js',
};
