import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ListChecks } from 'lucide-react';
import { useEffect, useState } from 'react';
import {
  isFinished,
  messageOf,
  taskStatuses,
  type Task,
  type TaskStatus,
} from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Badge,
  Card,
  ConfirmButton,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  Pager,
  Progress,
  SelectField,
  usePagedList,
  Time,
  type Column,
  type Tone,
} from '../../ui/index.js';

const toneOf: Record<TaskStatus, Tone> = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
  cancelled: 'warning',
};

/**
 * Browsers open at most six HTTP/1.1 connections per server, so only this many tasks are
 * followed by a stream at once; the list itself is refreshed while more are unfinished.
 */
const maxStreams = 3;
const refreshMs = 5_000;

/**
 * The tasks of a page as they change: each unfinished one (up to `maxStreams`) is followed by
 * `GET /tasks/:id/events` until it finishes. A stream that fails says why in `streamErrors`.
 */
function useLiveTasks(listed: readonly Task[]): {
  tasks: readonly Task[];
  streamErrors: ReadonlyMap<string, string>;
} {
  const api = useApi();
  const [streamed, setStreamed] = useState<ReadonlyMap<string, Task>>(new Map());
  const [streamErrors, setStreamErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const watched = listed
    .filter((t) => !isFinished(t))
    .slice(0, maxStreams)
    .map((t) => t.id)
    .join(' ');
  useEffect(() => {
    if (watched === '') return;
    const controller = new AbortController();
    for (const id of watched.split(' ')) {
      api.tasks
        .watch(
          id,
          (task) => setStreamed((known) => new Map(known).set(task.id, task)),
          controller.signal,
        )
        .catch((error: unknown) => {
          if (!controller.signal.aborted)
            setStreamErrors((known) => new Map(known).set(id, messageOf(error)));
        });
    }
    return () => controller.abort();
  }, [api, watched]);
  // The list may be newer than a stream (after a refetch): show whichever changed last.
  const tasks = listed.map((t) => {
    const live = streamed.get(t.id);
    return live !== undefined && live.updatedAt >= t.updatedAt ? live : t;
  });
  return { tasks, streamErrors };
}

function TaskProgress({
  task,
  streamError,
}: {
  readonly task: Task;
  readonly streamError: string | undefined;
}) {
  if (task.status === 'failed')
    return <span className="field-error">{task.error?.message ?? 'failed'}</span>;
  return (
    <>
      <Progress
        done={task.progress.done}
        total={task.progress.total}
        message={task.progress.message}
      />
      {task.progress.message !== '' && <div className="muted">{task.progress.message}</div>}
      {streamError !== undefined && (
        <div className="field-error">Live progress stopped: {streamError}</div>
      )}
    </>
  );
}

/** Platform tasks of the user's teams, with live progress. */
export function TasksPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<TaskStatus | ''>('');
  const list = usePagedList(
    ['tasks', status],
    (query, signal) => api.tasks.list(status === '' ? query : { ...query, status }, signal),
    25,
    (page) =>
      page !== undefined && page.items.filter((t) => !isFinished(t)).length > maxStreams
        ? refreshMs
        : false,
  );
  const { tasks, streamErrors } = useLiveTasks(list.items);
  const cancel = useMutation({
    mutationFn: (id: string) => api.tasks.cancel(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tasks'] }),
  });
  const columns: Column<Task>[] = [
    {
      header: 'Task',
      cell: (t) => (
        <>
          <strong>{t.kind}</strong>
          <div className="mono muted">{t.id}</div>
        </>
      ),
    },
    { header: 'Status', cell: (t) => <Badge tone={toneOf[t.status]}>{t.status}</Badge> },
    {
      header: 'Progress',
      cell: (t) => <TaskProgress task={t} streamError={streamErrors.get(t.id)} />,
    },
    { header: 'Attempts', cell: (t) => `${t.attempts} of ${t.maxAttempts}` },
    { header: 'Created', cell: (t) => <Time iso={t.createdAt} /> },
    { header: 'Finished', cell: (t) => <Time iso={t.finishedAt} /> },
    {
      header: 'Actions',
      actions: true,
      cell: (t) =>
        !isFinished(t) && (
          <ConfirmButton
            size="small"
            confirmLabel="Cancel task"
            busy={cancel.isPending && cancel.variables === t.id}
            onConfirm={() => cancel.mutate(t.id)}
          >
            Cancel
          </ConfirmButton>
        ),
    },
  ];
  return (
    <>
      <PageHeader
        title="Tasks"
        description="Long-running platform work (ingests, dataset builds, compressions) of your teams, newest first, with live progress."
      />
      {cancel.error !== null && (
        <ErrorBanner title="The task was not cancelled" error={cancel.error} />
      )}
      <Card
        title="Tasks"
        flush
        actions={
          <SelectField
            label="Status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as TaskStatus | '');
              list.reset();
            }}
          >
            <option value="">any</option>
            {taskStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </SelectField>
        }
      >
        {list.error !== null && (
          <ErrorBanner
            title="The tasks could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="tasks" />
        ) : (
          <DataTable
            label="Tasks"
            columns={columns}
            rows={tasks}
            rowKey={(t) => t.id}
            empty={
              list.error === null && (
                <EmptyState
                  icon={<ListChecks size={32} aria-hidden />}
                  title={status === '' ? 'No tasks yet' : `No ${status} tasks`}
                >
                  <p>
                    Tasks appear here when the platform ingests recordings, builds datasets or
                    compresses models.
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
