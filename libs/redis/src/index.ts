// Public surface of @hearth/redis: how every service reaches Redis (client options, start-up connect).
export * from './redis.client';
