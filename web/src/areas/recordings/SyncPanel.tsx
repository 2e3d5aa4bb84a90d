import { useQuery } from '@tanstack/react-query';
import { Timer } from 'lucide-react';
import { useMemo, type ReactNode } from 'react';
import {
  ApiError,
  type ChannelSync,
  type Recording,
  type SensorSync,
  type SyncReport,
} from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Badge,
  Card,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  type Column,
} from '../../ui/index.js';
import { formatCount, formatHz } from './format.js';
import {
  deltaSeriesPlotData,
  droppedShare,
  formatClockOffset,
  formatNanoseconds,
  formatPercent,
  formatPpm,
  formatScore,
  histogramPlotData,
  stampSourceOf,
} from './sync.js';
import { DeltaHistogram, DeltaOverTime } from './SyncPlots.js';
import './sync.css';

const none = <span className="muted">—</span>;

/** A cell of a sensor's figure against the reference; the reference row has none. */
function measured(channel: ChannelSync, show: (sync: SensorSync) => ReactNode): ReactNode {
  return channel.sync === undefined ? none : show(channel.sync);
}

function columnsFor(report: SyncReport): Column<ChannelSync>[] {
  const delta = (quantile: keyof SensorSync['absDeltaNs']) => (c: ChannelSync) =>
    measured(c, (s) => (
      <span className="numeric nowrap">{formatNanoseconds(s.absDeltaNs[quantile])}</span>
    ));
  return [
    {
      header: 'Sensor',
      cell: (c) => (
        <>
          <span className="mono topic">{c.name}</span>
          {c.name === report.reference && (
            <div>
              <Badge tone="info">reference</Badge>
            </div>
          )}
        </>
      ),
    },
    {
      header: 'Score',
      cell: (c) =>
        measured(c, (s) => (
          <span
            className="numeric"
            title="Within-tolerance fraction times the fraction of nominal messages received, 0–100"
          >
            {s.score < report.threshold ? (
              <Badge tone="danger">{formatScore(s.score)}</Badge>
            ) : (
              formatScore(s.score)
            )}
          </span>
        )),
    },
    { header: '|Δ| p50', cell: delta('p50') },
    { header: '|Δ| p95', cell: delta('p95') },
    { header: '|Δ| p99', cell: delta('p99') },
    { header: '|Δ| max', cell: delta('max') },
    {
      header: 'Within tolerance',
      cell: (c) =>
        measured(c, (s) => (
          <span className="nowrap">
            <span className="numeric">{formatPercent(s.withinTolerance)}</span>
            <div className="muted small">of ±{formatNanoseconds(s.toleranceNs)}</div>
          </span>
        )),
    },
    {
      header: 'Dropped',
      cell: (c) => (
        <span
          className="nowrap"
          title={`Messages the nominal rate implies were never recorded: ${formatPercent(droppedShare(c))} of ${formatCount(c.messages + c.rate.dropped, 'en-US')}`}
        >
          <span className="numeric">{formatCount(c.rate.dropped, 'en-US')}</span>
          <div className="muted small">at {formatHz(c.rate.nominalRateHz)} nominal</div>
        </span>
      ),
    },
    {
      header: 'Gaps',
      cell: (c) => (
        <span className="nowrap" title="Intervals longer than 1.5 nominal periods">
          <span className="numeric">{formatCount(c.rate.gaps, 'en-US')}</span>
          {c.rate.gaps > 0 && (
            <div className="muted small">{formatNanoseconds(c.rate.gapTimeNs)} missing</div>
          )}
        </span>
      ),
    },
    {
      header: 'Clock offset',
      cell: (c) =>
        c.clock === undefined ? (
          none
        ) : (
          <span
            className="numeric nowrap"
            title={`Sensor clock minus recorder clock at the first stamp: ${c.clock.offsetNs} ns, including the minimum transport latency`}
          >
            {formatClockOffset(c.clock.offsetNs)}
          </span>
        ),
    },
    {
      header: 'Drift',
      cell: (c) =>
        c.clock === undefined ? (
          none
        ) : (
          <span className="numeric nowrap">{formatPpm(c.clock.driftPpm)}</span>
        ),
    },
    {
      header: 'Jitter',
      cell: (c) =>
        c.clock === undefined ? (
          none
        ) : (
          <span className="numeric nowrap">{formatNanoseconds(c.clock.jitterNs)}</span>
        ),
    },
    {
      header: 'Stamps from',
      cell: (c) => {
        const source = stampSourceOf(c);
        return (
          <span title={source.detail}>
            {source.label === 'header' ? (
              source.label
            ) : (
              <Badge tone="warning">{source.label}</Badge>
            )}
          </span>
        );
      },
    },
  ];
}

