import { PlannedArea } from '../PlannedArea.js';

/** The Data products area. */
export function DataProductsPage() {
  return (
    <PlannedArea
      title="Data products"
      purpose="The data mesh catalog: domains and the data products they own, with their contracts, access grants and residency rules."
      holds={[
        'domains and the data products each one owns',
        'data contracts (ODCS) and their versions',
        'access grants and where the data may reside',
        'lineage from recordings to the datasets built on them',
      ]}
    />
  );
}
