// Generates src/gen (git-ignored) before this project's specs when it is missing or older than proto/,
// so `jest --config libs/contracts/jest.config.js` works on a fresh clone. `npm test` generates it
// first, which makes this a no-op there.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');

function newestMtime(dir) {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const full = path.join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs;
    return Math.max(newest, mtime);
  }, 0);
}

module.exports = async function generateContracts() {
  const generated = newestMtime(path.join(__dirname, 'src', 'gen'));
  if (generated > 0 && generated >= newestMtime(path.join(repoRoot, 'proto'))) return;
  const result = spawnSync('bash', [path.join(repoRoot, 'scripts', 'proto-gen.sh')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('scripts/proto-gen.sh failed; see its output above');
};
