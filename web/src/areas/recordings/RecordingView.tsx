import { useMutation, useQuery } from '@tanstack/react-query';
import { ArrowLeft, ChartLine, Download, ListTree } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { messageOf, type Channel, type Recording, type Segment } from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Badge,
  Button,
  Card,
  CopyButton,
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
import { downloadRecording } from './download.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatHz,
  formatOffset,
  formatPosition,
  formatTimeRange,
} from './format.js';
import {
  IngestProgress,
  isSettled,
  recordingQuery,
  StatusBadge,
  statusHelp,
  useIngestTask,
} from './ingest.js';
import { RatePlot } from './RatePlot.js';
import { binsFor, ratePlotData } from './rates.js';
import { RejectionNote } from './RecordingsList.js';
import { SensorLabel } from './sensors.js';
import { SyncPanel } from './SyncPanel.js';

/** Seconds from the recording's start to a time, or undefined when either is unknown. */
function offsetOf(recording: Recording, iso: string | null): number | undefined {
  if (recording.startTime === null || iso === null) return undefined;
  return (Date.parse(iso) - Date.parse(recording.startTime)) / 1000;
}

function Span({
  recording,
  start,
  end,
}: {
  readonly recording: Recording;
  readonly start: string | null;
  readonly end: string | null;
}) {
  const from = offsetOf(recording, start);
  const to = offsetOf(recording, end);
  if (from === undefined || to === undefined) return <span className="muted">—</span>;
  return (
    <span className="nowrap" title={`${start ?? ''} – ${end ?? ''}`}>
      {formatOffset(from)} – {formatOffset(to)}
    </span>
  );
}

/** A topic name that, when it must wrap, wraps after a slash. */
function Topic({ topic }: { readonly topic: string }) {
  const parts = topic.split('/');
  return (
    <span className="mono topic">
      {parts.map((part, i) => (
        <span key={i}>
          {i > 0 && (
            <>
              /<wbr />
            </>
          )}
          {part}
        </span>
      ))}
    </span>
  );
}

function useTeamName(teamId: string): string {
  const api = useApi();
  const me = useMe();
  const member = me.teams.find((t) => t.teamId === teamId);
  const team = useQuery({
    queryKey: ['teams', teamId],
    queryFn: () => api.teams.get(teamId),
    enabled: member === undefined,
  });
  return member?.teamName ?? team.data?.name ?? teamId;
}

function Summary({ recording }: { readonly recording: Recording }) {
  const me = useMe();
  const team = useTeamName(recording.teamId);
  const read =
    recording.size > 0 && recording.bytesRead > 0
      ? ` (${((recording.bytesRead / recording.size) * 100).toFixed(recording.bytesRead < recording.size / 100 ? 2 : 0)} % of the file)`
      : '';
  const uploader =
    me.id !== '' && recording.createdBy === `user:${me.id}`
      ? `${me.name} (you)`
      : recording.createdBy;
  const { bbox } = recording;
  return (
    <Card title="Summary">
      <div className="summary-grid">
        <dl className="detail-list">
          <dt>Format</dt>
          <dd>{recording.format ?? <span className="muted">not known yet</span>}</dd>
          <dt>Size</dt>
          <dd>
            {formatBytes(recording.size)}{' '}
            <span className="muted">({formatCount(recording.size)} bytes)</span>
          </dd>
          <dt>Messages</dt>
          <dd>{formatCount(recording.messageCount)}</dd>
          <dt>Driven</dt>
          <dd>
            {recording.startTime === null || recording.endTime === null ? (
              <span className="muted">not known yet</span>
            ) : (
              <span title={`${recording.startTime} – ${recording.endTime}`}>
                {formatTimeRange(recording.startTime, recording.endTime)}
              </span>
            )}
          </dd>
          <dt>Duration</dt>
          <dd>{formatDuration(recording.durationSeconds)}</dd>
          <dt>Vehicle</dt>
          <dd>{recording.vehicle ?? <span className="muted">—</span>}</dd>
          <dt>Country</dt>
          <dd>{recording.country ?? <span className="muted">—</span>}</dd>
          <dt>Area driven</dt>
          <dd>
            {bbox === null ? (
              <span className="muted">no position data</span>
            ) : (
              <>
                {formatPosition(bbox.minLat, bbox.minLon)}
                <br />
                {formatPosition(bbox.maxLat, bbox.maxLon)}
              </>
            )}
          </dd>
        </dl>
        <dl className="detail-list">
          <dt>Team</dt>
          <dd>{team}</dd>
          <dt>Uploaded</dt>
          <dd>
            <Time iso={recording.createdAt} /> <span className="muted">by {uploader}</span>
          </dd>
          <dt>Ingested</dt>
          <dd>
            <Time iso={recording.ingestedAt} empty="not yet" />
          </dd>
          <dt>Bytes read</dt>
          <dd title="What cataloguing read of the file: an indexed file is catalogued from its index alone.">
            {formatBytes(recording.bytesRead)}
            <span className="muted">{read}</span>
          </dd>
          <dt>Written by</dt>
          <dd>{recording.library ?? <span className="muted">—</span>}</dd>
          <dt>SHA-256</dt>
          <dd className="hash">
            <code title={recording.sha256}>{recording.sha256.slice(0, 16)}…</code>
            <CopyButton value={recording.sha256} />
          </dd>
        </dl>
      </div>
    </Card>
  );
}

