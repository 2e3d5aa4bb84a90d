import { useQueries, useQuery } from '@tanstack/react-query';
import { ArrowLeft, FileUp, Pause, Play, Upload, X } from 'lucide-react';
import { useRef, useState, type DragEvent, type FormEvent } from 'react';
import { Link } from 'react-router';
import { collect, messageOf, type Recording } from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Badge,
  Banner,
  Button,
  Card,
  DataTable,
  EmptyState,
  PageHeader,
  Progress,
  SelectField,
  TextField,
  type Column,
} from '../../ui/index.js';
import { formatBytes, formatDuration, formatRate } from './format.js';
import { IngestProgress, isSettled, recordingQuery, StatusBadge, useIngestTask } from './ingest.js';
import { isActive, type QueuedUpload } from './uploadQueue.js';
import { useUploadQueue } from './useUploadQueue.js';

/** Ingest streams followed at once; the other uploaded recordings are polled (ADR 080). */
const maxStreams = 3;

/** The teams the user may upload to: where they are an engineer or data steward; admins: all. */
function useUploadTeams(): {
  teams: { id: string; name: string }[];
  loading: boolean;
  error: unknown;
} {
  const api = useApi();
  const me = useMe();
  const all = useQuery({
    queryKey: ['teams', 'all'],
    queryFn: () => collect((query) => api.teams.list(query), 500),
    enabled: me.platformAdmin,
  });
  if (me.platformAdmin)
    return {
      teams: (all.data?.items ?? []).map((t) => ({ id: t.id, name: t.name })),
      loading: all.isPending,
      error: all.error,
    };
  return {
    teams: me.teams
      .filter((t) => t.role === 'engineer' || t.role === 'data-steward')
      .map((t) => ({ id: t.teamId, name: t.teamName })),
    loading: false,
    error: null,
  };
}

