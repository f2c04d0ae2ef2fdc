// helm template, checkov and kubernetes-validate are child processes that take seconds each on a busy
// 2-core machine (more than Jest's default 5 s); `testTimeout` is not a per-project option.
jest.setTimeout(300_000);
