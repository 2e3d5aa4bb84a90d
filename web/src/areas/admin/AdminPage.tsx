import { Navigate, Route, Routes } from 'react-router';
import { useMe } from '../../app/session.js';
import { PageHeader, Tabs } from '../../ui/index.js';
import { AuditPanel } from './AuditPanel.js';
import { TeamDetail } from './TeamDetail.js';
import { TeamsPanel } from './TeamsPanel.js';
import { TokensPanel } from './TokensPanel.js';
import { UsersPanel } from './UsersPanel.js';

/** Users, teams, tokens and the audit log. Users who are not platform admins manage their tokens. */
export function AdminPage() {
  const me = useMe();
  const tabs = me.platformAdmin
    ? [
        { to: '/admin/users', label: 'Users' },
        { to: '/admin/teams', label: 'Teams' },
        { to: '/admin/tokens', label: 'Tokens' },
        { to: '/admin/audit', label: 'Audit log' },
      ]
    : [
        { to: '/admin/tokens', label: 'Your tokens' },
        { to: '/admin/teams', label: 'Teams' },
        { to: '/admin/audit', label: 'Audit log' },
      ];
  return (
    <>
      <PageHeader
        title="Admin"
        description={
          me.platformAdmin
            ? 'Who can use drivetrain: users, the teams they work in and their roles there, API tokens, and the audit log of every change.'
            : 'Your API tokens, the teams, and the audit log where your roles allow it.'
        }
      />
      <Tabs tabs={tabs} />
      <Routes>
        <Route index element={<Navigate to={me.platformAdmin ? 'users' : 'tokens'} replace />} />
        {me.platformAdmin && <Route path="users" element={<UsersPanel />} />}
        <Route path="teams" element={<TeamsPanel />} />
        <Route path="teams/:teamId" element={<TeamDetail />} />
        <Route path="tokens" element={<TokensPanel />} />
        <Route path="audit" element={<AuditPanel />} />
        <Route path="*" element={<Navigate to="/admin" replace />} />
      </Routes>
    </>
  );
}