function channelColumns(recording: Recording): Column<Channel>[] {
  return [
    {
      header: 'Topic',
      cell: (c) => <Topic topic={c.topic} />,
    },
    { header: 'Sensor', cell: (c) => <SensorLabel sensor={c.sensor} /> },
    {
      header: 'Schema',
      cell: (c) => (
        <>
          <span className="mono">{c.schemaName || '—'}</span>
          <div className="muted small">
            {[c.schemaEncoding, c.messageEncoding].filter((e) => e !== '').join(' · ')}
          </div>
        </>
      ),
    },
    {
      header: 'Messages',
      cell: (c) => <span className="numeric">{formatCount(c.messageCount)}</span>,
    },
    {
      header: 'Rate',
      cell: (c) => <span className="numeric nowrap">{formatHz(c.frequencyHz)}</span>,
    },
    {
      header: 'Span',
      cell: (c) => <Span recording={recording} start={c.startTime} end={c.endTime} />,
    },
    {
      header: 'Largest gap',
      cell: (c) => (
        <span className="numeric nowrap">
          {c.maxGapMs === null
            ? '—'
            : `${c.maxGapMs >= 100 ? c.maxGapMs.toFixed(0) : c.maxGapMs.toFixed(1)} ms`}
        </span>
      ),
    },
    {
      header: 'Gaps',
      cell: (c) =>
        c.gapCount > 0 ? (
          <span title="Pauses much longer than the channel's usual interval between messages">
            <Badge tone="warning">{formatCount(c.gapCount)}</Badge>
          </span>
        ) : (
          <span className="muted">none</span>
        ),
    },
  ];
}

