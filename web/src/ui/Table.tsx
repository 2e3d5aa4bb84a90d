import type { ReactNode } from 'react';
import { Button } from './Button.js';

export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => ReactNode;
  /** Right-aligned, for row actions. */
  readonly actions?: boolean;
}

/** A table of rows with a header; `empty` is shown instead when there are no rows. */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  empty,
}: {
  /** Names the table for screen readers and tests. */
  readonly label: string;
  readonly columns: readonly Column<T>[];
  readonly rows: readonly T[];
  readonly rowKey: (row: T) => string;
  readonly empty: ReactNode;
}) {
  if (rows.length === 0) return <>{empty}</>;
  return (
    <div className="table-wrap">
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} className={column.actions === true ? 'actions' : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column) => (
                <td key={column.header} className={column.actions === true ? 'actions' : undefined}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Previous/next links of a cursor-paged list. */
export function Pager({
  page,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  busy = false,
}: {
  readonly page: number;
  readonly hasPrevious: boolean;
  readonly hasNext: boolean;
  readonly onPrevious: () => void;
  readonly onNext: () => void;
  readonly busy?: boolean;
}) {
  if (!hasPrevious && !hasNext) return null;
  return (
    <div className="pager">
      <span>Page {page}</span>
      <Button size="small" disabled={!hasPrevious || busy} onClick={onPrevious}>
        Previous
      </Button>
      <Button size="small" disabled={!hasNext || busy} onClick={onNext}>
        Next
      </Button>
    </div>
  );
}