function ChooseFiles({
  onUpload,
}: {
  readonly onUpload: (files: File[], team: string, vehicle: string) => void;
}) {
  const { teams, loading, error } = useUploadTeams();
  const input = useRef<HTMLInputElement>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [team, setTeam] = useState('');
  const [vehicle, setVehicle] = useState('');
  const [dragging, setDragging] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const chosenTeam = team !== '' ? team : (teams[0]?.id ?? '');
  const add = (list: FileList | null): void => {
    // Copied now: the input's FileList empties when the input is reset for the next choice.
    const chosen = Array.from(list ?? []);
    const id = (f: File) => `${f.name}\0${f.size}\0${f.lastModified}`;
    setFiles((before) => {
      const known = new Set(before.map(id));
      return [...before, ...chosen.filter((f) => !known.has(id(f)))];
    });
  };
  const problems = {
    files: files.length === 0 ? 'Choose one or more files.' : undefined,
    team: chosenTeam === '' ? 'Choose the team the recordings belong to.' : undefined,
    vehicle: vehicle.trim().length > 100 ? 'Use at most 100 characters.' : undefined,
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.values(problems).some((p) => p !== undefined)) return;
    onUpload(files, chosenTeam, vehicle.trim());
    setFiles([]);
    setSubmitted(false);
  };
  const drop = (event: DragEvent): void => {
    event.preventDefault();
    setDragging(false);
    add(event.dataTransfer.files);
  };
  const total = files.reduce((sum, f) => sum + f.size, 0);
  return (
    <Card title="Choose files">
      {error !== null && (
        <Banner tone="warning">The teams could not be loaded: {messageOf(error)}</Banner>
      )}
      {!loading && teams.length === 0 && (
        <Banner tone="warning">
          Uploading needs the engineer or data-steward role in a team, and you hold neither. A
          platform admin can give you one.
        </Banner>
      )}
      <form className="upload-form" onSubmit={submit} noValidate aria-label="Upload recordings">
        <div
          className={`dropzone${dragging ? ' dragging' : ''}${submitted && problems.files !== undefined ? ' invalid' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={drop}
        >
          <FileUp size={28} aria-hidden />
          <div>
            <strong>Drop recordings here</strong> or{' '}
            <Button size="small" onClick={() => input.current?.click()}>
              Choose files
            </Button>
          </div>
          <div className="muted small">
            MCAP, ROS 1 bag, ROS 2 bag (.db3), MDF4. Files of any size go up in parts and resume
            after a dropped connection.
          </div>
          <input
            ref={input}
            type="file"
            multiple
            hidden
            aria-label="Recording files"
            onChange={(e) => {
              add(e.target.files);
              e.target.value = '';
            }}
          />
          {submitted && problems.files !== undefined && (
            <span className="field-error" role="alert">
              {problems.files}
            </span>
          )}
        </div>
        {files.length > 0 && (
          <ul className="chosen-files" aria-label="Chosen files">
            {files.map((f) => (
              <li key={`${f.name}\0${f.size}\0${f.lastModified}`}>
                <span className="mono">{f.name}</span>
                <span className="muted">{formatBytes(f.size)}</span>
                <Button
                  size="small"
                  aria-label={`Remove ${f.name}`}
                  icon={<X size={14} />}
                  onClick={() => setFiles((before) => before.filter((x) => x !== f))}
                />
              </li>
            ))}
            <li className="muted">
              {files.length} {files.length === 1 ? 'file' : 'files'}, {formatBytes(total)}
            </li>
          </ul>
        )}
        <div className="form">
          <SelectField
            label="Team"
            value={chosenTeam}
            onChange={(e) => setTeam(e.target.value)}
            error={submitted ? problems.team : undefined}
            hint="The team that owns the recordings."
          >
            {loading && <option value="">Loading teams…</option>}
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Vehicle (optional)"
            value={vehicle}
            onChange={(e) => setVehicle(e.target.value)}
            placeholder="veh-001"
            hint="Applies to every file chosen."
            error={submitted ? problems.vehicle : undefined}
            autoComplete="off"
          />
          <div className="form-actions">
            <Button type="submit" variant="primary" icon={<Upload size={16} />}>
              {files.length > 1 ? `Upload ${files.length} files` : 'Upload'}
            </Button>
          </div>
        </div>
      </form>
    </Card>
  );
}

function Transfer({ upload }: { readonly upload: QueuedUpload }) {
  const bytes = `${formatBytes(upload.sent)} of ${formatBytes(upload.size)}`;
  const left =
    upload.rate !== undefined && upload.rate > 0
      ? (upload.size - upload.sent) / upload.rate
      : undefined;
  let detail: string;
  switch (upload.state) {
    case 'waiting':
      detail = upload.sent > 0 ? `${bytes}, waiting to go on` : 'Waiting for the files before it';
      break;
    case 'sending':
      detail =
        upload.retrying !== undefined
          ? `${bytes}. The connection failed (${upload.retrying.message}); trying again, attempt ${upload.retrying.attempt + 1}…`
          : upload.sent === upload.size
            ? `${bytes}. Putting the parts together on the server…`
            : [
                bytes,
                upload.rate === undefined ? undefined : formatRate(upload.rate),
                left === undefined ? undefined : `about ${formatDuration(left)} left`,
              ]
                .filter((s) => s !== undefined)
                .join(' · ');
      break;
    case 'paused':
      detail = `${bytes}, paused`;
      break;
    case 'cancelling':
      detail = 'Cancelling and removing the parts sent…';
      break;
    case 'cancelled':
      detail = 'Cancelled';
      break;
    case 'failed':
      detail = `${bytes}, stopped`;
      break;
    case 'done':
      detail = `${formatBytes(upload.size)} uploaded`;
      break;
  }
  return (
    <div className="transfer">
      {upload.state !== 'cancelled' && upload.state !== 'done' && (
        <Progress done={upload.sent} total={upload.size} />
      )}
      <span className={upload.retrying === undefined ? 'muted' : 'warning-text'}>{detail}</span>
      {upload.error !== undefined && <span className="field-error">{messageOf(upload.error)}</span>}
    </div>
  );
}

function Outcome({
  upload,
  recording,
  live,
}: {
  readonly upload: QueuedUpload;
  readonly recording: Recording | undefined;
  readonly live: boolean;
}) {
  const { task, streamError } = useIngestTask(recording, live);
  if (upload.outcome === undefined) return <span className="muted">—</span>;
  if (recording === undefined) return <span className="muted">Loading…</span>;
  return (
    <div className="outcome">
      <div className="outcome-line">
        {upload.outcome.duplicate === true && <Badge tone="warning">duplicate</Badge>}
        <StatusBadge status={recording.status} />
        <Link to={`/recordings/${recording.id}`}>
          {upload.outcome.duplicate === true
            ? `Already uploaded as ${recording.name}`
            : 'Open recording'}
        </Link>
      </div>
      {upload.outcome.duplicate !== true && live && (
        <IngestProgress recording={recording} task={task} streamError={streamError} />
      )}
      {recording.error !== null && <span className="field-error">{recording.error.message}</span>}
    </div>
  );
}

/** Choose recordings and upload them, each in resumable parts, then follow their ingest. */
export function UploadPage() {
  const api = useApi();
  const { queue, uploads } = useUploadQueue();
  const recordingIds = [
    ...new Set(uploads.flatMap((u) => (u.outcome === undefined ? [] : [u.outcome.recordingId]))),
  ];
  const details = useQueries({ queries: recordingIds.map((id) => recordingQuery(api, id)) });
  const recordings = new Map<string, Recording>();
  for (const detail of details)
    if (detail.data !== undefined) recordings.set(detail.data.recording.id, detail.data.recording);
  const followed = new Set(
    recordingIds
      .filter((id) => {
        const r = recordings.get(id);
        return r !== undefined && !isSettled(r);
      })
      .slice(0, maxStreams),
  );
  const columns: Column<QueuedUpload>[] = [
    {
      header: 'File',
      cell: (u) => (
        <>
          <span className="mono">{u.name}</span>
          <div className="muted small">
            {formatBytes(u.size)}
            {u.vehicle !== undefined && u.vehicle !== '' && ` · ${u.vehicle}`}
          </div>
        </>
      ),
    },
    { header: 'Upload', cell: (u) => <Transfer upload={u} /> },
    {
      header: 'Recording',
      cell: (u) => (
        <Outcome
          upload={u}
          recording={u.outcome === undefined ? undefined : recordings.get(u.outcome.recordingId)}
          live={u.outcome !== undefined && followed.has(u.outcome.recordingId)}
        />
      ),
    },
    {
      header: 'Actions',
      actions: true,
      cell: (u) => (
        <div className="button-row row-actions">
          {u.state === 'sending' && (
            <Button size="small" icon={<Pause size={14} />} onClick={() => queue.pause(u.key)}>
              Pause
            </Button>
          )}
          {(u.state === 'paused' || (u.state === 'failed' && u.size > 0)) && (
            <Button size="small" icon={<Play size={14} />} onClick={() => queue.resume(u.key)}>
              {u.state === 'paused' ? 'Resume' : 'Try again'}
            </Button>
          )}
          {(u.state === 'waiting' ||
            u.state === 'sending' ||
            u.state === 'paused' ||
            u.state === 'failed') && (
            <Button size="small" variant="danger" onClick={() => queue.cancel(u.key)}>
              Cancel
            </Button>
          )}
          {!isActive(u) && (u.state === 'done' || u.state === 'cancelled') && (
            <Button
              size="small"
              aria-label={`Dismiss ${u.name}`}
              icon={<X size={14} />}
              onClick={() => queue.dismiss(u.key)}
            />
          )}
        </div>
      ),
    },
  ];
  const busy = uploads.filter(isActive).length;
  return (
    <>
      <Link to="/recordings" className="back-link">
        <ArrowLeft size={15} aria-hidden /> All recordings
      </Link>
      <PageHeader
        title="Upload recordings"
        description="Files go up one after the other in parts, so a dropped connection costs one part at most; each file is then checked, indexed and tagged."
      />
      <ChooseFiles
        onUpload={(files, team, vehicle) =>
          queue.add(files, { team, ...(vehicle === '' ? {} : { vehicle }) })
        }
      />
      <Card title={busy > 0 ? `Uploads (${busy} under way)` : 'Uploads'} flush>
        <DataTable
          label="Uploads"
          columns={columns}
          rows={uploads}
          rowKey={(u) => String(u.key)}
          empty={
            <EmptyState icon={<Upload size={32} aria-hidden />} title="Nothing uploaded yet">
              <p>
                Files you upload show here with their progress, and then their ingest. Uploads go on
                while you look at other pages; closing the tab stops them.
              </p>
            </EmptyState>
          }
        />
      </Card>
    </>
  );
}
