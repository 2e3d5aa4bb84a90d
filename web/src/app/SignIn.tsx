import { CarFront, LogIn } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { messageOf } from '../api/index.js';
import { Banner, Button, ErrorBanner, TextField } from '../ui/index.js';
import { useSession } from './session.js';

/** Sign-in with an API token, checked with `GET /me` before it is kept. */
export function SignIn() {
  const { signIn, endedBecause } = useSession();
  const [token, setToken] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const missing = token.trim() === '' ? 'Paste an API token.' : undefined;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (missing !== undefined) return;
    setBusy(true);
    setError(null);
    signIn(token.trim()).then(
      () => setBusy(false),
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <div className="signin">
      <main className="signin-card">
        <div className="signin-brand">
          <CarFront size={26} aria-hidden /> drivetrain
        </div>
        <p>
          Sign in with an API token. The first start of the server prints one for the admin user.
        </p>
        {endedBecause !== undefined && error === null && (
          <Banner tone="warning">{endedBecause}</Banner>
        )}
        {error !== null && <ErrorBanner title="Sign-in failed" error={error} />}
        <form onSubmit={submit} noValidate aria-label="Sign in">
          <TextField
            label="API token"
            type="password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            error={submitted ? missing : undefined}
            placeholder="dt_…"
            autoComplete="off"
            autoFocus
            spellCheck={false}
          />
          <Button type="submit" variant="primary" busy={busy} icon={<LogIn size={16} />}>
            {busy ? 'Checking token…' : 'Sign in'}
          </Button>
        </form>
        <p className="muted" style={{ marginTop: 16, marginBottom: 0, fontSize: 12.5 }}>
          The token is kept in this tab only, until you sign out or close it.{' '}
          {error !== null && messageOf(error).includes('reach') ? 'Is the server running?' : ''}
        </p>
      </main>
    </div>
  );
}
