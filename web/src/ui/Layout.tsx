import type { ReactNode } from 'react';
import { NavLink } from 'react-router';

/** The title of a page, what it is for, and its main actions. */
export function PageHeader({
  title,
  description,
  actions,
}: {
  readonly title: string;
  readonly description?: ReactNode;
  readonly actions?: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {description !== undefined && <p>{description}</p>}
      </div>
      {actions !== undefined && <div className="button-row">{actions}</div>}
    </div>
  );
}

/** A titled panel. */
export function Card({
  title,
  actions,
  children,
  flush = false,
  labelledBy,
}: {
  readonly title?: string;
  readonly actions?: ReactNode;
  readonly children: ReactNode;
  /** Content (a table) that runs to the card's edges. */
  readonly flush?: boolean;
  readonly labelledBy?: string;
}) {
  const headingId =
    labelledBy ??
    (title === undefined ? undefined : `card-${title.toLowerCase().replace(/\W+/g, '-')}`);
  return (
    <section className="card" aria-labelledby={headingId}>
      {(title !== undefined || actions !== undefined) && (
        <div className="card-header">
          {title !== undefined && <h2 id={headingId}>{title}</h2>}
          {actions !== undefined && <div className="button-row">{actions}</div>}
        </div>
      )}
      {flush ? children : <div className="card-body">{children}</div>}
    </section>
  );
}

/** Links between the sub-pages of an area. */
export function Tabs({ tabs }: { readonly tabs: readonly { to: string; label: string }[] }) {
  return (
    <nav className="tabs" aria-label="Sections">
      {tabs.map((tab) => (
        <NavLink
          key={tab.to}
          to={tab.to}
          className={({ isActive }) => `tab${isActive ? ' active' : ''}`}
        >
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}

/** Shown while data loads. */
export function Loading({ what }: { readonly what: string }) {
  return (
    <div className="loading" role="status">
      Loading {what}…
    </div>
  );
}
