export * from './roles.js';
export * from './principal.js';
export * from './service.js';
export { hashTokenSecret } from './tokens.js';
