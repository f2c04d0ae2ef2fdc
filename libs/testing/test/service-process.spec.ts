// Medium spec: runs the safety service (the lightest app) as a real process and breaks it.
import { ServiceProcess } from '../src';

describe(ServiceProcess.name, () => {
  let sut: ServiceProcess | undefined;

  afterEach(async () => {
    await sut?.stop();
    sut = undefined;
  });

  it('starts an app, reports it ready on its gRPC port, and restarts it after a kill', async () => {
    sut = await ServiceProcess.start({ app: 'safety-service' });
    expect(sut.running).toBe(true);
    expect(sut.address).toBe(`127.0.0.1:${sut.port}`);

    const firstPid = sut.pid;
    await sut.kill();
    expect(sut.running).toBe(false);

    await sut.launch();
    expect(sut.running).toBe(true);
    expect(sut.pid).not.toBe(firstPid);
  }, 120_000);

  it('rejects with the app output when the app cannot start', async () => {
    await expect(
      ServiceProcess.start({ app: 'safety-service', env: { GRPC_PORT: 'not-a-port' } }),
    ).rejects.toThrow(/safety-service exited during start-up:[\s\S]*GRPC_PORT/);
  }, 60_000);
});