/** The histogram and the over-time plot of one sensor's deltas against the reference. */
function SensorPlots({
  channel,
  sync,
  reference,
  recording,
}: {
  readonly channel: ChannelSync;
  readonly sync: SensorSync;
  readonly reference: string;
  readonly recording: Recording;
}) {
  const histogram = useMemo(
    () => histogramPlotData(sync.histogram, sync.toleranceNs),
    [sync.histogram, sync.toleranceNs],
  );
  const series = useMemo(
    () => deltaSeriesPlotData(sync.series, sync.seriesStart, recording.startTime),
    [sync.series, sync.seriesStart, recording.startTime],
  );
  const outside = histogram?.outside ?? 0;
  return (
    <section className="sync-sensor" aria-label={`Stamp deltas of ${channel.name}`}>
      <h4 className="mono topic">{channel.name}</h4>
      <div className="sync-sensor-plots">
        <div>
          <p className="muted small">
            Histogram of stamp deltas; dashed lines at ±{formatNanoseconds(sync.toleranceNs)}{' '}
            tolerance
            {outside > 0 && `; ${formatCount(outside, 'en-US')} beyond the plotted range`}
          </p>
          {histogram === undefined ? (
            <p className="muted">No deltas were measured.</p>
          ) : (
            <DeltaHistogram
              data={histogram}
              toleranceMs={sync.toleranceNs / 1e6}
              label={`Histogram of stamp deltas of ${channel.name} against ${reference}`}
            />
          )}
        </div>
        <div>
          <p className="muted small">Delta over time: mean per bucket, with its min–max band</p>
          {series === undefined ? (
            <p className="muted">No deltas were measured.</p>
          ) : (
            <DeltaOverTime
              data={series}
              label={`Stamp delta over time of ${channel.name} against ${reference}`}
            />
          )}
        </div>
      </div>
    </section>
  );
}

function Report({
  report,
  recording,
}: {
  readonly report: SyncReport;
  readonly recording: Recording;
}) {
  const measuredChannels = report.channels.filter(
    (c): c is ChannelSync & { sync: SensorSync } => c.sync !== undefined,
  );
  const weakest = measuredChannels.reduce<(typeof measuredChannels)[number] | undefined>(
    (worst, c) => (worst === undefined || c.sync.score < worst.sync.score ? c : worst),
    undefined,
  );
  return (
    <>
      <dl className="detail-list sync-summary" aria-label="Sync summary">
        <dt>Reference sensor</dt>
        <dd className="mono">{report.reference}</dd>
        <dt>Sync score</dt>
        <dd>
          <span className="numeric">{formatScore(report.score)}</span>{' '}
          <span className="muted">of 100, threshold {formatScore(report.threshold)}</span>{' '}
          {report.passed ? (
            <Badge tone="success">passed</Badge>
          ) : (
            <Badge tone="danger">failed</Badge>
          )}
        </dd>
        {weakest !== undefined && (
          <>
            <dt>Weakest sensor</dt>
            <dd className="mono">{weakest.name}</dd>
          </>
        )}
      </dl>
      <p className="muted small sync-help">
        Every sensor is measured at each message of the reference: |Δ| is how far its nearest
        message’s stamp lies from the reference stamp. A sensor’s score is the fraction of reference
        messages it matched within tolerance times the fraction of its nominal messages that were
        recorded; the recording’s score is its weakest sensor’s. Clock figures compare a sensor’s
        header stamps with the recorder’s log time.
      </p>
      <DataTable
        label="Sensor synchronization"
        columns={columnsFor(report)}
        rows={report.channels}
        rowKey={(c) => c.name}
        empty={
          <EmptyState icon={<Timer size={32} aria-hidden />} title="No sensors in the report" />
        }
      />
      <h3 className="sync-plots-heading">Stamp deltas per sensor against {report.reference}</h3>
      <div className="sync-sensors">
        {measuredChannels.map((c) => (
          <SensorPlots
            key={c.name}
            channel={c}
            sync={c.sync}
            reference={report.reference}
            recording={recording}
          />
        ))}
      </div>
    </>
  );
}

/**
 * The recording's synchronization quality: the reference sensor, the score against the
 * threshold, every sensor's stamp deltas, drops, gaps and clock, and per sensor the
 * distribution of its deltas and their course over the drive.
 */
export function SyncPanel({ recording }: { readonly recording: Recording }) {
  const api = useApi();
  const ready = recording.status === 'ready';
  const sync = useQuery({
    queryKey: ['recordings', recording.id, 'sync'],
    queryFn: ({ signal }) => api.recordings.sync(recording.id, signal),
    enabled: ready,
    // No report is an answer (too few stamped sensors), not a failure to retry.
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
  const missing = sync.error instanceof ApiError && sync.error.status === 404;
  return (
    <Card title="Synchronization">
      {sync.error !== null && !missing && (
        <ErrorBanner
          title="The sync report could not be loaded"
          error={sync.error}
          onRetry={() => void sync.refetch()}
        />
      )}
      {!ready ? (
        <EmptyState icon={<Timer size={32} aria-hidden />} title="No sync report yet">
          <p>
            {recording.status === 'rejected'
              ? 'The file could not be read, so its sensors could not be synchronized.'
              : 'The report appears once every message was read.'}
          </p>
        </EmptyState>
      ) : missing ? (
        <EmptyState icon={<Timer size={32} aria-hidden />} title="No sync report">
          <p>
            A report needs at least two sensor channels with more than one message each, and stamps
            that can be related to each other.
          </p>
        </EmptyState>
      ) : sync.isPending ? (
        <Loading what="the sync report" />
      ) : (
        sync.data !== undefined && <Report report={sync.data} recording={recording} />
      )}
    </Card>
  );
}
