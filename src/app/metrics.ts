import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { TaskQueue } from '../platform/index.js';

/** The Prometheus registry of one process: Node's default metrics plus the platform's own. */
export function createMetrics(tasks: TaskQueue): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'drivetrain_' });
  new Gauge({
    name: 'drivetrain_tasks',
    help: 'Platform tasks by kind and status',
    labelNames: ['kind', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { kind, status, count } of await tasks.counts()) this.set({ kind, status }, count);
    },
  });
  return registry;
}
