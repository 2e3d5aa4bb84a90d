import { PlannedArea } from '../PlannedArea.js';

/** The Datasets area. */
export function DatasetsPage() {
  return (
    <PlannedArea
      title="Datasets"
      purpose="Immutable, content-addressed dataset versions built from scenario searches: synchronized samples, splits and coverage of the data requirements."
      holds={[
        'dataset definitions and their materialized versions',
        'splits and the samples in each',
        'coverage of each data requirement',
        'the builds under way, with their progress',
      ]}
    />
  );
}
