import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, CircleCheck, FileUp, Hammer, ListChecks } from 'lucide-react';
import { useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { Link, useLocation } from 'react-router';
import {
  ApiError,
  isFinished,
  messageOf,
  type DatasetBuildResult,
  type DatasetDefinition,
  type Task,
} from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Badge,
  Button,
  Card,
  ErrorBanner,
  PageHeader,
  Progress,
  SelectField,
  shorten,
  type Tone,
} from '../../ui/index.js';
import { DefinitionSummary } from './Definition.js';

/** A definition to start from: the one of the integration suite, on the generated fleet's rig. */
const example = `name: lidar-front
description: Lidar sweeps with the front camera and radar, for 3D detection.
query: sensors has lidar
sync:
  reference: lidar
  streams:
    lidar: { sensor: lidar }
    front: { sensor: camera, topic: /sensors/camera/front/image* }
    radar: { sensor: radar, topic: "*front_left*" }
  required: [lidar, front]
  toleranceMs: { front: 30, radar: 40 }
split:
  by: recording
  fractions: { train: 0.8, val: 0.1, test: 0.1 }
sampling:
  rateHz: 2
requirements:
  - { id: night-share, tag: night, minPercent: 10 }
  - { id: countries, countries: [DE, FR] }
`;

/** A server complaint about the definition, with the path of the field it names. */
function DefinitionProblem({ error, title }: { readonly error: unknown; readonly title: string }) {
  if (!(error instanceof ApiError) || error.field === undefined)
    return <ErrorBanner title={title} error={error} />;
  const prefix = `${error.field}: `;
  const message = error.detail.startsWith(prefix)
    ? error.detail.slice(prefix.length)
    : error.detail;
  return (
    <div className="banner error" role="alert">
      <div className="banner-body">
        <div className="banner-title">{title}</div>
        <div>
          At <code className="problem-path">{error.field}</code>: {message}
        </div>
      </div>
    </div>
  );
}

const toneOf: Record<Task['status'], Tone> = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
  cancelled: 'warning',
};

/** The build task as it runs, followed by its event stream, and the version once built. */
function BuildProgress({ started }: { readonly started: Task }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [task, setTask] = useState(started);
  const [streamError, setStreamError] = useState<string | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    api.tasks
      .watch(
        started.id,
        (next) => {
          setTask(next);
          setStreamError(undefined);
          if (isFinished(next)) void queryClient.invalidateQueries({ queryKey: ['datasets'] });
        },
        controller.signal,
      )
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setStreamError(messageOf(error));
      });
    return () => controller.abort();
  }, [api, queryClient, started.id]);
  const result = task.status === 'succeeded' ? (task.result as DatasetBuildResult) : undefined;
  return (
    <section className="build-progress" aria-label="Build progress">
      <div className="button-row">
        <strong>Build task</strong>
        <code title={task.id}>{shorten(task.id, 16)}</code>
        <Badge tone={toneOf[task.status]}>{task.status}</Badge>
      </div>
      {!isFinished(task) && (
        <Progress
          done={task.progress.done}
          total={task.progress.total}
          message={task.progress.message}
        />
      )}
      {task.progress.message !== '' && !isFinished(task) && (
        <div className="muted">{task.progress.message}</div>
      )}
      {task.status === 'failed' && (
        <div className="field-error" role="alert">
          The build failed: {task.error?.message ?? 'no reason was given'}
        </div>
      )}
      {result !== undefined && (
        <div className="banner success" role="status">
          <CircleCheck size={18} aria-hidden />
          <div className="banner-body">
            Built {result.samples.toLocaleString('en-US')} samples.{' '}
            <Link to={`/datasets/${result.id}`}>Open version {shorten(result.id, 16)}</Link>
          </div>
        </div>
      )}
      {streamError !== undefined && (
        <div className="field-error">
          Live progress stopped: {streamError}. The build goes on; see{' '}
          <Link to="/tasks">Tasks</Link>.
        </div>
      )}
    </section>
  );
}

