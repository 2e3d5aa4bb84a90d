import { PlannedArea } from '../PlannedArea.js';

/** The Models area. */
export function ModelsPage() {
  return (
    <PlannedArea
      title="Models"
      purpose="The model registry: model versions with their artifacts, metrics per slice, aliases and lineage back to the datasets they learned from."
      holds={[
        'models and their versions',
        'metrics per slice, compared across versions',
        'artifacts and aliases such as production',
        'lineage to the datasets and jobs behind each version',
      ]}
    />
  );
}
