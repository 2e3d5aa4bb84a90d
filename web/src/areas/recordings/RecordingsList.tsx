import { Search, Upload, Video, X } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  recordingStatuses,
  sensorKinds,
  type Recording,
  type RecordingStatus,
  type SensorKind,
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
  Pager,
  SelectField,
  TextField,
  Time,
  usePagedList,
  type Column,
} from '../../ui/index.js';
import {
  applyDraft,
  draftOf,
  draftProblems,
  filterCount,
  filtersFromParams,
  paramsFromFilters,
  type FilterDraft,
  type RecordingFilters,
} from './filters.js';
import { formatBytes, formatDuration } from './format.js';
import { isSettled, settleRefreshMs, StatusBadge } from './ingest.js';
import { sensorLabel } from './sensors.js';
import { syncFailedTitle } from './sync.js';
import './sync.css';
import { isActive } from './uploadQueue.js';
import { useUploadQueue } from './useUploadQueue.js';

/** Why a recording was rejected; the server's message names the file and the byte offset. */
export function RejectionNote({ error }: { readonly error: NonNullable<Recording['error']> }) {
  return (
    <div className="field-error rejection" title={`error code ${error.code}`}>
      {error.message}
    </div>
  );
}

function FilterForm({
  filters,
  onChange,
}: {
  readonly filters: RecordingFilters;
  readonly onChange: (filters: RecordingFilters) => void;
}) {
  const [draft, setDraft] = useState<FilterDraft>(() => draftOf(filters));
  const [submitted, setSubmitted] = useState(false);
  const problems = draftProblems(draft);
  const edit = (key: keyof FilterDraft) => (event: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: event.target.value }));
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(problems).length === 0) onChange(applyDraft(filters, draft));
  };
  const shown = (key: keyof FilterDraft) => (submitted ? problems[key] : undefined);
  // A select applies at once, together with what was typed if that is valid.
  const pick = (key: 'sensor' | 'status', value: string): void => {
    const params = paramsFromFilters(
      Object.keys(problems).length === 0 ? applyDraft(filters, draft) : filters,
    );
    if (value === '') params.delete(key);
    else params.set(key, value);
    onChange(filtersFromParams(params));
  };
  return (
    <form className="form filters" onSubmit={submit} noValidate aria-label="Search recordings">
      <TextField
        label="Vehicle"
        value={draft.vehicle}
        onChange={edit('vehicle')}
        placeholder="veh-001"
        error={shown('vehicle')}
        autoComplete="off"
      />
      <SelectField
        label="Sensor"
        value={filters.sensor ?? ''}
        onChange={(e) => pick('sensor', e.target.value)}
      >
        <option value="">any</option>
        {sensorKinds.map((s: SensorKind) => (
          <option key={s} value={s}>
            {sensorLabel(s)}
          </option>
        ))}
      </SelectField>
      <TextField
        label="Country"
        value={draft.country}
        onChange={edit('country')}
        placeholder="DE"
        maxLength={2}
        error={shown('country')}
        autoComplete="off"
      />
      <TextField
        label="Tag"
        value={draft.tag}
        onChange={edit('tag')}
        placeholder="night, rain, speed:highway"
        error={shown('tag')}
        autoComplete="off"
      />
      <SelectField
        label="Status"
        value={filters.status ?? ''}
        onChange={(e) => pick('status', e.target.value)}
      >
        <option value="">any</option>
        {recordingStatuses.map((s: RecordingStatus) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </SelectField>
      <TextField
        label="Driven from"
        type="datetime-local"
        value={draft.from}
        onChange={edit('from')}
        error={shown('from')}
      />
      <TextField
        label="Driven until"
        type="datetime-local"
        value={draft.to}
        onChange={edit('to')}
        error={shown('to')}
      />
      <div className="form-actions">
        <Button type="submit" variant="primary" icon={<Search size={15} />}>
          Search
        </Button>
        {filterCount(filters) > 0 && (
          <Button icon={<X size={15} />} onClick={() => onChange({})}>
            Clear
          </Button>
        )}
      </div>
    </form>
  );
}

const columns: Column<Recording>[] = [
  {
    header: 'Recording',
    cell: (r) => (
      <>
        <Link to={`/recordings/${r.id}`} className="recording-name" title={r.id}>
          {r.name}
        </Link>
        {r.error !== null && <RejectionNote error={r.error} />}
      </>
    ),
  },
  {
    header: 'Status',
    cell: (r) => (
      <span className="recording-badges">
        <StatusBadge status={r.status} />
        {r.sync?.passed === false && (
          <span title={syncFailedTitle(r.sync.score)}>
            <Badge tone="danger">sync failed</Badge>
          </span>
        )}
      </span>
    ),
  },
  { header: 'Vehicle', cell: (r) => r.vehicle ?? <span className="muted">—</span> },
  { header: 'Driven', cell: (r) => <Time iso={r.startTime} /> },
  {
    header: 'Duration',
    cell: (r) => <span className="nowrap">{formatDuration(r.durationSeconds)}</span>,
  },
  { header: 'Size', cell: (r) => <span className="nowrap">{formatBytes(r.size)}</span> },
  { header: 'Country', cell: (r) => r.country ?? <span className="muted">—</span> },
  { header: 'Uploaded', cell: (r) => <Time iso={r.createdAt} /> },
];

/** The recordings of the user's teams, searched by the filters in the URL. */
export function RecordingsList() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const filterKey = paramsFromFilters(filters).toString();
  const list = usePagedList(
    ['recordings', 'list', filterKey],
    (query, signal) => api.recordings.list({ ...query, ...filters }, signal),
    25,
    // While recordings on the page are ingesting, their status and figures change.
    (page) => (page?.items.some((r) => !isSettled(r)) === true ? settleRefreshMs : false),
  );
  const search = (next: RecordingFilters): void => {
    list.reset();
    setParams(paramsFromFilters(next));
  };
  const filtered = filterCount(filters) > 0;
  const uploading = useUploadQueue().uploads.filter(isActive).length;
  return (
    <>
      <PageHeader
        title="Recordings"
        description="Drive recordings of your teams (MCAP, ROS 1 and ROS 2 bags, MDF4), newest first: what each contains, when and where it was driven, and how far its ingest got."
        actions={
          <Link to="/recordings/upload" className="button primary">
            <Upload size={16} aria-hidden />
            Upload recordings
          </Link>
        }
      />
      {uploading > 0 && (
        <div className="banner info" role="status">
          <Upload size={18} aria-hidden />
          <div className="banner-body">
            {uploading === 1 ? 'One file is' : `${uploading} files are`} being uploaded.{' '}
            <Link to="/recordings/upload">See their progress.</Link>
          </div>
        </div>
      )}
      <Card>
        {/* Keyed by the search, so a new URL (back, a shared link) shows in the form. */}
        <FilterForm key={filterKey} filters={filters} onChange={search} />
      </Card>
      <Card title={filtered ? 'Matching recordings' : 'Recordings'} flush>
        {list.error !== null && (
          <ErrorBanner
            title="The recordings could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="recordings" />
        ) : (
          <DataTable
            label="Recordings"
            columns={columns}
            rows={list.items}
            rowKey={(r) => r.id}
            empty={
              list.error === null &&
              (filtered ? (
                <EmptyState
                  icon={<Search size={32} aria-hidden />}
                  title="No recordings match this search"
                  action={<Button onClick={() => search({})}>Clear the search</Button>}
                >
                  <p>Try fewer filters or a wider time range.</p>
                </EmptyState>
              ) : (
                <EmptyState
                  icon={<Video size={32} aria-hidden />}
                  title="No recordings yet"
                  action={
                    <Link to="/recordings/upload" className="button primary">
                      <Upload size={16} aria-hidden />
                      Upload recordings
                    </Link>
                  }
                >
                  <p>
                    Recordings appear here once they are uploaded here or with{' '}
                    <code>drivetrain ingest</code>. Each is checked, indexed and tagged by sensor,
                    place, daylight and speed.
                  </p>
                </EmptyState>
              ))
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
