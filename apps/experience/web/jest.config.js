// Unit specs next to the code (src/, plain TypeScript modules: the SSE parser, error wording, the
// Markdown renderer, the branch registry) and the browser suite (test/): Chromium against the whole
// platform run as processes. The global setup builds the app first (Nx cache: near-free when nothing
// changed) so the BFF serves what the sources say.
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'web',
  rootDir: __dirname,
  globalSetup: '<rootDir>/test/support/jest.global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/test/support/jest.timeout.setup.ts'],
};
