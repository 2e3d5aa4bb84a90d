import { Construction } from 'lucide-react';
import { Card, EmptyState, PageHeader } from '../ui/index.js';

/**
 * The page of an area whose features this version does not have yet: it says what the area is
 * for and shows no data, rather than made-up data.
 */
export function PlannedArea({
  title,
  purpose,
  holds,
}: {
  readonly title: string;
  /** One sentence: what the area is for. */
  readonly purpose: string;
  /** What the area will list, one item each. */
  readonly holds: readonly string[];
}) {
  return (
    <>
      <PageHeader title={title} description={purpose} />
      <Card>
        <EmptyState
          icon={<Construction size={36} aria-hidden />}
          title="Not available in this version yet"
        >
          <p>
            This version of drivetrain does not have this area yet, so there is nothing to show. It
            will hold:
          </p>
          <ul style={{ display: 'inline-block', textAlign: 'left', margin: '4px 0 0' }}>
            {holds.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
        </EmptyState>
      </Card>
    </>
  );
}
