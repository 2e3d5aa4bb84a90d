import { useQuery } from '@tanstack/react-query';
import { Boxes, Search } from 'lucide-react';
import { Link, useSearchParams } from 'react-router';
import type { DataProduct } from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Badge,
  Card,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  Pager,
  SelectField,
  usePagedList,
  type Column,
} from '../../ui/index.js';
import { Classification, QualityStatus } from './quality.js';

const accessLabels: Record<DataProduct['access'], string> = {
  owner: 'your team owns it',
  granted: 'granted to your team',
  none: 'ask its owner for a grant',
};

const columns: Column<DataProduct>[] = [
  {
    header: 'Product',
    cell: (p) => (
      <>
        <Link to={`/data-products/${encodeURIComponent(p.id)}`} className="dp-name">
          {p.name}
        </Link>
        {p.description !== '' && <div className="muted small dp-summary">{p.description}</div>}
      </>
    ),
  },
  { header: 'Domain', cell: (p) => p.domainName },
  { header: 'Owner team', cell: (p) => p.ownerTeamName },
  { header: 'Classification', cell: (p) => <Classification product={p} /> },
  { header: 'Residency', cell: (p) => <span className="mono">{p.residency}</span> },
  { header: 'Quality', cell: (p) => <QualityStatus product={p} /> },
  { header: 'Recordings', cell: (p) => <span className="numeric">{p.recordingCount}</span> },
  {
    header: 'Access',
    cell: (p) => (
      <span className="nowrap">
        <Badge tone={p.access === 'none' ? 'neutral' : 'info'}>{accessLabels[p.access]}</Badge>
      </span>
    ),
  },
];

/** Every data product, in name order, with its quality and who may read it. */
export function ProductsList() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const domain = params.get('domain') ?? '';
  const domains = useQuery({
    queryKey: ['catalog', 'domains'],
    queryFn: ({ signal }) => api.catalog.domains(signal),
  });
  const list = usePagedList(['catalog', 'products', domain], (query, signal) =>
    api.catalog.products.list({ ...query, ...(domain === '' ? {} : { domain }) }, signal),
  );
  const pickDomain = (value: string): void => {
    list.reset();
    setParams(value === '' ? {} : { domain: value });
  };
  return (
    <>
      <PageHeader
        title="Data products"
        description="The data mesh catalog: each domain's data products, what they serve, whether their contract checks pass, and who may read them."
        actions={
          <Link to="/data-products/search" className="button primary">
            <Search size={16} aria-hidden />
            Search scenarios
          </Link>
        }
      />
      <Card>
        <form
          className="form dp-filters"
          aria-label="Filter data products"
          onSubmit={(e) => e.preventDefault()}
        >
          <SelectField
            label="Domain"
            value={domain}
            onChange={(e) => pickDomain(e.target.value)}
            disabled={domains.data === undefined}
          >
            <option value="">every domain</option>
            {domains.data?.items.map((d) => (
              <option key={d.id} value={d.name}>
                {d.name} ({d.ownerTeamName}, {d.productCount}{' '}
                {d.productCount === 1 ? 'product' : 'products'})
              </option>
            ))}
          </SelectField>
        </form>
        {domains.error !== null && (
          <ErrorBanner title="The domains could not be loaded" error={domains.error} />
        )}
      </Card>
      <Card title="Products" flush>
        {list.error !== null && (
          <ErrorBanner
            title="The data products could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="data products" />
        ) : (
          <DataTable
            label="Data products"
            columns={columns}
            rows={list.items}
            rowKey={(p) => p.id}
            empty={
              list.error === null && (
                <EmptyState icon={<Boxes size={32} aria-hidden />} title="No data products yet">
                  <p>
                    A data steward creates a product in a domain of their team, or imports an ODCS
                    contract with <code>POST /contracts</code>.
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
