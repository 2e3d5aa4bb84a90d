import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import type { ApiClient } from './client.js';
import { ApiError } from './problem.js';

export type { EventSourceMessage };

/** The most text one event may hold; a larger one ends the stream instead of filling memory. */
export const maxEventChars = 4 * 1024 * 1024;

/**
 * Follows a server-sent event stream with the session's token. The browser's EventSource cannot
 * send an Authorization header, so the stream is read with fetch. Resolves when the server ends
 * the stream; rejects with an ApiError when it cannot be opened.
 */
export async function followEvents(
  client: ApiClient,
  path: string,
  onMessage: (message: EventSourceMessage) => void,
  signal?: AbortSignal,
): Promise<void> {
  const response = await client.send('GET', path, { accept: 'text/event-stream', signal });
  if (response.body === null) return;
  const messages = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ maxBufferSize: maxEventChars }));
  const reader = messages.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onMessage(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** Parses an event's JSON data, naming the event when it is not JSON. */
export function eventData<T>(message: EventSourceMessage): T {
  try {
    return JSON.parse(message.data) as T;
  } catch {
    throw new ApiError(
      200,
      'internal',
      `the server sent a '${message.event ?? 'message'}' event whose data is not JSON`,
      undefined,
      undefined,
    );
  }
}
