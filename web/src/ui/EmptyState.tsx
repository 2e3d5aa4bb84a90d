import type { ReactNode } from 'react';

/** What a list or an area shows when it has nothing yet, and what it is for. */
export function EmptyState({
  icon,
  title,
  children,
  action,
}: {
  readonly icon?: ReactNode;
  readonly title: string;
  readonly children?: ReactNode;
  readonly action?: ReactNode;
}) {
  return (
    <div className="empty">
      {icon !== undefined && <div className="empty-icon">{icon}</div>}
      <h3>{title}</h3>
      {children}
      {action !== undefined && (
        <div className="button-row" style={{ justifyContent: 'center' }}>
          {action}
        </div>
      )}
    </div>
  );
}
