import { PlannedArea } from '../PlannedArea.js';

/** The Safety area. */
export function SafetyPage() {
  return (
    <PlannedArea
      title="Safety"
      purpose="Evidence for ISO 26262 and ISO/PAS 8800: AI safety and data requirements, traceability, release gates and independent approvals."
      holds={[
        'safety and data requirements with their trace links',
        'release gates and whether each one is met',
        'approvals, and the independence of who approved',
        'the safety case of each release',
      ]}
    />
  );
}
