import { useQueries, useQuery } from '@tanstack/react-query';
import { ArrowLeft, Map as MapIcon, Search, SearchX } from 'lucide-react';
import { useId, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { querySyntaxError, type SearchHit } from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Button,
  Card,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  Pager,
  Time,
  usePagedList,
  type Column,
} from '../../ui/index.js';
import { recordingsOf, splitAtError } from './describe.js';
import { TrackMap } from './TrackMap.js';

const example = 'sensors has lidar and country = "DE" and night and speed_kmh > 80';
const pageSize = 25;

/** Where the query stopped parsing: the message, the query with that spot marked, what would fit. */
function QueryErrorNote({ query, error }: { readonly query: string; readonly error: unknown }) {
  const syntax = querySyntaxError(error);
  if (syntax === undefined) return null;
  const { before, at, after } = splitAtError(query, syntax.position);
  return (
    <div className="dp-syntax" role="alert" aria-label="Query error">
      <div className="field-error">{syntax.message}</div>
      <pre className="dp-syntax-query">
        {before}
        <mark title={`column ${syntax.column}`}>{at === '' ? ' ' : at}</mark>
        {after}
      </pre>
      {syntax.expected.length > 0 && (
        <div className="small">
          At column {syntax.column} the query can go on with{' '}
          {syntax.expected.map((e, i) => (
            <span key={e}>
              {i > 0 && (i === syntax.expected.length - 1 ? ' or ' : ', ')}
              <code>{e}</code>
            </span>
          ))}
          .
        </div>
      )}
    </div>
  );
}

function QueryForm({
  query,
  error,
  onSearch,
}: {
  readonly query: string;
  readonly error: unknown;
  readonly onSearch: (query: string) => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState(query);
  const submit = (event: { preventDefault(): void }): void => {
    event.preventDefault();
    if (draft.trim() !== '') onSearch(draft.trim());
  };
  const invalid = querySyntaxError(error) !== undefined;
  return (
    <form className="form dp-query" onSubmit={submit} aria-label="Scenario search" noValidate>
      <div className="field grow">
        <label htmlFor={id}>Scenario query</label>
        <textarea
          id={id}
          className="mono"
          rows={2}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            // Enter searches, as in a search box; Shift+Enter breaks the line of a long query.
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
          placeholder={example}
          spellCheck={false}
          aria-invalid={invalid}
          aria-describedby={`${id}-hint`}
        />
        <span className="field-hint" id={`${id}-hint`}>
          Conditions joined with <code>and</code>, <code>or</code>, <code>not</code> and
          parentheses: tags and words such as <code>night</code>, <code>rain</code> or{' '}
          <code>highway</code>, <code>sensors has lidar</code>, and fields compared with values:{' '}
          <code>country = &quot;DE&quot;</code>, <code>speed_kmh &gt; 80</code>,{' '}
          <code>start &gt;= &quot;2026-01-05&quot;</code>.
        </span>
      </div>
      {query !== '' && <QueryErrorNote query={query} error={error} />}
      <div className="form-actions">
        <Button
          type="submit"
          variant="primary"
          icon={<Search size={15} />}
          disabled={draft.trim() === ''}
        >
          Search
        </Button>
      </div>
    </form>
  );
}

/** Recording names for the hover texts and links; the id stands in where a name is not readable. */
function useRecordingNames(ids: readonly string[]): (id: string) => string {
  const api = useApi();
  const answers = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['recordings', id, 'detail'],
      queryFn: ({ signal }: { signal: AbortSignal }) => api.recordings.get(id, signal),
      staleTime: 60_000,
      retry: false,
    })),
  });
  const names = new Map<string, string>();
  for (const answer of answers) {
    const recording = answer.data?.recording;
    if (recording !== undefined) names.set(recording.id, recording.name);
  }
  return (id) => names.get(id) ?? id;
}

