import { randomFillSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Internal, InvalidInput } from '../errors.js';
import { openLocalObjectStore, type LocalObjectStore } from './local.js';

describe('local object handle: reading into a given buffer', () => {
  let dir: string;
  let store: LocalObjectStore;
  const content = randomFillSync(new Uint8Array(100_000));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drivetrain-local-'));
    store = await openLocalObjectStore(dir);
    await store.put('a/blob', content);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fills the buffer with the bytes at the offset, the same as read', async () => {
    const handle = await store.open('a/blob');
    const target = new Uint8Array(30_000).fill(7);
    expect(await handle.readInto(12_345, target.subarray(100, 20_100))).toBe(20_000);
    expect(target.subarray(100, 20_100)).toEqual(content.subarray(12_345, 32_345));
    expect(target.subarray(100, 20_100)).toEqual(await handle.read(12_345, 20_000));
    expect(target[99]).toBe(7);
    expect(target[20_100]).toBe(7);
    await handle.close();
  });

  it('reads fewer bytes only at the end of the object, and none at its end', async () => {
    const handle = await store.open('a/blob');
    const target = new Uint8Array(1_000);
    expect(await handle.readInto(99_500, target)).toBe(500);
    expect(target.subarray(0, 500)).toEqual(content.subarray(99_500));
    expect(await handle.readInto(100_000, target)).toBe(0);
    await expect(handle.readInto(100_001, target)).rejects.toBeInstanceOf(InvalidInput);
    await handle.close();
    await expect(handle.readInto(0, target)).rejects.toBeInstanceOf(Internal);
  });
});
