// Medium specs start real services (seconds each on a busy 2-core machine); Jest's 5 s default is too short.
jest.setTimeout(120_000);
