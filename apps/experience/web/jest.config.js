// Unit specs next to the code (src/, plain TypeScript modules: the SSE parser, error wording, the
// Markdown renderer, the branch registry) and the browser suite (test/): Chromium against the whole
// platform run as processes. The medium tier's global setup builds every project, this app included,
// so the BFF serves what the sources say.
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'web',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/test/support/jest.timeout.setup.ts'],
};
