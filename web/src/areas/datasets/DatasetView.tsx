import { useMutation, useQuery } from '@tanstack/react-query';
import { ArrowLeft, Download, Hammer } from 'lucide-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { stringify } from 'yaml';
import {
  ApiError,
  datasetFilePaths,
  type DatasetCard,
  type DatasetVersion,
} from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Badge,
  Button,
  Card,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  SelectField,
  Time,
  shorten,
} from '../../ui/index.js';
import { formatBytes } from '../recordings/format.js';
import { CoverageChart } from './CoverageChart.js';
import { formatCoverageChange, formatCoverageValue, splitSummary } from './coverage.js';
import { DefinitionSummary, RawDefinition } from './Definition.js';
import { definitionSource } from './definition-source.js';
import { downloadDatasetFile } from './download.js';
import { LineageGraph } from './LineageGraph.js';
import { RequirementStatus, VersionId } from './DatasetsList.js';

const count = (n: number): string => n.toLocaleString('en-US');

function Summary({ card }: { readonly card: DatasetCard }) {
  return (
    <Card title="Summary">
      <dl className="detail-list">
        <dt>Version</dt>
        <dd>
          <VersionId id={card.id} link={false} />
        </dd>
        <dt>Samples</dt>
        <dd className="numeric">{count(card.samples)}</dd>
        <dt>Recordings</dt>
        <dd className="numeric">{count(card.recordings)}</dd>
        <dt>Segments</dt>
        <dd className="numeric">{count(card.segments)}</dd>
        <dt>Splits</dt>
        <dd>{splitSummary(card.splits)}</dd>
        <dt>Requirements</dt>
        <dd>
          <RequirementStatus version={card} />
        </dd>
        <dt>Manifest</dt>
        <dd>{formatBytes(card.manifestSize)}</dd>
        <dt>Created</dt>
        <dd>
          <Time iso={card.createdAt} /> <span className="muted">by {card.createdBy}</span>
        </dd>
        <dt>Definition hash</dt>
        <dd>
          <code title={card.definitionHash}>{shorten(card.definitionHash, 16)}</code>
        </dd>
      </dl>
    </Card>
  );
}

function Splits({ card }: { readonly card: DatasetCard }) {
  const rows = Object.entries(card.splits).map(([split, samples]) => ({ split, samples }));
  return (
    <Card title="Splits">
      <DataTable
        label="Samples per split"
        columns={[
          { header: 'Split', cell: (r) => <strong>{r.split}</strong> },
          { header: 'Samples', cell: (r) => <span className="numeric">{count(r.samples)}</span> },
          {
            header: 'Share',
            cell: (r) =>
              card.samples === 0 ? '—' : `${((100 * r.samples) / card.samples).toFixed(1)} %`,
          },
          {
            header: 'Planned share',
            cell: (r) => {
              const share = card.definition.split.fractions[r.split];
              return share === undefined ? '—' : `${Number((share * 100).toFixed(2))} %`;
            },
          },
        ]}
        rows={rows}
        rowKey={(r) => r.split}
        empty={<p className="muted">The definition names no splits.</p>}
      />
      <h3 className="subheading">Split independence</h3>
      <p className="muted small">
        Samples of one {card.splitBy} never fall into two splits; the other keys are reported so
        that leaks between near-identical samples can be judged.
      </p>
      <DataTable
        label="Split independence"
        columns={[
          { header: 'Key', cell: (c) => c.key },
          {
            header: 'Checked',
            cell: (c) => (c.enforced ? 'enforced by the split rule' : 'reported'),
          },
          {
            header: 'Shared between splits',
            cell: (c) =>
              c.shared === 0 ? (
                'none'
              ) : (
                <span title={c.examples.join(', ')}>
                  {count(c.shared)}
                  {c.examples.length > 0 && (
                    <span className="muted small"> (e.g. {c.examples.slice(0, 3).join(', ')})</span>
                  )}
                </span>
              ),
          },
          {
            header: 'Outcome',
            cell: (c) =>
              c.pass ? (
                <Badge tone={c.enforced ? 'success' : 'neutral'}>
                  {c.enforced || c.shared === 0 ? 'independent' : 'shared, allowed'}
                </Badge>
              ) : (
                <Badge tone="danger">not independent</Badge>
              ),
          },
        ]}
        rows={card.independence}
        rowKey={(c) => c.key}
        empty={<p className="muted">No independence checks were recorded.</p>}
      />
    </Card>
  );
}

