import { CatalogTypesClient, poolConfigFromUrl } from './prisma-adapter.factory';

describe(poolConfigFromUrl.name, () => {
  it('turns a URL into discrete fields, so the shadow database can override `database`', () => {
    const sut = poolConfigFromUrl(
      'postgresql://hearth:s%40cret@127.0.0.1:55432/hearth?application_name=bff',
      { maxConnections: 7 },
    );

    expect(sut).toMatchObject({
      host: '127.0.0.1',
      port: 55432,
      user: 'hearth',
      password: 's@cret',
      database: 'hearth',
      max: 7,
    });
    expect(sut).not.toHaveProperty('connectionString');
    expect(sut.Client).toBe(CatalogTypesClient);
  });

  it('rejects a URL without a database name', () => {
    expect(() => poolConfigFromUrl('postgresql://hearth@127.0.0.1:55432')).toThrow(/must name a database/);
  });

  it('rejects something that is not a URL', () => {
    expect(() => poolConfigFromUrl('not a url')).toThrow(/DATABASE_URL/);
  });
});
