// Engine start-up in beforeAll hooks outlasts Jest's default 5 s on a busy 2-core machine.
jest.setTimeout(30_000);
