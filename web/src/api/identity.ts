import { fillPath, type ApiClient } from './client.js';
import type {
  IssuedToken,
  NewTeam,
  NewToken,
  NewUser,
  Page,
  PageQuery,
  Team,
  TeamRole,
  TeamSummary,
  Token,
  User,
} from './types.js';

/** Users, teams, memberships and API tokens. */
export function identityApi(client: ApiClient) {
  return {
    /** The signed-in user; with `token`, the user that token belongs to. */
    me: (token?: string) =>
      client.request<User>('GET', '/me', token === undefined ? {} : { token }),
    users: {
      list: (query: PageQuery = {}, signal?: AbortSignal) =>
        client.get<Page<User>>('/users', { ...query }, signal),
      get: (id: string) => client.get<User>(fillPath('/users/:id', { id })),
      create: (user: NewUser) => client.post<User>('/users', user),
      setDisabled: (id: string, disabled: boolean) =>
        client.patch<User>(fillPath('/users/:id', { id }), { disabled }),
    },
    teams: {
      list: (query: PageQuery = {}, signal?: AbortSignal) =>
        client.get<Page<TeamSummary>>('/teams', { ...query }, signal),
      get: (id: string) => client.get<Team>(fillPath('/teams/:id', { id })),
      create: (team: NewTeam) => client.post<Team>('/teams', team),
      /** Adds a member, or changes the role of one. */
      setMember: (id: string, userId: string, role: TeamRole) =>
        client.put<Team>(fillPath('/teams/:id/members/:userId', { id, userId }), { role }),
      removeMember: (id: string, userId: string) =>
        client.delete<Team>(fillPath('/teams/:id/members/:userId', { id, userId })),
    },
    tokens: {
      list: (query: PageQuery & { userId?: string } = {}, signal?: AbortSignal) =>
        client.get<Page<Token>>('/tokens', { ...query }, signal),
      issue: (token: NewToken) => client.post<IssuedToken>('/tokens', token),
      revoke: (id: string) => client.delete<Token>(fillPath('/tokens/:id', { id })),
    },
  };
}
