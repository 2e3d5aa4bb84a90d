import { operatorPrincipal, type IssuedToken } from '../platform/index.js';
import type { App } from './app.js';

/**
 * On the first start of an empty platform, creates the `admin` user (platform admin) and an API
 * token for it. Returns the token (its secret is shown once), or undefined when users exist.
 */
export async function bootstrapAdmin(app: App): Promise<IssuedToken | undefined> {
  if (!(await app.identity.hasNoUsers())) return undefined;
  const system = operatorPrincipal('bootstrap');
  const admin = await app.identity.createUser(system, { name: 'admin', platformAdmin: true });
  return app.identity.createToken(system, { userId: admin.id, name: 'first start' });
}
