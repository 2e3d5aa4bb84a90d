import { PlannedArea } from '../PlannedArea.js';

/** The Edge area. */
export function EdgePage() {
  return (
    <PlannedArea
      title="Edge"
      purpose="Models compressed and qualified for automotive SoCs: equivalence against the reference model, signed deployment bundles and staged rollouts."
      holds={[
        'SoC profiles and the compressed model for each',
        'equivalence results against the reference model',
        'signed deployment bundles',
        'staged rollouts and field monitoring',
      ]}
    />
  );
}
