// The browser suite starts the whole platform and drives real answers on a busy 2-core machine.
jest.setTimeout(180_000);
