import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Plus, UsersRound } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { Team, TeamSummary } from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Banner,
  Button,
  Card,
  DataTable,
  EmptyState,
  ErrorBanner,
  fieldMessage,
  formLevelError,
  Loading,
  Pager,
  TextField,
  usePagedList,
  Time,
  type Column,
} from '../../ui/index.js';
import { nameProblem } from './validation.js';

export const teamsKey = ['teams'] as const;

function CreateTeamForm({ onCreated }: { readonly onCreated: (team: Team) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const create = useMutation({
    mutationFn: () => api.teams.create(description === '' ? { name } : { name, description }),
    onSuccess: (team) => {
      setName('');
      setDescription('');
      setSubmitted(false);
      onCreated(team);
      return queryClient.invalidateQueries({ queryKey: teamsKey });
    },
  });
  const problems = {
    name: nameProblem(name),
    description:
      description.length > 1000
        ? `Use at most 1000 characters (this has ${description.length}).`
        : undefined,
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (problems.name === undefined && problems.description === undefined) create.mutate();
  };
  const bannerError = formLevelError(create.error, ['name', 'description']);
  return (
    <Card title="Create team">
      {bannerError !== undefined && (
        <ErrorBanner title="The team was not created" error={bannerError} />
      )}
      <form className="form" onSubmit={submit} noValidate aria-label="Create team">
        <TextField
          label="Team name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="Lowercase letters, digits, '.', '_' or '-', e.g. perception"
          error={fieldMessage(problems.name, submitted, create.error, 'name')}
          autoComplete="off"
        />
        <TextField
          label="Description (optional)"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={fieldMessage(problems.description, submitted, create.error, 'description')}
          grow
        />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={create.isPending} icon={<Plus size={16} />}>
            Create team
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** Teams: create and list; each links to its members. */
export function TeamsPanel() {
  const api = useApi();
  const me = useMe();
  const [created, setCreated] = useState<Team | undefined>();
  const list = usePagedList(teamsKey, (query, signal) => api.teams.list(query, signal));
  const columns: Column<TeamSummary>[] = [
    {
      header: 'Name',
      cell: (t) => (
        <Link to={t.id}>
          <strong>{t.name}</strong>
        </Link>
      ),
    },
    { header: 'Description', cell: (t) => t.description || <span className="muted">—</span> },
    { header: 'Members', cell: (t) => t.memberCount },
    { header: 'Created', cell: (t) => <Time iso={t.createdAt} /> },
  ];
  return (
    <>
      {created !== undefined && (
        <Banner tone="success" onDismiss={() => setCreated(undefined)}>
          Team <strong>{created.name}</strong> created.{' '}
          <Link to={created.id}>Add its members.</Link>
        </Banner>
      )}
      {me.platformAdmin && (
        <CreateTeamForm
          onCreated={(team) => {
            setCreated(team);
            list.reset();
          }}
        />
      )}
      <Card title="Teams" flush>
        {list.error !== null && (
          <ErrorBanner
            title="The teams could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="teams" />
        ) : (
          <DataTable
            label="Teams"
            columns={columns}
            rows={list.items}
            rowKey={(t) => t.id}
            empty={
              list.error === null && (
                <EmptyState icon={<UsersRound size={32} aria-hidden />} title="No teams yet">
                  <p>
                    Teams own recordings, datasets, jobs and models, and their members hold a role
                    in each. Create the first team above.
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