/** Segments of readable recordings matching a scenario query, and a map of their tracks. */
export function SearchPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const list = usePagedList(
    ['catalog', 'search', query],
    (page, signal) =>
      query === ''
        ? Promise.resolve({ items: [], next: null })
        : api.catalog.search(query, page, signal),
    pageSize,
  );
  const recordingIds = recordingsOf(list.items);
  const nameOf = useRecordingNames(recordingIds);
  const tracks = useQuery({
    queryKey: ['catalog', 'tracks', recordingIds],
    queryFn: ({ signal }) => api.catalog.tracks(recordingIds, signal),
    enabled: recordingIds.length > 0,
  });
  const search = (next: string): void => {
    list.reset();
    setParams({ q: next });
  };
  const syntaxFailed = querySyntaxError(list.error) !== undefined;
  const columns: Column<SearchHit>[] = [
    {
      header: 'Recording',
      cell: (h) => (
        <>
          <Link to={`/recordings/${h.recordingId}`} title={h.recordingId}>
            {nameOf(h.recordingId)}
          </Link>
          <div className="muted small">segment {h.seq + 1}</div>
        </>
      ),
    },
    {
      header: 'Time',
      cell: (h) => (
        <span className="nowrap" title={`${h.start} – ${h.end}`}>
          <Time iso={h.start} /> – {new Date(h.end).toISOString().slice(11, 19)} UTC
        </span>
      ),
    },
    {
      header: 'Place',
      cell: (h) => (
        <>
          {h.country ?? '—'}
          {h.daylight !== null && <div className="muted small">{h.daylight}</div>}
        </>
      ),
    },
    {
      header: 'Speed',
      cell: (h) =>
        h.speedKmhMean === null ? (
          <span className="muted">—</span>
        ) : (
          <span className="nowrap">{h.speedKmhMean.toFixed(0)} km/h</span>
        ),
    },
    {
      header: 'Matching tags',
      cell: (h) => {
        const others = h.tags.filter((t) => !h.matchedTags.includes(t));
        return (
          <div className="dp-tags">
            {h.matchedTags.map((tag) => (
              <span key={tag} className="dp-tag matched">
                {tag}
              </span>
            ))}
            {others.length > 0 && (
              <span className="muted small" title={others.join(', ')}>
                +{others.length} more
              </span>
            )}
          </div>
        );
      },
    },
  ];
  return (
    <>
      <Link to="/data-products" className="back-link">
        <ArrowLeft size={15} aria-hidden /> All data products
      </Link>
      <PageHeader
        title="Scenario search"
        description="Find the 20-second segments of drives that match a scenario, in the recordings your teams own and in the data products granted to them."
      />
      <Card>
        {/* Keyed by the query, so back and forward show the searched query in the box. */}
        <QueryForm key={query} query={query} error={list.error} onSearch={search} />
      </Card>
      {query !== '' && (
        <>
          <Card title="Matching segments" flush>
            {list.error !== null && !syntaxFailed && (
              <ErrorBanner title="The search failed" error={list.error} onRetry={list.refetch} />
            )}
            {list.loading ? (
              <Loading what="matching segments" />
            ) : (
              <DataTable
                label="Matching segments"
                columns={columns}
                rows={list.items}
                rowKey={(h) => h.id}
                empty={
                  list.error === null && (
                    <EmptyState icon={<SearchX size={32} aria-hidden />} title="No segment matches">
                      <p>
                        Try fewer conditions, or ask for a grant to a data product of another team.
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
          {recordingIds.length > 0 && (
            <Card title="Where they were driven">
              {tracks.error !== null && (
                <ErrorBanner
                  title="The tracks could not be loaded"
                  error={tracks.error}
                  onRetry={() => void tracks.refetch()}
                />
              )}
              {tracks.isPending ? (
                <Loading what="tracks" />
              ) : (
                tracks.data !== undefined && (
                  <TrackMap tracks={tracks.data.items} hits={list.items} nameOf={nameOf} />
                )
              )}
            </Card>
          )}
        </>
      )}
      {query === '' && (
        <Card>
          <EmptyState icon={<MapIcon size={32} aria-hidden />} title="Describe a scenario">
            <p>
              For example <code>{example}</code>.
            </p>
            <Button onClick={() => search(example)}>Search this example</Button>
          </EmptyState>
        </Card>
      )}
    </>
  );
}
