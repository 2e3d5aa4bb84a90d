import { useMutation, useQueryClient } from '@tanstack/react-query';
import { KeyRound } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { type IssuedToken, type Token, type User } from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Badge,
  Banner,
  Button,
  Card,
  ConfirmButton,
  CopyButton,
  DataTable,
  EmptyState,
  ErrorBanner,
  fieldMessage,
  formLevelError,
  Loading,
  Pager,
  SelectField,
  TextField,
  usePagedList,
  Time,
  type Column,
} from '../../ui/index.js';
import { useUsers } from './useUsers.js';
import { parseExpiry, tokenNameProblem } from './validation.js';

const tokensKey = ['tokens'] as const;

function tokenState(
  token: Token,
  now: number,
): { label: string; tone: 'success' | 'danger' | 'warning' } {
  if (token.revokedAt !== null) return { label: 'revoked', tone: 'danger' };
  if (token.expiresAt !== null && new Date(token.expiresAt).getTime() <= now)
    return { label: 'expired', tone: 'warning' };
  return { label: 'active', tone: 'success' };
}

function IssueTokenForm({
  users,
  onIssued,
}: {
  readonly users: readonly User[];
  readonly onIssued: (token: IssuedToken) => void;
}) {
  const api = useApi();
  const me = useMe();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [userId, setUserId] = useState(me.id);
  const [expires, setExpires] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const expiry = parseExpiry(expires, new Date());
  const issue = useMutation({
    mutationFn: (expiresAt: string | null) => api.tokens.issue({ name, userId, expiresAt }),
    onSuccess: (token) => {
      setName('');
      setExpires('');
      setSubmitted(false);
      onIssued(token);
      return queryClient.invalidateQueries({ queryKey: tokensKey });
    },
  });
  const problems = { name: tokenNameProblem(name), expiresAt: expiry.problem };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (problems.name === undefined && expiry.expiresAt !== undefined)
      issue.mutate(expiry.expiresAt);
  };
  const bannerError = formLevelError(issue.error, ['name', 'expiresAt']);
  return (
    <Card title="Issue token">
      {bannerError !== undefined && (
        <ErrorBanner title="The token was not issued" error={bannerError} />
      )}
      <form className="form" onSubmit={submit} noValidate aria-label="Issue token">
        <TextField
          label="Token name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="Where it is used, e.g. ci-pipeline or laptop"
          error={fieldMessage(problems.name, submitted, issue.error, 'name')}
          autoComplete="off"
          grow
        />
        {me.platformAdmin && (
          <SelectField label="For user" value={userId} onChange={(e) => setUserId(e.target.value)}>
            {users.map((u) => (
              <option key={u.id} value={u.id} disabled={u.disabledAt !== null}>
                {u.name}
                {u.id === me.id ? ' (you)' : ''}
              </option>
            ))}
          </SelectField>
        )}
        <TextField
          label="Expires (optional)"
          type="date"
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
          hint="Valid to the end of that day; empty never expires"
          error={fieldMessage(problems.expiresAt, submitted, issue.error, 'expiresAt')}
        />
        <div className="form-actions">
          <Button
            type="submit"
            variant="primary"
            busy={issue.isPending}
            icon={<KeyRound size={16} />}
          >
            Issue token
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** API tokens: issue (the secret is shown once), list, revoke. */
export function TokensPanel() {
  const api = useApi();
  const me = useMe();
  const queryClient = useQueryClient();
  const [issued, setIssued] = useState<IssuedToken | undefined>();
  const [now] = useState(() => Date.now());
  const users = useUsers(me.platformAdmin);
  const userList = me.platformAdmin ? (users.data?.items ?? [me]) : [me];
  const names = new Map(userList.map((u) => [u.id, u.name]));
  const list = usePagedList([...tokensKey, me.platformAdmin ? 'all' : me.id], (query, signal) =>
    api.tokens.list(query, signal),
  );
  const revoke = useMutation({
    mutationFn: (id: string) => api.tokens.revoke(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensKey }),
  });

  const columns: Column<Token>[] = [
    { header: 'Name', cell: (t) => <strong>{t.name}</strong> },
    {
      header: 'User',
      cell: (t) => names.get(t.userId) ?? <span className="mono">{t.userId}</span>,
    },
    { header: 'Created', cell: (t) => <Time iso={t.createdAt} /> },
    {
      header: 'Last used',
      cell: (t) => <Time iso={t.lastUsedAt} empty="never" />,
    },
    {
      header: 'Expires',
      cell: (t) => <Time iso={t.expiresAt} empty="never" />,
    },
    {
      header: 'Status',
      cell: (t) => {
        const state = tokenState(t, now);
        return <Badge tone={state.tone}>{state.label}</Badge>;
      },
    },
    {
      header: 'Actions',
      actions: true,
      cell: (t) =>
        t.revokedAt === null && (
          <ConfirmButton
            size="small"
            confirmLabel={`Revoke ${t.name}`}
            busy={revoke.isPending && revoke.variables === t.id}
            onConfirm={() => revoke.mutate(t.id)}
          >
            Revoke
          </ConfirmButton>
        ),
    },
  ];
  return (
    <>
      {issued !== undefined && (
        <Banner tone="success" onDismiss={() => setIssued(undefined)}>
          <div className="banner-title">Token {issued.name} issued</div>
          <div>Copy its secret now: it is shown only this once, and only its hash is kept.</div>
          <div className="secret">
            <code aria-label="Token secret">{issued.secret}</code>
            <CopyButton value={issued.secret} />
          </div>
        </Banner>
      )}
      {revoke.error !== null && (
        <ErrorBanner title="The token was not revoked" error={revoke.error} />
      )}
      <IssueTokenForm users={userList} onIssued={setIssued} />
      <Card title={me.platformAdmin ? 'Tokens' : 'Your tokens'} flush>
        {list.error !== null && (
          <ErrorBanner
            title="The tokens could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="tokens" />
        ) : (
          <DataTable
            label="Tokens"
            columns={columns}
            rows={list.items}
            rowKey={(t) => t.id}
            empty={
              list.error === null && (
                <EmptyState icon={<KeyRound size={32} aria-hidden />} title="No tokens">
                  <p>Tokens let scripts, the CLI and CI call the API as a user.</p>
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
