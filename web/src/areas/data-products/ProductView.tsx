import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, FileDown, ListChecks, RefreshCw, ShieldCheck, Video } from 'lucide-react';
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import type { ContractCheck, DataProduct, ProductRecording } from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Badge,
  Button,
  Card,
  ConfirmButton,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  Pager,
  TextField,
  Time,
  usePagedList,
  type Column,
} from '../../ui/index.js';
import { ruleEntries, sloEntries, type Entry } from './describe.js';
import { Classification, QualityStatus } from './quality.js';

const productKey = (id: string) => ['catalog', 'products', 'detail', id] as const;

function Entries({
  entries,
  label,
}: {
  readonly entries: readonly Entry[];
  readonly label: string;
}) {
  return (
    <dl className="detail-list" aria-label={label}>
      {entries.map((e) => (
        <div key={e.label} className="detail-pair">
          <dt>{e.label}</dt>
          <dd className={e.label === 'Segments matching' ? 'mono' : undefined}>{e.value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Summary({ product }: { readonly product: DataProduct }) {
  return (
    <Card title="Summary">
      <dl className="detail-list">
        <dt>Description</dt>
        <dd>
          {product.description === '' ? <span className="muted">none</span> : product.description}
        </dd>
        <dt>Domain</dt>
        <dd>{product.domainName}</dd>
        <dt>Owner team</dt>
        <dd>{product.ownerTeamName}</dd>
        <dt>Classification</dt>
        <dd>
          <Classification product={product} />
        </dd>
        <dt>Residency</dt>
        <dd className="mono">{product.residency}</dd>
        <dt>Quality</dt>
        <dd>
          <QualityStatus product={product} />
          {product.quality.checkedAt !== null && (
            <div className="muted small">
              checked <Time iso={product.quality.checkedAt} />
            </div>
          )}
        </dd>
        <dt>Contract</dt>
        <dd>
          version {product.contractVersion}
          <span className="muted">
            {product.hasContract ? ' (imported ODCS contract)' : ' (made from the product)'}
          </span>
        </dd>
      </dl>
    </Card>
  );
}

function RuleAndSlos({ product }: { readonly product: DataProduct }) {
  const rule = ruleEntries(product.rule);
  const slos = sloEntries(product.slos);
  return (
    <div className="dp-pair">
      <Card title="What it serves">
        {rule.length === 0 ? (
          <p>Every recording of {product.ownerTeamName}.</p>
        ) : (
          <>
            <p className="muted">
              Recordings of {product.ownerTeamName} for which all of this holds:
            </p>
            <Entries entries={rule} label="Rule" />
          </>
        )}
      </Card>
      <Card title="Service levels">
        {slos.length === 0 ? (
          <p className="muted">This product promises no service levels.</p>
        ) : (
          <>
            <p className="muted">Its contract checks test these on every ingest.</p>
            <Entries entries={slos} label="Service levels" />
          </>
        )}
      </Card>
    </div>
  );
}

function RecordingsCard({ product }: { readonly product: DataProduct }) {
  const api = useApi();
  const readable = product.access !== 'none';
  const list = usePagedList(
    ['catalog', 'products', 'detail', product.id, 'recordings'],
    (query, signal) =>
      readable
        ? api.catalog.products.recordings(product.id, query, signal)
        : Promise.resolve({ items: [], next: null }),
  );
  const columns: Column<ProductRecording>[] = [
    {
      header: 'Recording',
      cell: (r) => (
        <Link to={`/recordings/${r.id}`} title={r.id}>
          {r.name}
        </Link>
      ),
    },
    { header: 'Vehicle', cell: (r) => r.vehicle ?? <span className="muted">—</span> },
    {
      header: 'Driven',
      cell: (r) =>
        r.startMs === null ? (
          <span className="muted">—</span>
        ) : (
          <Time iso={new Date(r.startMs).toISOString()} />
        ),
    },
    {
      header: 'Status',
      cell: (r) => <Badge tone={r.status === 'ready' ? 'success' : 'neutral'}>{r.status}</Badge>,
    },
  ];
  return (
    <Card title={`Recordings (${product.recordingCount})`} flush>
      {list.error !== null && (
        <ErrorBanner
          title="The recordings could not be loaded"
          error={list.error}
          onRetry={list.refetch}
        />
      )}
      {!readable ? (
        <EmptyState
          icon={<ShieldCheck size={32} aria-hidden />}
          title="Your teams may not read this product"
        >
          <p>A data steward of {product.ownerTeamName} can grant your team access.</p>
        </EmptyState>
      ) : list.loading ? (
        <Loading what="recordings" />
      ) : (
        <DataTable
          label="Recordings"
          columns={columns}
          rows={list.items}
          rowKey={(r) => r.id}
          empty={
            list.error === null && (
              <EmptyState
                icon={<Video size={32} aria-hidden />}
                title="No recordings match its rule yet"
              >
                <p>Recordings of {product.ownerTeamName} join the product as they are ingested.</p>
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
  );
}

/** The most check results shown; failing ones come first, so they are never cut off. */
const checkLimit = 200;

function ChecksCard({ product }: { readonly product: DataProduct }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const checks = useQuery({
    queryKey: [...productKey(product.id), 'checks', product.quality.checkedAt],
    queryFn: ({ signal }) => api.catalog.products.checks(product.id, { limit: checkLimit }, signal),
  });
  const recheck = useMutation({
    mutationFn: () => api.catalog.products.recheck(product.id),
    onSuccess: (updated) => {
      queryClient.setQueryData(productKey(product.id), updated);
      void queryClient.invalidateQueries({ queryKey: ['catalog', 'products'] });
    },
  });
  const columns: Column<ContractCheck>[] = [
    { header: 'Check', cell: (c) => <span className="mono">{c.check}</span> },
    {
      header: 'Result',
      cell: (c) =>
        c.passed ? <Badge tone="success">pass</Badge> : <Badge tone="danger">fail</Badge>,
    },
    {
      header: 'Recording',
      cell: (c) =>
        c.recordingId === '' ? (
          <span className="muted">the whole product</span>
        ) : (
          <Link to={`/recordings/${c.recordingId}`} className="mono small">
            {c.recordingId}
          </Link>
        ),
    },
    { header: 'Detail', cell: (c) => c.detail },
    { header: 'Checked', cell: (c) => <Time iso={c.checkedAt} /> },
  ];
  return (
    <Card
      title="Contract checks"
      flush
      actions={
        product.access === 'owner' && (
          <Button
            size="small"
            icon={<RefreshCw size={14} />}
            busy={recheck.isPending}
            onClick={() => recheck.mutate()}
          >
            Run checks now
          </Button>
        )
      }
    >
      {recheck.error !== null && (
        <ErrorBanner title="The checks could not be run" error={recheck.error} />
      )}
      {checks.error !== null && (
        <ErrorBanner
          title="The check results could not be loaded"
          error={checks.error}
          onRetry={() => void checks.refetch()}
        />
      )}
      {checks.isPending ? (
        <Loading what="check results" />
      ) : (
        <DataTable
          label="Contract checks"
          columns={columns}
          rows={checks.data?.items ?? []}
          rowKey={(c) => `${c.check}/${c.recordingId}`}
          empty={
            checks.error === null && (
              <EmptyState icon={<ListChecks size={32} aria-hidden />} title="No check has run yet">
                <p>
                  Checks run when a recording joins the product and when its service levels change.
                </p>
              </EmptyState>
            )
          }
        />
      )}
    </Card>
  );
}

function GrantsCard({ product }: { readonly product: DataProduct }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const suggestions = useId();
  const [team, setTeam] = useState('');
  const teams = useQuery({
    queryKey: ['teams', 'list', 'first-page'],
    queryFn: ({ signal }) => api.teams.list({ limit: 100 }, signal),
    enabled: product.access === 'owner',
  });
  const changed = (updated: DataProduct): void => {
    queryClient.setQueryData(productKey(product.id), updated);
    void queryClient.invalidateQueries({ queryKey: ['catalog', 'products'] });
  };
  const grant = useMutation({
    mutationFn: (name: string) => api.catalog.products.grant(product.id, name),
    onSuccess: (updated) => {
      setTeam('');
      changed(updated);
    },
  });
  const revoke = useMutation({
    mutationFn: (teamId: string) => api.catalog.products.revoke(product.id, teamId),
    onSuccess: changed,
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    revoke.reset();
    if (team.trim() !== '') grant.mutate(team.trim());
  };
  const manages = product.access === 'owner';
  const columns: Column<DataProduct['grants'][number]>[] = [
    { header: 'Team', cell: (g) => g.teamName },
    ...(manages
      ? [
          {
            header: 'Actions',
            actions: true,
            cell: (g: DataProduct['grants'][number]) => (
              <ConfirmButton
                size="small"
                confirmLabel={`Revoke ${g.teamName}'s access`}
                busy={revoke.isPending && revoke.variables === g.teamId}
                onConfirm={() => {
                  grant.reset();
                  revoke.mutate(g.teamId);
                }}
              >
                Revoke
              </ConfirmButton>
            ),
          },
        ]
      : []),
  ];
  return (
    <Card title="Access grants">
      <p className="muted">
        {product.ownerTeamName} reads its product without a grant; these teams were granted read
        access. Data stewards of {product.ownerTeamName} grant and revoke it.
      </p>
      <DataTable
        label="Access grants"
        columns={columns}
        rows={product.grants}
        rowKey={(g) => g.teamId}
        empty={<p className="muted">No other team may read this product.</p>}
      />
      {revoke.error !== null && (
        <ErrorBanner title="Access could not be revoked" error={revoke.error} />
      )}
      {manages && (
        <form className="form dp-grant" onSubmit={submit} aria-label="Grant access" noValidate>
          <TextField
            label="Team to grant read access"
            value={team}
            onChange={(e) => setTeam(e.target.value)}
            list={suggestions}
            autoComplete="off"
            placeholder="team name"
          />
          <datalist id={suggestions}>
            {teams.data?.items
              .filter(
                (t) =>
                  t.id !== product.ownerTeamId && !product.grants.some((g) => g.teamId === t.id),
              )
              .map((t) => (
                <option key={t.id} value={t.name} />
              ))}
          </datalist>
          <div className="form-actions">
            <Button
              type="submit"
              variant="primary"
              busy={grant.isPending}
              disabled={team.trim() === ''}
            >
              Grant
            </Button>
          </div>
        </form>
      )}
      {grant.error !== null && <ErrorBanner title="The grant was refused" error={grant.error} />}
    </Card>
  );
}

/** A link that saves the product's ODCS contract; the export needs the session's token, so the YAML is fetched first. */
function ContractLink({ product }: { readonly product: DataProduct }) {
  const api = useApi();
  const contract = useQuery({
    queryKey: [...productKey(product.id), 'contract', product.revision],
    queryFn: ({ signal }) => api.catalog.products.contract(product.id, signal),
  });
  const url = useMemo(
    () =>
      contract.data === undefined
        ? undefined
        : URL.createObjectURL(new Blob([contract.data], { type: 'application/yaml' })),
    [contract.data],
  );
  useEffect(() => () => (url === undefined ? undefined : URL.revokeObjectURL(url)), [url]);
  if (contract.error !== null)
    return <ErrorBanner title="The ODCS contract could not be exported" error={contract.error} />;
  return url === undefined ? (
    <Button icon={<FileDown size={16} />} busy>
      ODCS contract
    </Button>
  ) : (
    <a className="button" href={url} download={`${product.name}.odcs.yaml`}>
      <FileDown size={16} aria-hidden />
      Download ODCS contract
    </a>
  );
}

/** One data product: what it serves and promises, its recordings, contract checks and grants. */
export function ProductView() {
  const api = useApi();
  const { id = '' } = useParams();
  const detail = useQuery({
    queryKey: productKey(id),
    queryFn: ({ signal }) => api.catalog.products.get(id, signal),
  });
  const product = detail.data;
  const back = (
    <Link to="/data-products" className="back-link">
      <ArrowLeft size={15} aria-hidden /> All data products
    </Link>
  );
  if (detail.isPending) return <Loading what="the data product" />;
  if (product === undefined)
    return (
      <>
        {back}
        <ErrorBanner
          title="The data product could not be loaded"
          error={detail.error}
          onRetry={() => void detail.refetch()}
        />
      </>
    );
  return (
    <>
      {back}
      <PageHeader
        title={product.name}
        description={
          <span className="dp-subtitle">
            <span>
              {product.domainName} · owned by {product.ownerTeamName}
            </span>
            <span className="mono muted">{product.id}</span>
          </span>
        }
        actions={<ContractLink product={product} />}
      />
      <Summary product={product} />
      <RuleAndSlos product={product} />
      <RecordingsCard product={product} />
      <ChecksCard product={product} />
      <GrantsCard product={product} />
    </>
  );
}
