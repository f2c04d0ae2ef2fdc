// Real-PostgreSQL test databases for medium specs.
export * from './test-database.factory';
