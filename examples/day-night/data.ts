import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import jpeg from 'jpeg-js';

/**
 * Camera frames listed by a dataset manifest, decoded and scaled down to the model's input:
 * `size` × `size` pixels, 3 channels (CHW), values in [0, 1].
 */

export const classes = ['day', 'night'] as const;

/** A frame to learn from: an image next to the manifest and its label. */
export interface ManifestEntry {
  readonly image: string;
  readonly label: string;
}

export interface Sample {
  readonly input: Float32Array;
  readonly label: number;
  readonly image: string;
}

const expected =
  'expected {"image": string, "label": string} (make-data.ts) or a dataset sample with "tags" and a stream with an "image" (docs/job-inputs.md)';

/**
 * The frame of one manifest line. Two shapes are read: `{image, label}` as make-data.ts writes
 * it, and a sample of a platform dataset (`{tags, streams: {<name>: {image}}}`), whose image
 * is that of the first stream having one and whose label is `night` when its segment is
 * tagged `night`, `day` otherwise.
 */
function entryOf(value: unknown): ManifestEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const line = value as { image?: unknown; label?: unknown; tags?: unknown; streams?: unknown };
  if (typeof line.image === 'string' && typeof line.label === 'string')
    return { image: line.image, label: line.label };
  if (!Array.isArray(line.tags) || typeof line.streams !== 'object' || line.streams === null)
    return undefined;
  const image = Object.values(line.streams as Record<string, unknown>)
    .map((stream) => (stream as { image?: unknown } | null)?.image)
    .find((path): path is string => typeof path === 'string');
  if (image === undefined) return undefined;
  return { image, label: line.tags.includes('night') ? 'night' : 'day' };
}

/** Reads a manifest; names the line of any entry it cannot use. */
export async function readManifest(file: string): Promise<ManifestEntry[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter((l) => l.line !== '')
    .map(({ line, number }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${number}: not JSON`);
      }
      const entry = entryOf(value);
      if (entry === undefined) throw new Error(`${file}:${number}: ${expected}`);
      if (!(classes as readonly string[]).includes(entry.label))
        throw new Error(`${file}:${number}: label must be one of ${classes.join(', ')}`);
      return entry;
    });
}

/** Decodes a binary PPM (P6, 8 bits) into RGBA. */
export function decodePpm(
  bytes: Uint8Array,
  file: string,
): { data: Uint8Array; width: number; height: number } {
  const head = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(
    Buffer.from(bytes.subarray(0, 64)).toString('latin1'),
  );
  if (head === null) throw new Error(`${file}: not a binary 8-bit PPM (P6) image`);
  const width = Number(head[1]);
  const height = Number(head[2]);
  const offset = head[0].length;
  if (bytes.byteLength < offset + width * height * 3)
    throw new Error(
      `${file}: truncated: ${width}x${height} needs ${width * height * 3} bytes of pixels`,
    );
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = bytes[offset + i * 3] ?? 0;
    data[i * 4 + 1] = bytes[offset + i * 3 + 1] ?? 0;
    data[i * 4 + 2] = bytes[offset + i * 3 + 2] ?? 0;
    data[i * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** Box-filters an RGBA image down to size × size, as CHW floats in [0, 1]. */
export function toInput(
  rgba: Uint8Array,
  width: number,
  height: number,
  size: number,
): Float32Array {
  const out = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++) {
    const y0 = Math.floor((y * height) / size);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / size));
    for (let x = 0; x < size; x++) {
      const x0 = Math.floor((x * width) / size);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / size));
      const sums = [0, 0, 0];
      for (let yy = y0; yy < y1; yy++)
        for (let xx = x0; xx < x1; xx++)
          for (let c = 0; c < 3; c++)
            sums[c] = (sums[c] ?? 0) + (rgba[(yy * width + xx) * 4 + c] ?? 0);
      const count = (y1 - y0) * (x1 - x0) * 255;
      for (let c = 0; c < 3; c++) out[c * size * size + y * size + x] = (sums[c] ?? 0) / count;
    }
  }
  return out;
}

/** Loads every frame of a manifest. */
export async function loadSamples(manifest: string, size: number): Promise<Sample[]> {
  const base = dirname(resolve(manifest));
  const entries = await readManifest(manifest);
  const samples: Sample[] = [];
  for (const entry of entries) {
    if (!/\.(ppm|jpe?g)$/i.test(entry.image))
      throw new Error(`${entry.image}: this example reads PPM and JPEG frames only`);
    const bytes = await readFile(join(base, entry.image));
    const decoded = entry.image.endsWith('.ppm')
      ? decodePpm(bytes, entry.image)
      : jpeg.decode(bytes, { useTArray: true, maxMemoryUsageInMB: 64 });
    samples.push({
      input: toInput(decoded.data, decoded.width, decoded.height, size),
      label: classes.indexOf(entry.label as (typeof classes)[number]),
      image: entry.image,
    });
  }
  return samples;
}
