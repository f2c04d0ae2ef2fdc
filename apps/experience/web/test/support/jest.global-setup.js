// Builds the web app (npx nx run web:build, cached by Nx) and the contracts the services need, before
// any spec of this project runs. The browser suite serves dist/apps/experience/web through the BFF.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..', '..');

module.exports = async function buildWebApp() {
  await require(path.join(repoRoot, 'libs', 'contracts', 'jest.global-setup.js'))();
  const result = spawnSync('npx', ['--no-install', 'nx', 'run', 'web:build', '--output-style=stream'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  if (result.status !== 0) throw new Error('npx nx run web:build failed; see its output above');
};
