export * from './task.js';
export * from './queue.js';
export * from './worker.js';
