// Unit specs of the graders, statistics and gate next to the code; test/quality-gate.spec.ts runs the
// fast deterministic subset against the real stack (both real models) and compares it to baseline.json.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'evals-quality',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../libs/contracts/jest.global-setup.js',
};
