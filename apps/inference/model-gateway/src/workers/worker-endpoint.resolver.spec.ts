import { joinHostPort, resolveWorkerAddresses, splitHostPort } from './worker-endpoint.resolver';

describe(resolveWorkerAddresses.name, () => {
  it('returns a static list sorted and without duplicates', async () => {
    const addresses = await resolveWorkerAddresses({
      endpoints: ['10.0.0.9:50056', '10.0.0.2:50056', '10.0.0.9:50056'],
    });

    expect(addresses).toEqual(['10.0.0.2:50056', '10.0.0.9:50056']);
  });

  it('turns every record of a DNS name into a worker, as a headless service has one per pod', async () => {
    const lookups: string[] = [];
    const addresses = await resolveWorkerAddresses(
      { dns: 'inference-small.hearth.svc.cluster.local:50056', refreshMs: 1000 },
      async (host) => {
        lookups.push(host);
        return ['10.1.0.7', 'fd00::3', '10.1.0.5'];
      },
    );

    expect(lookups).toEqual(['inference-small.hearth.svc.cluster.local']);
    expect(addresses).toEqual(['10.1.0.5:50056', '10.1.0.7:50056', '[fd00::3]:50056']);
  });

  it('resolves a real name through the system resolver', async () => {
    const addresses = await resolveWorkerAddresses({ dns: 'localhost:7000', refreshMs: 1000 });

    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((address) => address.endsWith(':7000'))).toBe(true);
  });

  it('rejects when the name does not resolve', async () => {
    await expect(
      resolveWorkerAddresses({ dns: 'no-such-host.invalid:1', refreshMs: 1000 }),
    ).rejects.toThrow();
  });
});

describe(splitHostPort.name, () => {
  it('splits names, IPv4 and bracketed IPv6 and joins them back', () => {
    expect(splitHostPort('worker-0.svc:50056')).toEqual({ host: 'worker-0.svc', port: 50056 });
    expect(splitHostPort('[fd00::3]:1')).toEqual({ host: 'fd00::3', port: 1 });
    expect(joinHostPort('fd00::3', 1)).toBe('[fd00::3]:1');
    expect(joinHostPort('10.0.0.1', 2)).toBe('10.0.0.1:2');
  });
});
