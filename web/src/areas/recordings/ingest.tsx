import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle } from 'lucide-react';
import { useEffect, useState } from 'react';
import {
  isFinished,
  messageOf,
  type Api,
  type Recording,
  type RecordingStatus,
  type Task,
} from '../../api/index.js';
import { useApi } from '../../app/session.js';
import { Badge, Progress, type Tone } from '../../ui/index.js';

const toneOf: Record<RecordingStatus, Tone> = {
  queued: 'neutral',
  ingesting: 'info',
  catalogued: 'info',
  ready: 'success',
  rejected: 'danger',
};

/** What each status means, for tooltips and the recording page. */
export const statusHelp: Record<RecordingStatus, string> = {
  queued: 'Waiting for a worker to read it.',
  ingesting: 'Reading its index: channels, sensors and segments.',
  catalogued: 'Channels and segments are known; every message is being read for rates and tags.',
  ready: 'Read through: channels, rates, segments and tags are complete.',
  rejected: 'The file is not a recording drivetrain can read.',
};

/** The status of a recording as a coloured label. */
export function StatusBadge({ status }: { readonly status: RecordingStatus }) {
  return (
    <span title={statusHelp[status]}>
      <Badge tone={toneOf[status]}>{status}</Badge>
    </span>
  );
}

/** Whether a recording will change no more by itself. */
export function isSettled(recording: Recording): boolean {
  return recording.status === 'ready' || recording.status === 'rejected';
}

/** The task kind that reads every message of an indexed recording after it was catalogued. */
const analysisKind = 'recordings.analyze';

/** How often an unsettled recording is fetched again, besides what its task stream tells. */
export const settleRefreshMs = 2_000;

/** A recording with its channels, fetched again every few seconds until it settles. */
export function recordingQuery(api: Api, id: string) {
  return queryOptions({
    queryKey: ['recordings', id],
    queryFn: ({ signal }) => api.recordings.get(id, signal),
    refetchInterval: (query) => {
      const recording = query.state.data?.recording;
      return recording === undefined || !isSettled(recording) ? settleRefreshMs : false;
    },
  });
}

/**
 * The task working on a recording that has not settled, followed live while `live` (pages follow
 * at most three streams, see ADR 080). A queued or ingesting recording is worked on by its ingest
 * task (`taskId`); a catalogued one by the analysis task the ingest queued, found among the
 * analysis tasks by its payload. When the task ends, recordings are fetched again.
 */
export function useIngestTask(
  recording: Recording | undefined,
  live = true,
): { task: Task | undefined; streamError: string | undefined } {
  const api = useApi();
  const queryClient = useQueryClient();
  const [task, setTask] = useState<Task | undefined>();
  const [streamError, setStreamError] = useState<string | undefined>();
  const id = recording?.id;
  const status = recording?.status;
  const analysis = useQuery({
    queryKey: ['recordings', id, 'analysis-task'],
    enabled: live && status === 'catalogued',
    queryFn: async ({ signal }) => {
      const page = await api.tasks.list({ kind: analysisKind, limit: 100 }, signal);
      return (
        page.items.find(
          (t) => (t.payload as { recordingId?: unknown } | null)?.recordingId === id,
        ) ?? null
      );
    },
    refetchInterval: (query) => (query.state.data === null ? settleRefreshMs : false),
  });
  const followed =
    status === 'queued' || status === 'ingesting'
      ? (recording?.taskId ?? undefined)
      : status === 'catalogued'
        ? analysis.data?.id
        : undefined;

  useEffect(() => {
    if (followed === undefined || !live) return;
    const controller = new AbortController();
    let lastStatus: string | undefined;
    api.tasks
      .watch(
        followed,
        (next) => {
          setTask(next);
          setStreamError(undefined);
          if (next.status !== lastStatus || isFinished(next))
            void queryClient.invalidateQueries({ queryKey: ['recordings'] });
          lastStatus = next.status;
        },
        controller.signal,
      )
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setStreamError(messageOf(error));
      });
    return () => controller.abort();
  }, [api, queryClient, followed, live]);

  return {
    task: task !== undefined && task.id === followed ? task : undefined,
    streamError: followed === undefined ? undefined : streamError,
  };
}

/** The progress of the task working on a recording, or what the recording waits for. */
export function IngestProgress({
  recording,
  task,
  streamError,
}: {
  readonly recording: Recording;
  readonly task: Task | undefined;
  readonly streamError: string | undefined;
}) {
  if (isSettled(recording)) return null;
  const step = recording.status === 'catalogued' ? 'Reading every message' : 'Reading the index';
  return (
    <div className="ingest-progress">
      {task !== undefined && task.status === 'running' && task.progress.total > 0 ? (
        <>
          <Progress
            done={task.progress.done}
            total={task.progress.total}
            message={task.progress.message}
          />
          <span className="muted">{step}</span>
        </>
      ) : (
        <span className="ingest-step">
          <LoaderCircle size={15} className="spin" aria-hidden />
          {recording.status === 'queued' || task?.status === 'queued'
            ? 'Waiting for a worker…'
            : `${step}${task === undefined || task.progress.message === '' ? '…' : `: ${task.progress.message}`}`}
        </span>
      )}
      {streamError !== undefined && (
        <span className="field-error">Live progress stopped: {streamError}</span>
      )}
    </div>
  );
}
