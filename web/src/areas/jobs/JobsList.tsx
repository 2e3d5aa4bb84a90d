import { Cpu } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { isJobFinished, jobStates, type Job, type JobState } from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Card,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  Pager,
  SelectField,
  Time,
  usePagedList,
  type Column,
} from '../../ui/index.js';
import { formatMoney, StateBadge } from './states.js';

const refreshMs = 3_000;

/** Training jobs of the user's teams, newest first, refreshed while any is unfinished. */
export function JobsList() {
  const api = useApi();
  const [state, setState] = useState<JobState | ''>('');
  const list = usePagedList(
    ['jobs', state],
    (query, signal) => api.jobs.list(state === '' ? query : { ...query, state }, signal),
    25,
    (page) => (page?.items.some((j) => !isJobFinished(j)) === true ? refreshMs : false),
  );
  const columns: Column<Job>[] = [
    {
      header: 'Job',
      cell: (j) => (
        <>
          <Link to={`/jobs/${j.id}`}>
            <strong>{j.name}</strong>
          </Link>
          <div className="mono muted">{j.id}</div>
        </>
      ),
    },
    { header: 'Team', cell: (j) => j.team },
    { header: 'State', cell: (j) => <StateBadge state={j.state} /> },
    {
      header: 'Resources',
      cell: (j) =>
        `${j.accelerators} × ${j.accelerator}${j.replicas > 1 ? ` (${j.replicas} replicas)` : ''}`,
    },
    { header: 'Flavor', cell: (j) => j.flavor ?? <span className="muted">—</span> },
    { header: 'Submitted', cell: (j) => <Time iso={j.createdAt} /> },
    { header: 'Finished', cell: (j) => <Time iso={j.finishedAt} /> },
    { header: 'Cost', cell: (j) => formatMoney(j.cost, j.currency) },
  ];
  return (
    <>
      <PageHeader
        title="Jobs"
        description="Training jobs on the shared accelerator pools: admission against team quotas, why a job waits, live logs, metrics and what each run costs."
      />
      <Card
        title="Jobs"
        flush
        actions={
          <SelectField
            label="State"
            value={state}
            onChange={(e) => {
              setState(e.target.value as JobState | '');
              list.reset();
            }}
          >
            <option value="">any</option>
            {jobStates.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </SelectField>
        }
      >
        {list.error !== null && (
          <ErrorBanner
            title="The jobs could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="jobs" />
        ) : (
          <DataTable
            label="Jobs"
            columns={columns}
            rows={list.items}
            rowKey={(j) => j.id}
            empty={
              list.error === null && (
                <EmptyState icon={<Cpu size={32} aria-hidden />} title="No jobs yet">
                  <p>
                    Submit one with <code>drivetrain jobs submit job.yaml</code> (see
                    examples/day-night/job.yaml).
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