function RatesCard({ recording }: { readonly recording: Recording }) {
  const api = useApi();
  const ready = recording.status === 'ready';
  const bins = binsFor(recording.durationSeconds);
  const rates = useQuery({
    queryKey: ['recordings', recording.id, 'rates', bins],
    queryFn: ({ signal }) => api.recordings.rates(recording.id, bins, signal),
    enabled: ready,
  });
  const data = useMemo(
    () => (rates.data === undefined ? undefined : ratePlotData(rates.data)),
    [rates.data],
  );
  return (
    <Card title="Message rate per channel">
      {rates.error !== null && (
        <ErrorBanner
          title="The message rates could not be loaded"
          error={rates.error}
          onRetry={() => void rates.refetch()}
        />
      )}
      {!ready ? (
        <EmptyState icon={<ChartLine size={32} aria-hidden />} title="No rates yet">
          <p>
            {recording.status === 'rejected'
              ? 'The file could not be read, so there are no message rates.'
              : 'The plot appears once every message was read.'}
          </p>
        </EmptyState>
      ) : rates.isPending ? (
        <Loading what="message rates" />
      ) : data === undefined ? (
        rates.error === null && (
          <EmptyState icon={<ChartLine size={32} aria-hidden />} title="No messages to plot" />
        )
      ) : (
        <>
          <p className="muted plot-help">
            Messages per second in {formatDuration(rates.data?.binSeconds ?? null)} bins. Hover for
            each channel’s rate, click a topic below to hide it, drag across the plot to zoom in and
            double-click to zoom out.
          </p>
          <RatePlot data={data} label={`Message rate per channel of ${recording.name}`} />
        </>
      )}
    </Card>
  );
}

