import type { DatasetDefinition } from '../../api/index.js';

/**
 * A normalised definition (as the card holds it) turned back into the form a build accepts:
 * `sampleRateHz` becomes `sampling.rateHz`, requirements lose their derived `kind`, and empty
 * optional fields are left out. Building the result gives the same definition hash.
 */
export function definitionSource(definition: DatasetDefinition): Record<string, unknown> {
  return {
    name: definition.name,
    ...(definition.description === '' ? {} : { description: definition.description }),
    ...(definition.product === null ? {} : { product: definition.product }),
    query: definition.query,
    sync: definition.sync,
    split: definition.split,
    ...(definition.sampleRateHz === null ? {} : { sampling: { rateHz: definition.sampleRateHz } }),
    ...(definition.requirements.length === 0
      ? {}
      : {
          requirements: definition.requirements.map((requirement) => {
            const { kind: _derived, ...written } = requirement;
            return written;
          }),
        }),
  };
}
