export * from './queue.constants.js';
export * from './redis.js';
export * from './outbox.service.js';
export * from './outbox-relay.service.js';
export * from './queue.service.js';
export * from './job-inbox.service.js';
export * from './job-workers.service.js';
export * from './queue.module.js';