/** Paste or load a dataset definition, check it, and build a version from it. */
export function BuildPage() {
  const api = useApi();
  const me = useMe();
  const location = useLocation();
  const given = (location.state as { definition?: unknown } | null)?.definition;
  const [text, setText] = useState(typeof given === 'string' ? given : '');
  const [team, setTeam] = useState(me.teams[0]?.teamId ?? '');
  const [checked, setChecked] = useState<DatasetDefinition | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const fileInput = useRef<HTMLInputElement>(null);
  const textId = useId();
  const empty = text.trim() === '';

  const check = useMutation({
    mutationFn: () => api.datasets.check(text),
    onSuccess: (answer) => setChecked(answer.definition),
  });
  const build = useMutation({
    mutationFn: () => api.datasets.build(text, me.teams.length > 1 ? team : undefined),
  });
  const edit = (next: string): void => {
    setText(next);
    setChecked(undefined);
    check.reset();
  };
  const load = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file === undefined) return;
    try {
      edit(await file.text());
      setLoadError(undefined);
    } catch (error) {
      setLoadError(`${file.name} could not be read: ${messageOf(error)}`);
    }
  };

  return (
    <>
      <Link to="/datasets" className="back-link">
        <ArrowLeft size={14} aria-hidden />
        All dataset versions
      </Link>
      <PageHeader
        title="Build a dataset"
        description="A definition names the segments to take (a scenario query), how streams are synchronized into samples, how samples are split, how densely they are sampled, and the coverage the data must reach. Building it twice over the same recordings gives the same version."
      />
      <Card title="Definition">
        <form
          className="build-form"
          aria-label="Dataset definition"
          onSubmit={(event) => {
            event.preventDefault();
            if (!empty) build.mutate();
          }}
        >
          <div className="field">
            <label htmlFor={textId}>Definition (YAML or JSON)</label>
            <textarea
              id={textId}
              className="definition-text mono"
              value={text}
              onChange={(e) => edit(e.target.value)}
              spellCheck={false}
              rows={20}
              placeholder={example}
            />
            <span className="field-hint">
              Paste a definition, load it from a file, or{' '}
              <button type="button" className="link-button" onClick={() => edit(example)}>
                start from an example
              </button>
              .
            </span>
          </div>
          <input
            ref={fileInput}
            type="file"
            accept=".yaml,.yml,.json,text/yaml,application/json"
            hidden
            aria-label="Definition file"
            onChange={(e) => void load(e)}
          />
          {me.teams.length > 1 && (
            <SelectField
              label="Team"
              value={team}
              onChange={(e) => setTeam(e.target.value)}
              hint="The team the build runs for and the version belongs to."
            >
              {me.teams.map((t) => (
                <option key={t.teamId} value={t.teamId}>
                  {t.teamName}
                </option>
              ))}
            </SelectField>
          )}
          <div className="button-row">
            <Button
              icon={<FileUp size={15} aria-hidden />}
              onClick={() => fileInput.current?.click()}
            >
              Load a file
            </Button>
            <Button
              icon={<ListChecks size={15} aria-hidden />}
              busy={check.isPending}
              disabled={empty}
              onClick={() => check.mutate()}
            >
              Check
            </Button>
            <Button
              type="submit"
              variant="primary"
              icon={<Hammer size={15} aria-hidden />}
              busy={build.isPending}
              disabled={empty}
            >
              Build
            </Button>
          </div>
        </form>
        {loadError !== undefined && (
          <div className="field-error" role="alert">
            {loadError}
          </div>
        )}
        {check.error !== null && (
          <DefinitionProblem title="The definition has a problem" error={check.error} />
        )}
        {build.error !== null && (
          <DefinitionProblem title="The build was not started" error={build.error} />
        )}
        {build.data !== undefined && <BuildProgress key={build.data.id} started={build.data} />}
      </Card>
      {checked !== undefined && (
        <Card title="Checked definition">
          <div className="banner success" role="status">
            <CircleCheck size={18} aria-hidden />
            <div className="banner-body">
              The definition is valid. This is how it will be built, with every default filled in.
            </div>
          </div>
          <DefinitionSummary definition={checked} />
        </Card>
      )}
    </>
  );
}
