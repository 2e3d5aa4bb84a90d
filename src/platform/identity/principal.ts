import { Forbidden } from '../errors.js';
import { roleSatisfies, type Role, type TeamRole } from './roles.js';

/** The authenticated caller of an API request or CLI command. */
export interface Principal {
  /** `user:<id>` or `operator:<name>`; written into the audit log. */
  readonly ref: string;
  readonly userId: string | null;
  readonly name: string;
  readonly platformAdmin: boolean;
  readonly memberships: readonly { readonly teamId: string; readonly role: TeamRole }[];
}

/** A principal for commands run on the host itself (`drivetrain users create …`), which act as admin. */
export function operatorPrincipal(name: string): Principal {
  return { ref: `operator:${name}`, userId: null, name, platformAdmin: true, memberships: [] };
}

/** Whether the principal holds `required` anywhere (in some team, or as platform admin). */
export function holdsRole(principal: Principal, required: Role): boolean {
  if (principal.platformAdmin) return true;
  return principal.memberships.some((m) => roleSatisfies(m.role, required));
}

/** Whether the principal holds `required` in the given team. */
export function holdsRoleInTeam(principal: Principal, teamId: string, required: Role): boolean {
  if (principal.platformAdmin) return true;
  return principal.memberships.some((m) => m.teamId === teamId && roleSatisfies(m.role, required));
}

/** Throws Forbidden unless the principal holds `required` in the team. */
export function requireRoleInTeam(principal: Principal, teamId: string, required: Role): void {
  if (!holdsRoleInTeam(principal, teamId, required)) {
    throw new Forbidden(`this needs the ${required} role in team ${teamId}`, {
      teamId,
      role: required,
    });
  }
}

/** Ids of the teams the principal belongs to (with any role). */
export function teamIdsOf(principal: Principal): string[] {
  return principal.memberships.map((m) => m.teamId);
}
