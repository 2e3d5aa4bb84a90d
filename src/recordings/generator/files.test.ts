import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInput } from '../../platform/index.js';
import { writeFleet, writeRecordingFile } from './files.js';
import { planFleet } from './fleet.js';

const small = {
  cameraWidth: 48,
  cameraHeight: 32,
  cameraPoolSize: 1,
  lidarBeams: 4,
  lidarColumns: 64,
};

describe('writing recordings to files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drivetrain-generator-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one file per vehicle with the sha256 it reports, and no temporary files', async () => {
    const seen: string[] = [];
    const written = await writeFleet(
      join(dir, 'fleet'),
      { seed: 3, vehicles: 2, minutes: 1 / 60 },
      small,
      (r) => seen.push(r.plan.vehicleId),
    );
    expect(seen).toEqual(['veh-001', 'veh-002']);
    expect((await readdir(join(dir, 'fleet'))).sort()).toEqual(
      written.map((w) => w.plan.fileName).sort(),
    );
    for (const recording of written) {
      const bytes = await readFile(recording.path);
      expect(bytes.byteLength).toBe(recording.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(recording.sha256);
    }
  });

  it('keeps record order when whole chunks bypass the write buffer', async () => {
    const plan = planFleet({ seed: 4, vehicles: 1, minutes: 1.5 / 60 })[0]!;
    // 64×2048 points at 10 Hz make chunks of more than 4 MiB, written around the buffer
    const recording = await writeRecordingFile(join(dir, plan.fileName), plan, {
      ...small,
      lidarBeams: 64,
      lidarColumns: 2048,
      chunkSize: 6 * 1024 * 1024,
      compression: 'none',
    });
    const bytes = new Uint8Array(await readFile(recording.path));
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: () => Promise.resolve(BigInt(bytes.byteLength)),
        read: (offset, length) =>
          Promise.resolve(bytes.subarray(Number(offset), Number(offset + length))),
      },
      decompressHandlers: await loadDecompressHandlers(),
    });
    expect(reader.chunkIndexes.some((c) => c.chunkLength > 4 * 1024 * 1024)).toBe(true);
    let count = 0;
    for await (const message of reader.readMessages()) count += message.data.byteLength > 0 ? 1 : 0;
    expect(count).toBe(recording.messageCount);
  });

  it('leaves an existing file untouched and no temporary file when generation fails', async () => {
    const plan = planFleet({ seed: 3, vehicles: 1, minutes: 1 / 60 })[0]!;
    const path = join(dir, plan.fileName);
    await writeFile(path, 'previous content');
    await expect(
      writeRecordingFile(path, plan, { ...small, lidarColumns: 1 }),
    ).rejects.toBeInstanceOf(InvalidInput);
    expect(await readFile(path, 'utf8')).toBe('previous content');
    expect(await readdir(dir)).toEqual([plan.fileName]);
  });
});
