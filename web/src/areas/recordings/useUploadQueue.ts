import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import type { Api } from '../../api/index.js';
import { useApi, useSession } from '../../app/session.js';
import { isActive, UploadQueue, type QueuedUpload } from './uploadQueue.js';

/** The queue of the signed-in session; it outlives pages so uploads go on while the user browses. */
let current: { readonly token: string; readonly queue: UploadQueue } | undefined;

function warnBeforeLeaving(event: BeforeUnloadEvent): void {
  // Closing or reloading the tab stops the uploads; the browser asks the user first.
  if (current?.queue.snapshot().some(isActive) === true) event.preventDefault();
}

/** The queue of the session signed in with `token`, made on first use. */
function queueFor(token: string, api: Api, queryClient: QueryClient): UploadQueue {
  if (current?.token === token) return current.queue;
  // Another sign-in: the files of the session before are not this user's to see or finish.
  current?.queue.pauseAll();
  if (current === undefined) window.addEventListener('beforeunload', warnBeforeLeaving);
  const queue = new UploadQueue(api.recordings.uploads, {
    onDone: () => void queryClient.invalidateQueries({ queryKey: ['recordings'] }),
  });
  current = { token, queue };
  return queue;
}

/** The upload queue of this session, and its files as they change. */
export function useUploadQueue(): { queue: UploadQueue; uploads: readonly QueuedUpload[] } {
  const queue = queueFor(useSession().session?.token ?? '', useApi(), useQueryClient());
  const uploads = useSyncExternalStore(queue.subscribe, queue.snapshot);
  return { queue, uploads };
}
