import type { MetricPoint } from './executor.js';

/**
 * Jobs report metrics by printing one line per value:
 * `##drivetrain metric {"step":3,"name":"loss","value":0.41}`. The line stays in the log;
 * a malformed one is only logged, never fatal to the job.
 */
export const metricPrefix = '##drivetrain metric ';

const namePattern = /^[A-Za-z0-9_.:/-]{1,100}$/;

/** Parses one log line; a metric point, an error message for a malformed metric line, or null. */
export function parseMetricLine(
  line: string,
  at: number,
): MetricPoint | { readonly error: string } | null {
  if (!line.startsWith(metricPrefix)) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(line.slice(metricPrefix.length));
  } catch {
    return { error: 'metric line is not JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { error: 'metric line must hold an object' };
  const { step, name, value } = doc as Record<string, unknown>;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0)
    return { error: 'step must be a non-negative integer' };
  if (typeof name !== 'string' || !namePattern.test(name))
    return { error: 'name must be 1 to 100 of A-Z a-z 0-9 _ . : / -' };
  if (typeof value !== 'number' || !Number.isFinite(value))
    return { error: 'value must be a finite number' };
  return { step, name, value, at };
}
