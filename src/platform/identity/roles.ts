/** The roles a user can hold in a team; `platform-admin` is held platform-wide. */
export const roles = [
  'viewer',
  'engineer',
  'data-steward',
  'safety-assessor',
  'platform-admin',
] as const;
export type Role = (typeof roles)[number];

/** Roles given through team membership (platform-admin is a property of the user instead). */
export const teamRoles = ['viewer', 'engineer', 'data-steward', 'safety-assessor'] as const;
export type TeamRole = (typeof teamRoles)[number];

export function isTeamRole(value: string): value is TeamRole {
  return (teamRoles as readonly string[]).includes(value);
}

/**
 * Whether holding `held` is enough for an action that requires `required`. Every role can read
 * (viewer); a data steward can do what an engineer can; a safety assessor cannot, so that
 * whoever assesses work is independent of whoever does it; a platform admin can do everything.
 */
export function roleSatisfies(held: Role, required: Role): boolean {
  if (held === required || held === 'platform-admin' || required === 'viewer') return true;
  return required === 'engineer' && held === 'data-steward';
}
