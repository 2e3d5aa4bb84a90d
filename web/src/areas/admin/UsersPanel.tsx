import { useMutation, useQueryClient } from '@tanstack/react-query';
import { UserPlus, Users } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import type { User } from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Badge,
  Banner,
  Button,
  Card,
  CheckboxField,
  ConfirmButton,
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
import { emailProblem, nameProblem } from './validation.js';

const usersKey = ['users'] as const;

function CreateUserForm({ onCreated }: { readonly onCreated: (user: User) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [platformAdmin, setPlatformAdmin] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const create = useMutation({
    mutationFn: () => api.users.create({ name, email: email === '' ? null : email, platformAdmin }),
    onSuccess: (user) => {
      setName('');
      setEmail('');
      setPlatformAdmin(false);
      setSubmitted(false);
      onCreated(user);
      return queryClient.invalidateQueries({ queryKey: usersKey });
    },
  });
  const problems = { name: nameProblem(name), email: emailProblem(email) };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (problems.name === undefined && problems.email === undefined) create.mutate();
  };
  const bannerError = formLevelError(create.error, ['name', 'email']);
  return (
    <Card title="Create user">
      {bannerError !== undefined && (
        <ErrorBanner title="The user was not created" error={bannerError} />
      )}
      <form className="form" onSubmit={submit} noValidate aria-label="Create user">
        <TextField
          label="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="Lowercase letters, digits, '.', '_' or '-'"
          error={fieldMessage(problems.name, submitted, create.error, 'name')}
          autoComplete="off"
        />
        <TextField
          label="Email (optional)"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldMessage(problems.email, submitted, create.error, 'email')}
          autoComplete="off"
          grow
        />
        <CheckboxField
          label="Platform admin"
          checked={platformAdmin}
          onChange={(e) => setPlatformAdmin(e.target.checked)}
        />
        <div className="form-actions">
          <Button
            type="submit"
            variant="primary"
            busy={create.isPending}
            icon={<UserPlus size={16} />}
          >
            Create user
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** Users: create, list, disable and enable. */
export function UsersPanel() {
  const api = useApi();
  const me = useMe();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | undefined>();
  const list = usePagedList(usersKey, (query, signal) => api.users.list(query, signal));
  const toggle = useMutation({
    mutationFn: (user: User) => api.users.setDisabled(user.id, user.disabledAt === null),
    onSuccess: (user) => {
      setNotice(`User ${user.name} is ${user.disabledAt === null ? 'enabled' : 'disabled'}.`);
      return queryClient.invalidateQueries({ queryKey: usersKey });
    },
  });

  const columns: Column<User>[] = [
    { header: 'Name', cell: (u) => <strong>{u.name}</strong> },
    { header: 'Email', cell: (u) => u.email ?? <span className="muted">—</span> },
    {
      header: 'Teams',
      cell: (u) =>
        u.teams.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          u.teams.map((t) => `${t.teamName} (${t.role})`).join(', ')
        ),
    },
    {
      header: 'Role',
      cell: (u) => (u.platformAdmin ? <Badge tone="info">platform admin</Badge> : 'member'),
    },
    { header: 'Created', cell: (u) => <Time iso={u.createdAt} /> },
    {
      header: 'Status',
      cell: (u) =>
        u.disabledAt === null ? (
          <Badge tone="success">active</Badge>
        ) : (
          <Badge tone="danger">disabled</Badge>
        ),
    },
    {
      header: 'Actions',
      actions: true,
      cell: (u) =>
        u.id === me.id ? (
          <span className="muted">you</span>
        ) : u.disabledAt === null ? (
          <ConfirmButton
            size="small"
            confirmLabel={`Disable ${u.name}`}
            busy={toggle.isPending && toggle.variables.id === u.id}
            onConfirm={() => toggle.mutate(u)}
          >
            Disable
          </ConfirmButton>
        ) : (
          <Button
            size="small"
            busy={toggle.isPending && toggle.variables.id === u.id}
            onClick={() => toggle.mutate(u)}
          >
            Enable
          </Button>
        ),
    },
  ];

  return (
    <>
      {notice !== undefined && (
        <Banner tone="success" onDismiss={() => setNotice(undefined)}>
          {notice}
        </Banner>
      )}
      {toggle.error !== null && (
        <ErrorBanner title="The user was not changed" error={toggle.error} />
      )}
      <CreateUserForm
        onCreated={(user) => {
          setNotice(`User ${user.name} created. Issue a token for it under Tokens.`);
          list.reset();
        }}
      />
      <Card title="Users" flush>
        {list.error !== null && (
          <ErrorBanner
            title="The users could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="users" />
        ) : (
          <DataTable
            label="Users"
            columns={columns}
            rows={list.items}
            rowKey={(u) => u.id}
            empty={
              list.error === null && (
                <EmptyState icon={<Users size={32} aria-hidden />} title="No users yet">
                  <p>Create the first user above.</p>
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