function Coverage({ card }: { readonly card: DatasetCard }) {
  const { notes } = card;
  const missing = Object.entries(notes.missingStreams);
  const ambiguous = Object.entries(notes.ambiguousStreams);
  return (
    <Card title="Coverage">
      {card.coverage.length === 0 ? (
        <p className="muted">The definition sets no data requirements.</p>
      ) : (
        <CoverageChart coverage={card.coverage} />
      )}
      {(notes.notReady > 0 || missing.length > 0 || ambiguous.length > 0) && (
        <ul className="plain-list muted small build-notes" aria-label="Build notes">
          {notes.notReady > 0 && (
            <li>
              {count(notes.notReady)} recordings the query found were left out: not analysed yet.
            </li>
          )}
          {missing.map(([stream, n]) => (
            <li key={stream}>
              {count(n)} recordings were left out: no channel for the required stream {stream}.
            </li>
          ))}
          {ambiguous.map(([stream, note]) => (
            <li key={stream}>
              Stream {stream}: {note}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function Files({ card }: { readonly card: DatasetCard }) {
  const api = useApi();
  const download = useMutation({
    mutationFn: ({ path, name }: { path: string; name: string }) =>
      downloadDatasetFile(api, path, name),
  });
  const stem = `${card.name}-${card.id.slice(0, 16)}`;
  const files = [
    {
      label: 'Manifest (Parquet)',
      path: datasetFilePaths.manifest(card.id),
      name: `${stem}.parquet`,
    },
    {
      label: 'Coverage (JSON)',
      path: datasetFilePaths.coverage(card.id),
      name: `${stem}-coverage.json`,
    },
    ...Object.keys(card.splits).map((split) => ({
      label: `Split ${split} (Parquet)`,
      path: datasetFilePaths.split(card.id, split),
      name: `${stem}-${split}.parquet`,
    })),
  ];
  return (
    <Card title="Files">
      <p className="muted small">
        The manifest has one row per sample with the byte location of each message; a split file
        lists the manifest rows of its split.
      </p>
      <div className="button-row wrap">
        {files.map((file) => (
          <Button
            key={file.path}
            size="small"
            icon={<Download size={14} aria-hidden />}
            busy={download.isPending && download.variables.path === file.path}
            onClick={() => download.mutate(file)}
          >
            {file.label}
          </Button>
        ))}
      </div>
      {download.error !== null && (
        <ErrorBanner title="The file could not be downloaded" error={download.error} />
      )}
    </Card>
  );
}

function Lineage({ card }: { readonly card: DatasetCard }) {
  const api = useApi();
  const graph = useQuery({
    queryKey: ['lineage', `datasets/${card.id}`],
    queryFn: ({ signal }) =>
      api.lineage.graph({ node: `datasets/${card.id}`, direction: 'both', depth: 4 }, signal),
  });
  return (
    <Card title="Lineage">
      <p className="muted small">
        What this version was made from (left) and what was made from it (right), as recorded in
        OpenLineage run events.
      </p>
      {graph.isPending ? (
        <Loading what="the lineage" />
      ) : graph.error instanceof ApiError && graph.error.code === 'not_found' ? (
        <p className="muted">No lineage was recorded for this version.</p>
      ) : graph.error !== null ? (
        <ErrorBanner title="The lineage could not be loaded" error={graph.error} />
      ) : (
        <>
          <LineageGraph graph={graph.data} />
          {graph.data.truncated && (
            <p className="muted small">The graph is cut short: it has more nodes than are shown.</p>
          )}
        </>
      )}
    </Card>
  );
}

function Compare({ card }: { readonly card: DatasetCard }) {
  const api = useApi();
  const [other, setOther] = useState('');
  const siblings = useQuery({
    queryKey: ['datasets', 'list', 'name', card.name],
    queryFn: ({ signal }) => api.datasets.list({ name: card.name, limit: 100 }, signal),
  });
  const choices: readonly DatasetVersion[] = (siblings.data?.items ?? []).filter(
    (v) => v.id !== card.id,
  );
  const diff = useQuery({
    queryKey: ['datasets', 'diff', other, card.id],
    // From the chosen version to this one: "added" are the samples this version has in addition.
    queryFn: ({ signal }) => api.datasets.diff(other, card.id, signal),
    enabled: other !== '',
  });
  return (
    <Card title="Compare versions">
      {siblings.error !== null && (
        <ErrorBanner title="The other versions could not be loaded" error={siblings.error} />
      )}
      {siblings.isPending ? (
        <Loading what="other versions" />
      ) : choices.length === 0 ? (
        <p className="muted">There is no other version of {card.name} to compare with.</p>
      ) : (
        <SelectField
          label="Compare with"
          value={other}
          onChange={(e) => setOther(e.target.value)}
          hint="Another version of the same dataset name; the changes are from it to this version."
        >
          <option value="">choose a version</option>
          {choices.map((v) => (
            <option key={v.id} value={v.id}>
              {shorten(v.id, 16)} · {count(v.samples)} samples ·{' '}
              {new Date(v.createdAt).toLocaleString()}
            </option>
          ))}
        </SelectField>
      )}
      {other !== '' && diff.isPending && <Loading what="the comparison" />}
      {diff.error !== null && (
        <ErrorBanner title="The versions could not be compared" error={diff.error} />
      )}
      {diff.data !== undefined && other !== '' && (
        <div className="diff" aria-label="Changes" role="region">
          <dl className="detail-list">
            <dt>Added</dt>
            <dd className="numeric">
              {count(diff.data.added)}{' '}
              <span className="muted">samples this version has and the other does not</span>
            </dd>
            <dt>Removed</dt>
            <dd className="numeric">
              {count(diff.data.removed)}{' '}
              <span className="muted">samples of the other version this one does not have</span>
            </dd>
            <dt>Unchanged</dt>
            <dd className="numeric">{count(diff.data.unchanged)}</dd>
            <dt>Samples</dt>
            <dd className="numeric">
              {count(diff.data.from.samples)} → {count(diff.data.to.samples)}
            </dd>
          </dl>
          <DataTable
            label="Split changes"
            columns={[
              { header: 'Split', cell: (s) => s.split },
              {
                header: 'Other version',
                cell: (s) => <span className="numeric">{count(s.from)}</span>,
              },
              {
                header: 'This version',
                cell: (s) => <span className="numeric">{count(s.to)}</span>,
              },
            ]}
            rows={diff.data.splits}
            rowKey={(s) => s.split}
            empty={null}
          />
          <DataTable
            label="Coverage changes"
            columns={[
              { header: 'Attribute', cell: (c) => c.attribute },
              {
                header: 'Other version',
                cell: (c) => (c.before === null ? '—' : formatCoverageValue(c.before, c.unit)),
              },
              {
                header: 'This version',
                cell: (c) => (c.after === null ? '—' : formatCoverageValue(c.after, c.unit)),
              },
              { header: 'Change', cell: (c) => formatCoverageChange(c) },
            ]}
            rows={diff.data.coverage}
            rowKey={(c) => `${c.attribute}:${c.unit}`}
            empty={<p className="muted">Neither version has data requirements.</p>}
          />
        </div>
      )}
    </Card>
  );
}

/** The card of one dataset version. */
export function DatasetView() {
  const api = useApi();
  const { id = '' } = useParams();
  const card = useQuery({
    queryKey: ['datasets', id],
    queryFn: ({ signal }) => api.datasets.card(id, signal),
    // Versions never change.
    staleTime: Infinity,
  });
  const back = (
    <Link to="/datasets" className="back-link">
      <ArrowLeft size={14} aria-hidden />
      All dataset versions
    </Link>
  );
  if (card.isPending) return <Loading what="the dataset version" />;
  if (card.error !== null) {
    return (
      <>
        {back}
        {card.error instanceof ApiError && card.error.code === 'not_found' ? (
          <Card>
            <EmptyState title="No such dataset version">
              <p>
                There is no version <code>{id}</code>, or it was not built by your teams.
              </p>
            </EmptyState>
          </Card>
        ) : (
          <ErrorBanner
            title="The dataset version could not be loaded"
            error={card.error}
            onRetry={() => void card.refetch()}
          />
        )}
      </>
    );
  }
  const data = card.data;
  return (
    <>
      {back}
      <PageHeader
        title={data.name}
        description={
          <>
            Version <code title={data.id}>{shorten(data.id, 16)}</code>, built{' '}
            <Time iso={data.createdAt} />
            {data.definition.description !== '' && <> — {data.definition.description}</>}
          </>
        }
        actions={
          <Link
            to="/datasets/build"
            state={{ definition: stringify(definitionSource(data.definition)) }}
            className="button"
          >
            <Hammer size={16} aria-hidden />
            Build a changed version
          </Link>
        }
      />
      <Summary card={data} />
      <Coverage card={data} />
      <Splits card={data} />
      <Card title="Definition">
        <DefinitionSummary definition={data.definition} />
        <RawDefinition definition={data.definition} />
      </Card>
      <Lineage card={data} />
      <Compare card={data} />
      <Files card={data} />
    </>
  );
}
