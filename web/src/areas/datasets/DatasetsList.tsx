import { Database, Hammer } from 'lucide-react';
import { Link } from 'react-router';
import type { DatasetVersion } from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Badge,
  Card,
  CopyButton,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  Pager,
  Time,
  shorten,
  usePagedList,
  type Column,
} from '../../ui/index.js';
import { requirementStatus, splitSummary } from './coverage.js';

/** A version id as tables show it: short, linked to the version, with the whole id to copy. */
export function VersionId({ id, link = true }: { readonly id: string; readonly link?: boolean }) {
  const short = shorten(id, 16);
  return (
    <span className="version-id">
      {link ? (
        <Link to={`/datasets/${id}`} className="mono" title={id}>
          {short}
        </Link>
      ) : (
        <code title={id}>{short}</code>
      )}
      <CopyButton value={id} label="Copy id" />
    </span>
  );
}

/** Whether a version meets its data requirements, and which attributes fall short. */
export function RequirementStatus({ version }: { readonly version: DatasetVersion }) {
  const status = requirementStatus(version);
  return (
    <span className="requirement-status">
      <Badge tone={status.met ? 'success' : 'danger'}>{status.text}</Badge>
      {status.failing.length > 0 && (
        <span className="muted small"> failing: {status.failing.join(', ')}</span>
      )}
    </span>
  );
}

const columns: Column<DatasetVersion>[] = [
  { header: 'Name', cell: (v) => <strong>{v.name}</strong> },
  { header: 'Version', cell: (v) => <VersionId id={v.id} /> },
  { header: 'Created', cell: (v) => <Time iso={v.createdAt} /> },
  {
    header: 'Samples',
    cell: (v) => <span className="numeric">{v.samples.toLocaleString('en-US')}</span>,
  },
  { header: 'Splits', cell: (v) => <span className="nowrap">{splitSummary(v.splits)}</span> },
  { header: 'Requirements', cell: (v) => <RequirementStatus version={v} /> },
];

/** The dataset versions the user may see, newest first. */
export function DatasetsList() {
  const api = useApi();
  const list = usePagedList(['datasets', 'list'], (query, signal) =>
    api.datasets.list(query, signal),
  );
  const buildLink = (
    <Link to="/datasets/build" className="button primary">
      <Hammer size={16} aria-hidden />
      Build a dataset
    </Link>
  );
  return (
    <>
      <PageHeader
        title="Datasets"
        description="Immutable dataset versions built from scenario searches, newest first: synchronized samples, their splits, and whether they cover the data requirements."
        actions={buildLink}
      />
      <Card title="Dataset versions" flush>
        {list.error !== null && (
          <ErrorBanner
            title="The dataset versions could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="dataset versions" />
        ) : (
          <DataTable
            label="Dataset versions"
            columns={columns}
            rows={list.items}
            rowKey={(v) => v.id}
            empty={
              list.error === null && (
                <EmptyState
                  icon={<Database size={32} aria-hidden />}
                  title="No dataset versions yet"
                  action={buildLink}
                >
                  <p>
                    A version appears here once a definition (a scenario query, a sync spec, a split
                    rule and data requirements) was built here or with{' '}
                    <code>drivetrain datasets build</code>.
                  </p>
                </EmptyState>
              )
            }
          />
        )}
        <Pager
          page={list.page}
          hasPrevious={list.hasPrevious}
          hasNext={list.hasNext}
          onPrevious={list.previous}
          onNext={list.next}
          busy={list.fetching}
        />
      </Card>
    </>
  );
}
