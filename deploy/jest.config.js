// Deployment checks: the Dockerfiles (hadolint and their structure) and the Helm chart (lint, three
// rendered profiles validated against the Kubernetes API schemas, a security scan, and specs that
// read the rendered objects). The tools install themselves on first use (scripts/deploy-tools.sh).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'deploy',
  rootDir: __dirname,
  // The first run compiles helm and installs the Python tools: minutes, once per machine.
  testTimeout: 900_000,
};
