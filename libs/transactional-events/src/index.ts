// Public surface of @hearth/transactional-events: the PostgreSQL side of events. The transactional
// outbox (enqueue an event in the writer's transaction, a relay publishes it) and the consumer that
// records each event id in the same transaction as its effect, so redelivery has no second effect.
export * from './event.consumer';
export * from './outbox-relay.module';
export * from './outbox.relay';
export * from './outbox.writer';
export * from './outbox.metrics';
export * from './outbox.notifications';
