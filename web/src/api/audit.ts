import type { ApiClient } from './client.js';
import type { AuditEntry, AuditVerification, Page, PageQuery } from './types.js';

/** The append-only, hash-chained audit log. */
export function auditApi(client: ApiClient) {
  return {
    list: (
      query: PageQuery & { targetKind?: string; targetId?: string } = {},
      signal?: AbortSignal,
    ) => client.get<Page<AuditEntry>>('/audit', { ...query }, signal),
    verify: () => client.get<AuditVerification>('/audit/verify'),
  };
}
