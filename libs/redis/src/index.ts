// Public surface of @hearth/redis: how every service reaches Redis (client options, start-up connect),
// also as a Nest module; the key layout and scripts of budgets in money.
export * from './redis.client';
export * from './redis.module';
export * from './redis-unavailable';
export * from './budgets/budget-keys';
export * from './budgets/budget.scripts';
