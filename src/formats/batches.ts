/** Batched reading over any `RecordingSource`. */
import type { MessageQuery, RecordedMessage, RecordingSource } from './source.js';

/**
 * The messages of `source` in arrays: the reader's own batches when it has them, otherwise
 * its messages grouped `size` at a time.
 */
export async function* messageBatches(
  source: RecordingSource,
  query: MessageQuery = {},
  size = 256,
): AsyncGenerator<readonly RecordedMessage[]> {
  if (source.messageBatches !== undefined) {
    yield* source.messageBatches(query);
    return;
  }
  let batch: RecordedMessage[] = [];
  for await (const message of source.messages(query)) {
    batch.push(message);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The items of `batches` one by one. A plain iterator over each array instead of an async
 * generator: per item it costs one already-resolved promise, a fraction of a generator step.
 */
export function flattenBatches<T>(batches: AsyncIterable<readonly T[]>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const source = batches[Symbol.asyncIterator]();
      let batch: readonly T[] = [];
      let i = 0;
      const refill = async (): Promise<IteratorResult<T, undefined>> => {
        for (;;) {
          const next = await source.next();
          if (next.done === true) return { done: true, value: undefined };
          batch = next.value;
          i = 0;
          if (batch.length > 0) return { done: false, value: batch[i++]! };
        }
      };
      return {
        next: () =>
          i < batch.length ? Promise.resolve({ done: false, value: batch[i++]! }) : refill(),
        return: async () => {
          await source.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
