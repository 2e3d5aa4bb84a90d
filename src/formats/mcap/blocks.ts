/**
 * Blocks of the streamed path for readers that fill buffers they are given. A fresh block per
 * read costs more than parsing it: on a 2 GB file the garbage collector and the page faults of
 * the new memory took over a third of an ingest. Here two buffers serve in turn, and the next
 * block is read into one while the scanner parses the other.
 */
import { CorruptRecording } from '../../platform/errors.js';
import type { CheckedReader } from '../reader.js';

/**
 * Fills `target` with the file's bytes from `offset`; resolves with the number of bytes read,
 * fewer than `target.byteLength` only at the end of the file.
 */
export type ReadInto = (offset: number, target: Uint8Array) => Promise<number>;

/** A block being read ahead: bytes [start, start + length) of the file, arriving in `buffer`. */
interface Ahead {
  readonly start: number;
  readonly length: number;
  readonly buffer: Uint8Array;
  readonly done: Promise<void>;
}

/**
 * Two reusable block buffers over one file. The bytes of a block stay valid until the next
 * `block` call (reading ahead then fills its buffer): the caller must be done with a block, and
 * with every view into it, when it asks for the next one.
 */
export class BlockBuffers {
  private current: Uint8Array = new Uint8Array(0);
  private spare: Uint8Array = new Uint8Array(0);
  /** File range the current buffer holds. */
  private start = 0;
  private end = 0;
  private ahead: Ahead | undefined;

  constructor(
    private readonly reader: CheckedReader,
    private readonly readInto: ReadInto,
    private readonly blockSize: number,
  ) {}

  /**
   * The bytes [start, start + length) of the file, or more when a read ahead of that block
   * already holds more. From now on the previous block's bytes may be overwritten.
   */
  async block(start: number, length: number): Promise<Uint8Array> {
    const ahead = this.ahead;
    this.ahead = undefined;
    let buffer = this.spare;
    let have = 0;
    if (ahead !== undefined) {
      buffer = ahead.buffer;
      if (ahead.start === start) {
        await ahead.done;
        have = ahead.length;
      } else {
        // Another block than the one read ahead: its bytes are not needed, but its buffer is
        // free only once the read has finished.
        await ahead.done.catch(() => undefined);
      }
    }
    if (have < length) {
      buffer = this.fit(buffer, length, have);
      await this.fill(buffer, have, start + have, length - have);
      have = length;
    }
    this.spare = this.current;
    this.current = buffer;
    this.start = start;
    this.end = start + have;
    return buffer.subarray(0, have);
  }

  /**
   * Starts reading [start, start + length) into the spare buffer, for the next `block` call.
   * `start` lies at or after the start of the current block: what the current block already
   * holds is copied, and only the rest is read.
   */
  readAhead(start: number, length: number): void {
    const kept = Math.max(0, this.end - start);
    const total = Math.max(length, kept);
    const buffer = this.fit(this.spare, total, 0);
    this.spare = buffer;
    buffer.set(this.current.subarray(start - this.start, start - this.start + kept), 0);
    const done = this.fill(buffer, kept, start + kept, total - kept);
    // A read ahead that nobody awaits (the consumer stopped early) must not fail the process;
    // when it is awaited, its error surfaces there.
    done.catch(() => undefined);
    this.ahead = { start, length: total, buffer, done };
  }

  /**
   * A buffer of at least `length` bytes whose first `keep` bytes are those of `buffer`: `buffer`
   * itself unless it is too small, or much larger than needed (the one huge record of a file
   * should not keep its memory for the rest of the scan).
   */
  private fit(buffer: Uint8Array, length: number, keep: number): Uint8Array {
    if (buffer.byteLength >= length && buffer.byteLength <= Math.max(this.blockSize, 2 * length)) {
      return buffer;
    }
    const fresh = new Uint8Array(Math.max(this.blockSize, length));
    fresh.set(buffer.subarray(0, keep), 0);
    return fresh;
  }

  /** Reads exactly `count` bytes at file offset `offset` into `buffer` at `at`. */
  private async fill(buffer: Uint8Array, at: number, offset: number, count: number): Promise<void> {
    if (count === 0) return;
    this.reader.assertRange(offset, count, 'MCAP records');
    const read = await this.readInto(offset, buffer.subarray(at, at + count));
    this.reader.bytesRead += read;
    if (read !== count) {
      throw new CorruptRecording(
        this.reader.file,
        offset + read,
        `MCAP records: expected ${count} bytes at byte ${offset}, the reader returned ${read}`,
      );
    }
  }
}
