import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { HashRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError } from '../api/index.js';
import { areas } from '../areas/index.js';
import { Loading } from '../ui/index.js';
import { SessionProvider, useSession } from './session.js';
import { Shell } from './Shell.js';
import { SignIn } from './SignIn.js';

function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A refused or missing thing stays refused on retry; only unreachable servers are retried.
        retry: (failures, error) =>
          failures < 2 &&
          error instanceof ApiError &&
          (error.code === 'network' || error.status >= 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

function Routed() {
  const { session, restoring } = useSession();
  if (restoring) return <Loading what="your session" />;
  if (session === null) return <SignIn />;
  return (
    <Shell>
      <Routes>
        <Route index element={<Navigate to={`/${areas[0]?.path ?? 'admin'}`} replace />} />
        {areas.map((area) => (
          <Route key={area.path} path={`${area.path}/*`} element={area.element} />
        ))}
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Shell>
  );
}

/** The whole UI: data cache, session, hash routes (the server serves only `/` and `/assets`). */
export function App() {
  const [queryClient] = useState(newQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <HashRouter>
          <Routed />
        </HashRouter>
      </SessionProvider>
    </QueryClientProvider>
  );
}
