// Real-PostgreSQL test databases for medium specs, and the rows most of them start from.
export * from './tenant-user.seed';
export * from './test-database.factory';
