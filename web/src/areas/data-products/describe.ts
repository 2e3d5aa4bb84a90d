/**
 * What a product's rule and service levels say, in words, and what a search page shows on its
 * map. Pure, so it is tested without a browser.
 */
import type { DataProduct, ProductRule, ProductSlos, SearchHit } from '../../api/index.js';

export interface Entry {
  readonly label: string;
  readonly value: string;
}

const list = (items: readonly string[]): string => items.join(', ');

/** The parts of a product rule that are set, each as a label and its value. */
export function ruleEntries(rule: ProductRule): Entry[] {
  const entries: Entry[] = [];
  if (rule.sensors !== undefined && rule.sensors.length > 0)
    entries.push({ label: 'Sensors', value: `has ${list(rule.sensors)}` });
  if (rule.vehicles !== undefined && rule.vehicles.length > 0)
    entries.push({ label: 'Vehicles', value: list(rule.vehicles) });
  if (rule.countries !== undefined && rule.countries.length > 0)
    entries.push({ label: 'Countries', value: list(rule.countries) });
  if (rule.from !== undefined) entries.push({ label: 'Driven from', value: rule.from });
  if (rule.to !== undefined) entries.push({ label: 'Driven before', value: rule.to });
  if (rule.query !== undefined) entries.push({ label: 'Segments matching', value: rule.query });
  return entries;
}

/** The service levels a product promises, each as a label and its value. */
export function sloEntries(slos: ProductSlos): Entry[] {
  const entries: Entry[] = [];
  if (slos.requiredSensors !== undefined && slos.requiredSensors.length > 0)
    entries.push({ label: 'Required sensors', value: list(slos.requiredSensors) });
  if (slos.minSyncScore !== undefined)
    entries.push({ label: 'Sync score', value: `at least ${slos.minSyncScore}` });
  if (slos.minCompletenessPercent !== undefined) {
    entries.push({
      label: 'Complete segments',
      value: `at least ${slos.minCompletenessPercent} %`,
    });
  }
  if (slos.maxAgeHours !== undefined)
    entries.push({ label: 'Newest recording', value: `at most ${slos.maxAgeHours} h old` });
  return entries;
}

/** The names of the contract checks a product fails, each once, in the order reported. */
export function failingCheckNames(product: Pick<DataProduct, 'quality'>): string[] {
  return [...new Set(product.quality.failures.map((f) => f.check))];
}

/** The recordings of search hits, each once, in the order of the hits. */
export function recordingsOf(hits: readonly Pick<SearchHit, 'recordingId'>[]): string[] {
  return [...new Set(hits.map((hit) => hit.recordingId))];
}

/** A query split around the position a parse error points at, for marking that spot. */
export function splitAtError(
  query: string,
  position: number,
): { before: string; at: string; after: string } {
  const at = Math.max(0, Math.min(position, query.length));
  return {
    before: query.slice(0, at),
    at: query.slice(at, at + 1),
    after: query.slice(at + 1),
  };
}
