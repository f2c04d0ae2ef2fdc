// Public surface of @hearth/events: topics and schemas, and the Kafka producer (also as a Nest
// module). The PostgreSQL side (transactional outbox, deduplicating consumer) is
// @hearth/transactional-events.
export * from './event-topic.model';
export * from './event-validation.error';
export * from './event-producer.module';
export * from './event.producer';
export * from './event.schemas';
export * from './kafka-client.factory';
export * from './topics.constants';
