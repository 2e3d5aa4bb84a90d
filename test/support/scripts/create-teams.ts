import { IdentityService, operatorPrincipal } from '../../../src/platform/index.js';
import { openNamedStore } from './open-store.js';

// Usage: create-teams.ts <store> <prefix> <count> — creates teams concurrently, as a separate process.
const [storeName = '', prefix = 'p', count = '10'] = process.argv.slice(2);
const store = openNamedStore(storeName);
const identity = new IdentityService(store);
await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    identity.createTeam(operatorPrincipal('child'), { name: `${prefix}-${i}` }),
  ),
);
await store.close();
