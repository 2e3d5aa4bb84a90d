import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, UserPlus, UsersRound } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { teamRoles, type Team, type TeamRole } from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Button,
  Card,
  ConfirmButton,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  SelectField,
  type Column,
} from '../../ui/index.js';
import { userListLimit, useUsers } from './useUsers.js';
import { teamsKey } from './TeamsPanel.js';

const roleHelp: Record<TeamRole, string> = {
  viewer: 'reads the team’s work',
  engineer: 'also creates and changes it',
  'data-steward': 'an engineer who also governs the team’s data products',
  'safety-assessor': 'reviews and approves; independent of the engineers',
};

function AddMemberForm({ team }: { readonly team: Team }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<TeamRole>('engineer');
  const [submitted, setSubmitted] = useState(false);
  const users = useUsers();
  const add = useMutation({
    mutationFn: () => api.teams.setMember(team.id, userId, role),
    onSuccess: (updated) => {
      setUserId('');
      setSubmitted(false);
      queryClient.setQueryData([...teamsKey, team.id], updated);
      return queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const memberIds = new Set(team.members.map((m) => m.userId));
  const candidates = (users.data?.items ?? []).filter(
    (u) => !memberIds.has(u.id) && u.disabledAt === null,
  );
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (userId !== '') add.mutate();
  };
  return (
    <Card title="Add member">
      {users.error !== null && (
        <ErrorBanner title="The users could not be loaded" error={users.error} />
      )}
      {add.error !== null && <ErrorBanner title="The member was not added" error={add.error} />}
      <form className="form" onSubmit={submit} noValidate aria-label="Add member">
        <SelectField
          label="User"
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          error={submitted && userId === '' ? 'Choose a user.' : undefined}
          hint={
            users.data?.truncated === true
              ? `Showing the first ${userListLimit} users.`
              : candidates.length === 0 && users.isSuccess
                ? 'Every active user is already a member.'
                : undefined
          }
        >
          <option value="">{users.isPending ? 'Loading users…' : 'Choose a user'}</option>
          {candidates.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
              {u.email === null ? '' : ` (${u.email})`}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value as TeamRole)}
          hint={roleHelp[role]}
        >
          {teamRoles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </SelectField>
        <div className="form-actions">
          <Button
            type="submit"
            variant="primary"
            busy={add.isPending}
            icon={<UserPlus size={16} />}
          >
            Add member
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** One team: its members and their roles. */
export function TeamDetail() {
  const { teamId = '' } = useParams();
  const api = useApi();
  const me = useMe();
  const queryClient = useQueryClient();
  const team = useQuery({ queryKey: [...teamsKey, teamId], queryFn: () => api.teams.get(teamId) });
  const onChanged = (updated: Team): Promise<void> => {
    queryClient.setQueryData([...teamsKey, teamId], updated);
    return queryClient.invalidateQueries({ queryKey: ['users'] });
  };
  const setRole = useMutation({
    mutationFn: (change: { userId: string; role: TeamRole }) =>
      api.teams.setMember(teamId, change.userId, change.role),
    onSuccess: onChanged,
  });
  const remove = useMutation({
    mutationFn: (userId: string) => api.teams.removeMember(teamId, userId),
    onSuccess: onChanged,
  });

  const back = (
    <Link to=".." relative="path" className="button small" style={{ marginBottom: 16 }}>
      <ArrowLeft size={14} aria-hidden /> All teams
    </Link>
  );
  if (team.isPending)
    return (
      <>
        {back}
        <Loading what="the team" />
      </>
    );
  if (team.error !== null)
    return (
      <>
        {back}
        <ErrorBanner title="The team could not be loaded" error={team.error} />
      </>
    );

  type Member = Team['members'][number];
  const columns: Column<Member>[] = [
    { header: 'User', cell: (m) => <strong>{m.userName}</strong> },
    {
      header: 'Role',
      cell: (m) =>
        me.platformAdmin ? (
          <select
            aria-label={`Role of ${m.userName}`}
            value={m.role}
            disabled={setRole.isPending}
            onChange={(e) => setRole.mutate({ userId: m.userId, role: e.target.value as TeamRole })}
          >
            {teamRoles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        ) : (
          m.role
        ),
    },
    {
      header: 'Actions',
      actions: true,
      cell: (m) =>
        me.platformAdmin && (
          <ConfirmButton
            size="small"
            confirmLabel={`Remove ${m.userName}`}
            busy={remove.isPending && remove.variables === m.userId}
            onConfirm={() => remove.mutate(m.userId)}
          >
            Remove
          </ConfirmButton>
        ),
    },
  ];
  return (
    <>
      {back}
      <Card title={`Team ${team.data.name}`}>
        <dl className="detail-list">
          <dt>Description</dt>
          <dd>{team.data.description || <span className="muted">none</span>}</dd>
          <dt>Id</dt>
          <dd className="mono">{team.data.id}</dd>
        </dl>
      </Card>
      {setRole.error !== null && (
        <ErrorBanner title="The role was not changed" error={setRole.error} />
      )}
      {remove.error !== null && (
        <ErrorBanner title="The member was not removed" error={remove.error} />
      )}
      {me.platformAdmin && <AddMemberForm team={team.data} />}
      <Card title="Members" flush>
        <DataTable
          label="Members"
          columns={columns}
          rows={team.data.members}
          rowKey={(m) => m.userId}
          empty={
            <EmptyState icon={<UsersRound size={32} aria-hidden />} title="No members yet">
              <p>Members see the team’s work and act on it according to their role.</p>
            </EmptyState>
          }
        />
      </Card>
    </>
  );
}
