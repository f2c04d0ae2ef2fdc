import { checkAddress, isHostAllowed } from './address.guard';

describe(checkAddress.name, () => {
  const strict = { allowLoopback: false };

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (ip) => {
    expect(checkAddress(ip, strict)).toEqual({ allowed: true });
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.5.5.5', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
  ])('refuses %s (%s) by default', (ip, range) => {
    expect(checkAddress(ip, strict)).toEqual({ allowed: false, range });
  });

  it('allows loopback only when configured, and never the other private ranges', () => {
    const sut = { allowLoopback: true };
    expect(checkAddress('127.0.0.1', sut)).toEqual({ allowed: true });
    expect(checkAddress('::1', sut)).toEqual({ allowed: true });
    expect(checkAddress('10.0.0.1', sut)).toEqual({ allowed: false, range: 'private' });
    expect(checkAddress('169.254.169.254', sut)).toEqual({ allowed: false, range: 'linkLocal' });
  });

  it('refuses what is not an IP address', () => {
    expect(checkAddress('example.com', strict)).toEqual({ allowed: false, range: 'invalid' });
    expect(checkAddress('', strict)).toEqual({ allowed: false, range: 'invalid' });
  });
});

describe(isHostAllowed.name, () => {
  const allowlist = ['api.example.com', '*.docs.example.org'];

  it('matches exact names case-insensitively and subdomains of wildcards', () => {
    expect(isHostAllowed('API.example.com', allowlist)).toBe(true);
    expect(isHostAllowed('api.example.com.', allowlist)).toBe(true);
    expect(isHostAllowed('v1.docs.example.org', allowlist)).toBe(true);
  });

  it('refuses lookalikes, parents of wildcards and other hosts', () => {
    expect(isHostAllowed('api.example.com.evil.net', allowlist)).toBe(false);
    expect(isHostAllowed('evilapi.example.com', allowlist)).toBe(false);
    expect(isHostAllowed('docs.example.org', allowlist)).toBe(false);
    expect(isHostAllowed('xdocs.example.org', allowlist)).toBe(false);
    expect(isHostAllowed('example.com', allowlist)).toBe(false);
    expect(isHostAllowed('anything', [])).toBe(false);
  });
});
