import { CarFront, CircleUser, LogOut } from 'lucide-react';
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { areaGroups, areas } from '../areas/index.js';
import { Badge, Button } from '../ui/index.js';
import { useMe, useSession } from './session.js';

/** The frame of every page: the navigation on the left, the signed-in user on top. */
export function Shell({ children }: { readonly children: ReactNode }) {
  const me = useMe();
  const { signOut } = useSession();
  return (
    <div className="shell">
      <div className="shell-brand">
        <CarFront size={22} aria-hidden /> drivetrain
      </div>
      <nav className="shell-nav" aria-label="Areas">
        {areaGroups.map((group) => (
          <div className="nav-group" key={group}>
            <div className="nav-group-title">{group}</div>
            {areas
              .filter((area) => area.group === group)
              .map((area) => (
                <NavLink
                  key={area.path}
                  to={`/${area.path}`}
                  className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}
                >
                  <area.icon size={17} aria-hidden />
                  {area.label}
                </NavLink>
              ))}
          </div>
        ))}
      </nav>
      <header className="shell-header">
        <div className="shell-user" aria-label="Signed in as">
          <CircleUser size={18} aria-hidden />
          <span>
            Signed in as <strong data-testid="signed-in-user">{me.name}</strong>
          </span>
          {me.platformAdmin && <Badge tone="info">platform admin</Badge>}
        </div>
        <Button size="small" icon={<LogOut size={14} />} onClick={signOut}>
          Sign out
        </Button>
      </header>
      <main className="shell-main">{children}</main>
    </div>
  );
}
