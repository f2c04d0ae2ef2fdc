// Public surface of @hearth/events: topics and schemas, the Kafka producer (also as a Nest module), and
// the Redis-spooled publisher every publisher without a database uses (README.md says which path to
// take). The PostgreSQL side (transactional outbox, deduplicating consumer) is
// @hearth/transactional-events.
export * from './event-spool';
export * from './event-spool.errors';
export * from './event-topic.model';
export * from './event-validation.error';
export * from './event-producer.module';
export * from './event.producer';
export * from './event.schemas';
export * from './kafka-client.factory';
export * from './spooled-event.publisher';
export * from './topic-ends';
export * from './topics.constants';