function SegmentsCard({ recording }: { readonly recording: Recording }) {
  const api = useApi();
  const list = usePagedList(['recordings', recording.id, 'segments'], (query, signal) =>
    api.recordings.segments(recording.id, query, signal),
  );
  const columns: Column<Segment>[] = [
    { header: '#', cell: (s) => <span className="numeric">{s.seq + 1}</span> },
    { header: 'Time', cell: (s) => <Span recording={recording} start={s.start} end={s.end} /> },
    {
      header: 'Place',
      cell: (s) =>
        s.lat === null || s.lon === null ? (
          <span className="muted">{s.country ?? '—'}</span>
        ) : (
          <>
            {s.country ?? '—'}
            <div className="muted small nowrap">{formatPosition(s.lat, s.lon)}</div>
          </>
        ),
    },
    { header: 'Light', cell: (s) => s.daylight ?? <span className="muted">—</span> },
    {
      header: 'Speed',
      cell: (s) =>
        s.speedKmhMean === null ? (
          <span className="muted">—</span>
        ) : (
          <span className="nowrap">
            {s.speedKmhMean.toFixed(0)} km/h{' '}
            {s.speedKmhMax !== null && (
              <span className="muted">(max {s.speedKmhMax.toFixed(0)})</span>
            )}
          </span>
        ),
    },
    {
      header: 'Tags',
      cell: (s) => (
        <div className="tags">
          {s.tags.map((tag) => (
            <Link
              key={tag}
              to={`/recordings?${new URLSearchParams({ tag }).toString()}`}
              className="tag"
              title={`Recordings tagged ${tag}`}
            >
              {tag}
            </Link>
          ))}
        </div>
      ),
    },
  ];
  return (
    <Card title="Segments" flush>
      {list.error !== null && (
        <ErrorBanner
          title="The segments could not be loaded"
          error={list.error}
          onRetry={list.refetch}
        />
      )}
      {list.loading ? (
        <Loading what="segments" />
      ) : (
        <DataTable
          label="Segments"
          columns={columns}
          rows={list.items}
          rowKey={(s) => s.id}
          empty={
            list.error === null && (
              <EmptyState icon={<ListTree size={32} aria-hidden />} title="No segments yet">
                <p>
                  {recording.status === 'rejected'
                    ? 'The file could not be read.'
                    : 'Each 20 seconds of the drive becomes a segment, tagged with its sensors, country, daylight and speed, once the recording is catalogued.'}
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
  );
}

/** Records with many entries start folded, so the page stays readable. */
const unfoldedEntries = 10;

function MetadataCard({ recording }: { readonly recording: Recording }) {
  if (recording.metadata.length === 0) return null;
  return (
    <Card title="Metadata records">
      <div className="metadata">
        {recording.metadata.map((record, index) => {
          const entries = Object.entries(record.entries);
          return (
            <details key={`${record.name}-${index}`} open={entries.length <= unfoldedEntries}>
              <summary>
                <span className="mono">{record.name}</span>{' '}
                <span className="muted">
                  {entries.length} {entries.length === 1 ? 'entry' : 'entries'}
                </span>
              </summary>
              <dl className="detail-list">
                {entries.map(([key, value]) => (
                  <div key={key} className="detail-pair">
                    <dt className="mono">{key}</dt>
                    <dd className="mono">{value}</dd>
                  </div>
                ))}
              </dl>
            </details>
          );
        })}
      </div>
    </Card>
  );
}

function DownloadButton({ recording }: { readonly recording: Recording }) {
  const api = useApi();
  const [received, setReceived] = useState<number | undefined>();
  const download = useMutation({
    mutationFn: () => downloadRecording(api, recording, setReceived),
    onSettled: () => setReceived(undefined),
  });
  return (
    <>
      <Button
        icon={<Download size={16} />}
        busy={download.isPending}
        onClick={() => download.mutate()}
        disabled={recording.format === 'ros2-bag'}
        title={
          recording.format === 'ros2-bag'
            ? 'A ROS 2 bag is a folder of files; download it with the drivetrain command.'
            : `Download ${recording.name} (${formatBytes(recording.size)})`
        }
      >
        {received === undefined
          ? 'Download'
          : `${Math.floor((received / Math.max(1, recording.size)) * 100)} %`}
      </Button>
      {download.error !== null && (
        <span className="field-error">The download failed: {messageOf(download.error)}</span>
      )}
    </>
  );
}

/** One recording: summary, ingest, channels, message rates, sync quality, segments, metadata. */
export function RecordingView() {
  const api = useApi();
  const { id = '' } = useParams();
  const detail = useQuery(recordingQuery(api, id));
  const recording = detail.data?.recording;
  const { task, streamError } = useIngestTask(recording);
  const back = (
    <Link to="/recordings" className="back-link">
      <ArrowLeft size={15} aria-hidden /> All recordings
    </Link>
  );
  if (detail.isPending) return <Loading what="the recording" />;
  if (recording === undefined)
    return (
      <>
        {back}
        <ErrorBanner
          title="The recording could not be loaded"
          error={detail.error}
          onRetry={() => void detail.refetch()}
        />
      </>
    );
  const channels = detail.data?.channels ?? [];
  return (
    <>
      {back}
      <PageHeader
        title={recording.name}
        description={
          <span className="recording-subtitle">
            <StatusBadge status={recording.status} />
            <span className="mono">{recording.id}</span>
            {recording.vehicle !== null && <span>{recording.vehicle}</span>}
            {recording.startTime !== null && <Time iso={recording.startTime} />}
          </span>
        }
        actions={<DownloadButton recording={recording} />}
      />
      {detail.error !== null && (
        <ErrorBanner title="The recording could not be refreshed" error={detail.error} />
      )}
      {recording.error !== null && (
        <div className="banner error" role="alert">
          <div className="banner-body">
            <div className="banner-title">
              This file was rejected <code>{recording.error.code}</code>
            </div>
            <RejectionNote error={recording.error} />
          </div>
        </div>
      )}
      {!isSettled(recording) && (
        <Card title="Ingest">
          <p className="muted ingest-help">{statusHelp[recording.status]}</p>
          <IngestProgress recording={recording} task={task} streamError={streamError} />
        </Card>
      )}
      <Summary recording={recording} />
      <Card title={`Channels (${channels.length})`} flush>
        <DataTable
          label="Channels"
          columns={channelColumns(recording)}
          rows={channels}
          rowKey={(c) => String(c.key)}
          empty={
            <EmptyState icon={<ListTree size={32} aria-hidden />} title="No channels yet">
              <p>
                {recording.status === 'rejected'
                  ? 'The file could not be read.'
                  : 'Channels appear once the recording is catalogued.'}
              </p>
            </EmptyState>
          }
        />
      </Card>
      <RatesCard recording={recording} />
      <SyncPanel recording={recording} />
      <SegmentsCard recording={recording} />
      <MetadataCard recording={recording} />
    </>
  );
}
