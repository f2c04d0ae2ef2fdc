// Before the medium tier's first spec: the generated contracts (when stale), then every project
// compiled into dist/ through Nx, because medium specs run the apps as processes from their compiled
// output. Nx restores unchanged projects from its cache, so after `npm test`'s own build step (or an
// unchanged tree) this costs the time to hash the workspace, a second or two.
const { spawnSync } = require('node:child_process');

const generateContracts = require('./libs/contracts/jest.global-setup.js');

module.exports = async function buildForMediumSpecs() {
  await generateContracts();
  const result = spawnSync(
    process.execPath,
    [require.resolve('nx/bin/nx.js'), 'run-many', '-t', 'build', '--output-style=static'],
    {
      cwd: __dirname,
      env: { ...process.env, NX_DAEMON: 'false', NODE_OPTIONS: '' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (result.status !== 0) {
    throw new Error(`building dist/ for the medium specs failed:\n${result.stdout}${result.stderr}`);
  }
};
