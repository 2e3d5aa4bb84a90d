import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { planFleet, type FleetOptions } from './fleet.js';
import {
  generateRecording,
  type ByteSink,
  type GenerateOptions,
  type GeneratedRecording,
} from './generator.js';
import type { RecordingPlan } from './fleet.js';

/** A generated recording as written to disk. */
export interface WrittenRecording extends GeneratedRecording {
  readonly path: string;
  /** sha256 of the file, hex. */
  readonly sha256: string;
}

const flushBytes = 8 * 1024 * 1024;

/**
 * Generates one recording into `path` atomically: bytes stream into a temporary file beside it
 * (buffered, hashed as they go), which is synced and renamed over `path` only once complete,
 * then the directory is synced. On any failure the temporary file is removed and `path` is
 * untouched.
 */
export async function writeRecordingFile(
  path: string,
  plan: RecordingPlan,
  options: GenerateOptions = {},
): Promise<WrittenRecording> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx');
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(flushBytes);
  let buffered = 0;
  const flush = async (): Promise<void> => {
    if (buffered === 0) return;
    await handle.write(buffer, 0, buffered);
    buffered = 0;
  };
  const sink: ByteSink = {
    async write(bytes) {
      hash.update(bytes);
      const big = bytes.byteLength > flushBytes / 2;
      if (big || buffered + bytes.byteLength > flushBytes) await flush();
      if (big) {
        // a whole chunk goes out as it is, after everything buffered before it
        await handle.write(bytes);
        return;
      }
      buffer.set(bytes, buffered);
      buffered += bytes.byteLength;
    },
  };
  try {
    const recording = await generateRecording(plan, sink, options);
    await flush();
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
    // the rename is only durable once the directory entry is
    const directory = await open(dirname(path), 'r');
    await directory.sync().finally(() => directory.close());
    return { ...recording, path, sha256: hash.digest('hex') };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Generates a whole fleet into `directory` (created if missing), one file per vehicle named by
 * its plan, calling `onRecording` after each file.
 */
export async function writeFleet(
  directory: string,
  fleet: FleetOptions,
  options: GenerateOptions = {},
  onRecording?: (recording: WrittenRecording) => void,
): Promise<WrittenRecording[]> {
  const plans = planFleet(fleet);
  await mkdir(directory, { recursive: true });
  const written: WrittenRecording[] = [];
  for (const plan of plans) {
    const recording = await writeRecordingFile(join(directory, plan.fileName), plan, options);
    written.push(recording);
    onRecording?.(recording);
  }
  return written;
}
