// Deployment checks: the Dockerfiles (hadolint and their structure) and the Helm chart (lint, three
// rendered profiles validated against the Kubernetes API schemas, a security scan, and specs that
// read the rendered objects). The tools install themselves on first use (scripts/deploy-tools.sh,
// which npm test runs before Jest, so no spec waits for a first install).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'deploy',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/test/jest.timeout.setup.ts'],
};
