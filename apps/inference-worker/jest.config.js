// Medium specs load real llama.cpp (node-llama-cpp is ESM-only), so Jest runs with --experimental-vm-modules.
module.exports = { ...require('../../jest.preset.js'), displayName: 'inference-worker', rootDir: __dirname };
