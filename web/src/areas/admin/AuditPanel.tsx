import { useMutation } from '@tanstack/react-query';
import { ScrollText, ShieldCheck } from 'lucide-react';
import type { AuditEntry, AuditVerification } from '../../api/index.js';
import { useApi, useMe } from '../../app/session.js';
import {
  Banner,
  Button,
  Card,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  Pager,
  shorten,
  usePagedList,
  Time,
  type Column,
} from '../../ui/index.js';
import { useUsers } from './useUsers.js';

function VerificationResult({ result }: { readonly result: AuditVerification }) {
  if (result.ok) {
    return (
      <Banner tone="success">
        <div className="banner-title">The audit chain is intact</div>
        <div>
          All {result.entries} entries match their hashes
          {result.head === undefined ? (
            '.'
          ) : (
            <>
              ; the head hash is <code title={result.head}>{shorten(result.head, 16)}</code>.
            </>
          )}
        </div>
      </Banner>
    );
  }
  return (
    <div className="banner error" role="alert">
      <div className="banner-body">
        <div className="banner-title">The audit chain is broken</div>
        {result.firstBad === undefined ? (
          <div>{result.entries} entries were checked and do not form one chain.</div>
        ) : (
          <div>
            Entry {result.firstBad.seq} (<code>{result.firstBad.id}</code>) does not match:{' '}
            {result.firstBad.reason}. Entries from there on cannot be trusted.
          </div>
        )}
      </div>
    </div>
  );
}

/** The audit log, newest first, and a check of its hash chain. */
export function AuditPanel() {
  const api = useApi();
  const me = useMe();
  // Actors are principal refs (`user:<id>`, `operator:<name>`); admins see user names instead.
  const users = useUsers(me.platformAdmin);
  const names = new Map((users.data?.items ?? []).map((u) => [`user:${u.id}`, u.name]));
  const list = usePagedList(['audit'], (query, signal) => api.audit.list(query, signal));
  const verify = useMutation({ mutationFn: () => api.audit.verify() });
  const columns: Column<AuditEntry>[] = [
    { header: 'Seq', cell: (e) => e.seq },
    { header: 'Time', cell: (e) => <Time iso={e.at} /> },
    {
      header: 'Actor',
      cell: (e) => {
        const name = names.get(e.actor);
        return name === undefined ? (
          <span className="mono">{e.actor}</span>
        ) : (
          <span title={e.actor}>{name}</span>
        );
      },
    },
    { header: 'Action', cell: (e) => <strong>{e.action}</strong> },
    {
      header: 'Target',
      cell: (e) => (
        <>
          {e.targetKind} <span className="mono muted">{e.targetId}</span>
        </>
      ),
    },
    { header: 'Hash', cell: (e) => <code title={e.hash}>{shorten(e.hash)}</code> },
  ];
  return (
    <>
      {verify.data !== undefined && <VerificationResult result={verify.data} />}
      {verify.error !== null && (
        <ErrorBanner title="The chain could not be verified" error={verify.error} />
      )}
      <Card
        title="Audit log"
        flush
        actions={
          <Button
            icon={<ShieldCheck size={16} />}
            busy={verify.isPending}
            onClick={() => verify.mutate()}
          >
            Verify chain
          </Button>
        }
      >
        {list.error !== null && (
          <ErrorBanner
            title="The audit log could not be loaded"
            error={list.error}
            onRetry={list.refetch}
          />
        )}
        {list.loading ? (
          <Loading what="the audit log" />
        ) : (
          <DataTable
            label="Audit entries"
            columns={columns}
            rows={list.items}
            rowKey={(e) => e.id}
            empty={
              list.error === null && (
                <EmptyState icon={<ScrollText size={32} aria-hidden />} title="No audit entries">
                  <p>Every governance action (users, teams, tokens, approvals) is recorded here.</p>
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
