module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'transactional-events',
  rootDir: __dirname,
};
