export * from './audit-log.js';
export { canonicalJson, digestOf } from './canonical.js';
