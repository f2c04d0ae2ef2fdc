// Medium specs load real llama.cpp (node-llama-cpp is ESM-only), so Jest runs with --experimental-vm-modules.
// Loading it into a Jest worker takes seconds on a busy 2-core machine (the ESM graph is linked in the
// sandbox), more than Jest's default 5 s for a beforeAll that starts an engine. `testTimeout` is not a
// per-project option in Jest 29 (it was ignored with a warning), so the setup file raises it.
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'inference-worker',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/test/jest.timeout.setup.ts'],
};
