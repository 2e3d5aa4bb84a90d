// Starts the example job from its TypeScript source: registers tsx, resolved from this
// directory (not the job's working directory), then runs train.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./train.ts');
await main();
