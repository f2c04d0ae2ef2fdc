// Public surface of @hearth/events: topics and schemas, the producer, the consumer helper and the
// transactional outbox.
export * from './event-topic.model';
export * from './event-validation.error';
export * from './event.consumer';
export * from './event.producer';
export * from './event.schemas';
export * from './kafka-client.factory';
export * from './outbox.relay';
export * from './outbox.writer';
export * from './topics.constants';
