/**
 * Byte access shared by every reader: a bounds-checked, byte-counting wrapper around a
 * `RandomAccessReader`, and an in-memory reader. Every length a file declares is checked against
 * the file size here before anything is allocated, so a corrupt length field becomes a
 * `CorruptRecording` instead of a huge allocation or a read past the end.
 */
import { CorruptRecording, DrivetrainError } from '../platform/errors.js';
import type { RandomAccessReader } from './source.js';

/** A `RandomAccessReader` over bytes already in memory (uploads, tests, embedded files). */
export function bytesReader(bytes: Uint8Array): RandomAccessReader {
  return {
    size: () => Promise.resolve(bytes.byteLength),
    read: (offset, length) =>
      Promise.resolve(bytes.subarray(offset, Math.min(bytes.byteLength, offset + length))),
  };
}

/** Reads one file for a format reader: every read is checked against the file size and counted. */
export class CheckedReader {
  bytesRead = 0;

  private constructor(
    readonly file: string,
    private readonly reader: RandomAccessReader,
    readonly size: number,
  ) {}

  /** Opens `reader`, asking it for the file size once. */
  static async open(file: string, reader: RandomAccessReader): Promise<CheckedReader> {
    const size = await reader.size();
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new CorruptRecording(file, 0, `reader reported an invalid file size ${size}`);
    }
    return new CheckedReader(file, reader, size);
  }

  /**
   * Reads exactly `length` bytes at `offset`. `what` names the structure being read, for the
   * error raised when the file is too short to hold it.
   */
  async read(offset: number | bigint, length: number | bigint, what: string): Promise<Uint8Array> {
    const start = Number(offset);
    const count = Number(length);
    this.assertRange(start, count, what);
    if (count === 0) return new Uint8Array(0);
    const bytes = await this.reader.read(start, count);
    this.bytesRead += bytes.byteLength;
    if (bytes.byteLength !== count) {
      throw new CorruptRecording(
        this.file,
        start + bytes.byteLength,
        `${what}: expected ${count} bytes at byte ${start}, the reader returned ${bytes.byteLength}`,
      );
    }
    return bytes;
  }

  /** Throws `CorruptRecording` unless [offset, offset + length) lies inside the file. */
  assertRange(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.size) {
      throw new CorruptRecording(
        this.file,
        clampOffset(offset, this.size),
        `${what} is said to start at byte ${offset}, outside the ${this.size}-byte file`,
      );
    }
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > this.size) {
      throw new CorruptRecording(
        this.file,
        offset,
        `${what} is said to be ${length} bytes long, but only ${this.size - offset} bytes remain in the file`,
      );
    }
  }
}

/** An offset for an error report, kept inside [0, size] even when a field held nonsense. */
export function clampOffset(offset: number, size: number): number {
  if (!Number.isFinite(offset) || offset < 0) return 0;
  return Math.min(Math.trunc(offset), size);
}

/**
 * Converts whatever a parsing library threw into drivetrain's taxonomy: drivetrain errors pass
 * through, anything else becomes `CorruptRecording` at `offset`, prefixed with `context`.
 */
export function asReaderError(
  error: unknown,
  file: string,
  offset: number,
  context: string,
): DrivetrainError {
  if (error instanceof DrivetrainError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CorruptRecording(file, offset, `${context}: ${message}`, { cause: error });
}
