import fc from 'fast-check';
import { expect, it } from 'vitest';
import { CorruptRecording, DrivetrainError } from '../../platform/errors.js';
import { fileBytes } from '../../../test/support/files.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { bytesReader } from '../reader.js';
import { openMdf4Source } from './source.js';

type Outcome = { ok: true; frames: string[] } | { ok: false; error: DrivetrainError };

/** Reads everything; returns the messages or the (checked) error. Any other throw fails the test. */
async function readAll(bytes: Uint8Array): Promise<Outcome> {
  try {
    const source = await openMdf4Source(bytesReader(bytes), { file: 'fuzzed.mf4' });
    const summary = await source.summary();
    const frames: string[] = [];
    for await (const message of source.messages())
      frames.push(
        `${message.channelId}:${message.logTime}:${Buffer.from(message.data).toString('hex')}`,
      );
    expect(frames.length).toBe(summary.messageCount);
    return { ok: true, frames };
  } catch (error) {
    if (
      !(error instanceof DrivetrainError) ||
      !['corrupt_recording', 'unsupported'].includes(error.code)
    )
      throw error;
    if (error instanceof CorruptRecording) {
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(bytes.byteLength);
      expect(error.message).toContain('fuzzed.mf4');
    }
    return { ok: false, error };
  }
}

/** Offsets of every `##XX` block header in the file (a superset: data may contain the text). */
function blockOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 64; i + 4 <= bytes.byteLength; i += 8) {
    if (
      bytes[i] === 0x23 &&
      bytes[i + 1] === 0x23 &&
      bytes[i + 2]! >= 0x41 &&
      bytes[i + 3]! >= 0x41
    )
      out.push(i);
  }
  return out;
}

const files = [
  {
    name: 'UDS log (unfinalized)',
    path: ['css-electronics-api-examples', 'LOG', '17BD1DB7', '00000006', '00000170.MF4'],
    runs: 40,
  },
  {
    name: 'CANmod.gps log (finalized)',
    path: ['css-electronics-api-examples', 'LOG', '3BA199E2', '00000164', '00000005-60FEB5A8.MF4'],
    runs: 25,
  },
  {
    name: 'GNSS log (73 groups)',
    path: ['css-electronics-api-examples', 'LOG', '2F6913DB', '00001089', '00000001-63BEF5CD.MF4'],
    runs: 25,
  },
  {
    name: 'ASAP2 demo (DL lists)',
    path: ['danielhrisca-asammdf', 'ASAP2_Demo_V171.mf4'],
    runs: 5,
  },
];

describeShared('MDF 4 reader on mutated real recordings', () => {
  for (const file of files) {
    it(`${file.name}: truncation anywhere gives the same frames or a clean error`, async () => {
      const original = await fileBytes(sharedPath('recordings', ...file.path));
      const full = await readAll(original);
      if (!full.ok) throw full.error;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: original.byteLength - 1 }), async (length) => {
          const outcome = await readAll(original.subarray(0, length));
          if (outcome.ok)
            expect(full.frames.slice(0, outcome.frames.length)).toEqual(outcome.frames);
        }),
        { numRuns: file.runs },
      );
    }, 120_000);

    it(`${file.name}: flipped bits and absurd length fields never crash or hang`, async () => {
      const original = await fileBytes(sharedPath('recordings', ...file.path));
      const headers = blockOffsets(original);
      const absurd = [
        0n,
        1n,
        23n,
        25n,
        2n ** 31n,
        2n ** 40n,
        2n ** 53n + 1n,
        2n ** 63n - 1n,
        2n ** 64n - 1n,
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              at: fc.integer({ min: 0, max: original.byteLength - 1 }),
              bit: fc.integer({ min: 0, max: 7 }),
            }),
            { minLength: 1, maxLength: 4 },
          ),
          fc.constantFrom(...headers),
          fc.constantFrom(8, 16, 24, 32),
          fc.constantFrom(...absurd),
          async (flips, header, field, value) => {
            const flipped = new Uint8Array(original);
            for (const { at, bit } of flips) flipped[at]! ^= 1 << bit;
            await readAll(flipped);
            const lengths = new Uint8Array(original);
            if (header + field + 8 <= lengths.byteLength)
              new DataView(lengths.buffer).setBigUint64(header + field, value, true);
            await readAll(lengths);
          },
        ),
        { numRuns: file.runs },
      );
    }, 120_000);
  }

  it('UDS log: truncation at record boundaries keeps a prefix of the frames, inside a record it is rejected', async () => {
    const original = await fileBytes(
      sharedPath(
        'recordings',
        'css-electronics-api-examples',
        'LOG',
        '17BD1DB7',
        '00000006',
        '00000170.MF4',
      ),
    );
    const full = await readAll(original);
    if (!full.ok) throw full.error;
    // Each frame is a 23-byte CAN_DataFrame record and a 13-byte VLSD record, from byte 7480.
    for (let frame = 0; frame <= 2010; frame += 67) {
      const boundary = 7480 + frame * 36;
      const whole = await readAll(original.subarray(0, boundary));
      expect(whole.ok && whole.frames).toEqual(full.frames.slice(0, frame));
      for (const inside of [1, 22, 23, 30]) {
        if (boundary + inside >= original.byteLength) continue;
        const cut = await readAll(original.subarray(0, boundary + inside));
        expect(cut.ok).toBe(false);
        expect(!cut.ok && cut.error.code).toBe('corrupt_recording');
      }
    }
  });
});
