import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, Download } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import {
  isJobFinished,
  messageOf,
  type JobDetail,
  type JobExplanation,
  type MetricSeries,
} from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Button,
  Card,
  ConfirmButton,
  DataTable,
  ErrorBanner,
  Loading,
  PageHeader,
  Time,
  type Column,
} from '../../ui/index.js';
import { downloadArtifact } from './download.js';
import { LinePlot, type PlotLine } from './LinePlot.js';
import { formatAmount, formatMoney, StateBadge } from './states.js';
import './jobs.css';

/** Most characters of log kept on the page; older text scrolls out. */
const maxLogChars = 400_000;

/** A transition's time to the second: the states of a short job are seconds apart. */
function formatMoment(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

function Timeline({ job }: { readonly job: JobDetail }) {
  // Every transition in the order it happened, so a retried or preempted job shows each attempt.
  return (
    <ol className="job-timeline" aria-label="State timeline">
      {job.events.map((event, i) => (
        <li key={`${i}-${event.to}`}>
          <StateBadge state={event.to} />{' '}
          <time dateTime={event.at} title={event.at}>
            {formatMoment(event.at)}
          </time>
          {job.attempts.length > 1 && event.attempt > 0 && (
            <span className="muted"> attempt {event.attempt}</span>
          )}
        </li>
      ))}
    </ol>
  );
}

function Explain({ id }: { readonly id: string }) {
  const api = useApi();
  const explanation = useQuery({
    queryKey: ['jobs', id, 'explain'],
    queryFn: ({ signal }) => api.jobs.explain(id, signal),
    refetchInterval: 3_000,
  });
  if (explanation.error !== null)
    return <ErrorBanner title="Why it waits could not be worked out" error={explanation.error} />;
  const e: JobExplanation | undefined = explanation.data;
  if (e === undefined) return <Loading what="the explanation" />;
  const d = e.decision;
  return (
    <div className="job-explain">
      <p>
        Position <strong>{e.position}</strong> in queue <strong>{e.clusterQueue}</strong>
        {e.cohort !== undefined && <> (cohort {e.cohort})</>}
        {e.ahead.length > 0 && <> behind {e.ahead.join(', ')}</>}.
      </p>
      {d.kind === 'pending' && (
        <p>
          {d.reason.message} <span className="mono muted">{d.reason.code}</span>
        </p>
      )}
      {d.kind === 'preempt' && (
        <p>
          Admissible by preempting{' '}
          {d.targets.map((t) => `${t.workloadId} (${t.reason})`).join(', ')}.
        </p>
      )}
      {d.kind === 'admit' && <p>It fits now and is admitted at the next cycle.</p>}
      {e.findings.length > 0 && (
        <table className="table" aria-label="Quota per flavor">
          <thead>
            <tr>
              <th>Flavor</th>
              <th>Resource</th>
              <th>Needs</th>
              <th>Quota</th>
              <th>In use</th>
              <th>Available</th>
              <th>Would borrow</th>
            </tr>
          </thead>
          <tbody>
            {e.findings.map((f) => (
              <tr key={`${f.podSet}/${f.flavor}/${f.resource}`}>
                <td>{f.flavor}</td>
                <td className="mono">{f.resource}</td>
                <td>{formatAmount(f.requested, f.resource)}</td>
                <td>{formatAmount(f.nominal, f.resource)}</td>
                <td>{formatAmount(f.used, f.resource)}</td>
                <td>{formatAmount(f.available, f.resource)}</td>
                <td>{f.wouldBorrow > 0 ? formatAmount(f.wouldBorrow, f.resource) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {e.mustFinish.length > 0 && (
        <p>
          Admitted once these end:{' '}
          {e.mustFinish.map((id) => (
            <Link key={id} to={`/jobs/${id}`} className="mono">
              {id}{' '}
            </Link>
          ))}
        </p>
      )}
    </div>
  );
}

function Log({ id, attempt }: { readonly id: string; readonly attempt: number }) {
  const api = useApi();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [ended, setEnded] = useState(false);
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const controller = new AbortController();
    api.jobs
      .followLog(
        id,
        attempt,
        (piece) => setText((known) => (known + piece).slice(-maxLogChars)),
        controller.signal,
      )
      .then(
        () => setEnded(true),
        (e: unknown) => {
          if (!controller.signal.aborted) setError(messageOf(e));
        },
      );
    return () => controller.abort();
  }, [api, id, attempt]);
  useEffect(() => {
    const element = box.current;
    if (element !== null) element.scrollTop = element.scrollHeight;
  }, [text]);
  return (
    <>
      {error !== undefined && <div className="field-error">The log stopped: {error}</div>}
      <pre
        ref={box}
        className="job-log"
        role="log"
        tabIndex={0}
        aria-label={`Log of attempt ${attempt}`}
      >
        {text === '' ? (ended ? '(no output)' : 'waiting for output…') : text}
      </pre>
      <div className="muted">
        {ended ? 'The attempt has ended.' : 'Live: new lines appear as the job writes them.'}
      </div>
    </>
  );
}

function Metrics({ id, live }: { readonly id: string; readonly live: boolean }) {
  const api = useApi();
  const metrics = useQuery({
    // A key per phase: the points written just before the job ended are fetched once it has.
    queryKey: ['jobs', id, 'metrics', live ? 'live' : 'final'],
    queryFn: ({ signal }) => api.jobs.metrics(id, signal),
    refetchInterval: live ? 3_000 : false,
  });
  const plots = useMemo(
    () =>
      (metrics.data ?? []).map((series: MetricSeries) => {
        const attempts = [...new Set(series.points.map((p) => p.attempt))];
        const lines: PlotLine[] = attempts.map((a) => ({
          label: attempts.length > 1 ? `attempt ${a}` : series.name,
          points: series.points
            .filter((p) => p.attempt === a)
            .map((p) => [p.step, p.value] as const),
        }));
        const last = series.points.at(-1);
        return { name: series.name, lines, count: series.points.length, last };
      }),
    [metrics.data],
  );
  if (metrics.error !== null)
    return <ErrorBanner title="Metrics could not be loaded" error={metrics.error} />;
  if (metrics.data === undefined) return <Loading what="metrics" />;
  if (plots.length === 0 && !live) return <p className="muted">The job reported no metrics.</p>;
  if (plots.length === 0)
    return (
      <p className="muted">
        No metrics yet. A job reports them by printing lines such as{' '}
        <code>{'##drivetrain metric {"step":1,"name":"loss","value":0.4}'}</code>.
      </p>
    );
  return (
    <div className="job-plots">
      {plots.map((p) => (
        <div key={p.name}>
          <h3>{p.name}</h3>
          <LinePlot lines={p.lines} label={`${p.name} per step`} xLabel="step" yLabel={p.name} />
          {p.last !== undefined && (
            <p className="muted">
              {p.count} {p.count === 1 ? 'point' : 'points'}, last at step {p.last.step}:{' '}
              {Number(p.last.value.toPrecision(4))}
            </p>
          )}
        </div>
      ))}
    </div>
  );
}

/** One job: its state timeline, why it waits, attempts, live log, metric plots, artifacts. */
export function JobView() {
  const { id = '' } = useParams();
  const api = useApi();
  const queryClient = useQueryClient();
  const job = useQuery({
    queryKey: ['jobs', id],
    queryFn: ({ signal }) => api.jobs.get(id, signal),
    refetchInterval: (query) =>
      query.state.data === undefined || !isJobFinished(query.state.data) ? 2_000 : false,
  });
  const cancel = useMutation({
    mutationFn: () => api.jobs.cancel(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['jobs'] }),
  });
  const download = useMutation({
    mutationFn: (artifact: JobDetail['artifacts'][number]) => downloadArtifact(api, id, artifact),
  });
  const [attempt, setAttempt] = useState<number | undefined>();
  if (job.error !== null)
    return (
      <ErrorBanner
        title="The job could not be loaded"
        error={job.error}
        onRetry={() => void job.refetch()}
      />
    );
  const j = job.data;
  if (j === undefined) return <Loading what="the job" />;
  const shownAttempt = attempt ?? j.attempt;
  const attemptColumns: Column<JobDetail['attempts'][number]>[] = [
    { header: 'Attempt', cell: (a) => a.attempt },
    { header: 'Flavor', cell: (a) => a.flavor },
    { header: 'Admitted', cell: (a) => <Time iso={a.admittedAt} /> },
    { header: 'Started', cell: (a) => <Time iso={a.startedAt} /> },
    { header: 'Ended', cell: (a) => <Time iso={a.endedAt} /> },
    { header: 'Outcome', cell: (a) => a.outcome },
    { header: 'Why', cell: (a) => a.message ?? (a.exitCode !== null ? `exit ${a.exitCode}` : '') },
    { header: 'Cost', cell: (a) => formatMoney(a.cost, j.currency) },
    {
      header: 'Log',
      actions: true,
      cell: (a) => (
        <Button
          size="small"
          disabled={a.attempt === shownAttempt}
          onClick={() => setAttempt(a.attempt)}
        >
          {a.attempt === shownAttempt ? 'Shown' : 'Show log'}
        </Button>
      ),
    },
  ];
  return (
    <>
      <Link to="/jobs">
        <ArrowLeft size={14} aria-hidden /> Jobs
      </Link>
      <PageHeader
        title={j.name}
        description={
          <>
            <span className="mono">{j.id}</span> · team {j.team} · {j.accelerators} ×{' '}
            {j.accelerator}
            {j.flavor !== null && <> on {j.flavor}</>} · priority {j.priority} ·{' '}
            {formatMoney(j.cost, j.currency)} for {j.acceleratorHours.toFixed(3)} accelerator-hours
          </>
        }
        actions={
          <>
            <StateBadge state={j.state} />
            {!isJobFinished(j) && (
              <ConfirmButton
                size="small"
                confirmLabel="Cancel job"
                busy={cancel.isPending}
                onConfirm={() => cancel.mutate()}
              >
                Cancel
              </ConfirmButton>
            )}
          </>
        }
      />
      {cancel.error !== null && (
        <ErrorBanner title="The job was not cancelled" error={cancel.error} />
      )}
      {j.message !== null && <p className="muted">{j.message}</p>}
      <Card title="Timeline">
        <Timeline job={j} />
      </Card>
      {j.state === 'pending' && (
        <Card title="Why it waits">
          <Explain id={j.id} />
        </Card>
      )}
      <Card title="Metrics">
        <Metrics id={j.id} live={!isJobFinished(j)} />
      </Card>
      {j.attempts.length > 0 && (
        <Card title="Attempts" flush>
          <DataTable
            label="Attempts"
            columns={attemptColumns}
            rows={j.attempts}
            rowKey={(a) => String(a.attempt)}
            empty={null}
          />
        </Card>
      )}
      {shownAttempt > 0 && (
        <Card title={`Log of attempt ${shownAttempt}`}>
          <Log key={shownAttempt} id={j.id} attempt={shownAttempt} />
        </Card>
      )}
      {j.artifacts.length > 0 && (
        <Card title="Artifacts" flush>
          {download.error !== null && (
            <ErrorBanner title="The artifact was not downloaded" error={download.error} />
          )}
          <DataTable
            label="Artifacts"
            columns={[
              { header: 'Attempt', cell: (a) => a.attempt },
              { header: 'File', cell: (a) => <span className="mono">{a.path}</span> },
              { header: 'Size', cell: (a) => `${a.size} bytes` },
              {
                header: 'sha256',
                cell: (a) => <span className="mono muted">{a.sha256.slice(0, 16)}…</span>,
              },
              {
                header: 'Download',
                actions: true,
                cell: (a) => (
                  <Button
                    size="small"
                    aria-label={`Download ${a.path} of attempt ${a.attempt}`}
                    busy={download.isPending && download.variables === a}
                    onClick={() => download.mutate(a)}
                  >
                    <Download size={14} aria-hidden /> Download
                  </Button>
                ),
              },
            ]}
            rows={j.artifacts}
            rowKey={(a) => `${a.attempt}/${a.path}`}
            empty={null}
          />
        </Card>
      )}
    </>
  );
}
