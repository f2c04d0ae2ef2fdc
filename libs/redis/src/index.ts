// Public surface of @hearth/redis: how every service reaches Redis (client options, start-up connect),
// also as a Nest module.
export * from './redis.client';
export * from './redis.module';
export * from './redis-unavailable';
