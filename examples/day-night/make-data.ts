import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seeded } from './model.js';

/**
 * Generates camera frames of a road scene by day and by night (sky, road, lights, noise and
 * varying exposure), as binary PPM files with a `manifest.jsonl` labelling each frame, the
 * layout the training job reads. (PPM because it is written in microseconds; the job reads
 * JPEG frames too.)
 */
export async function makeFrames(
  dir: string,
  count: number,
  seed = 1,
  width = 64,
  height = 48,
): Promise<string> {
  const random = seeded(seed);
  await mkdir(join(dir, 'frames'), { recursive: true });
  const lines: string[] = [];
  for (let n = 0; n < count; n++) {
    const night = random() < 0.5;
    const exposure = 0.6 + random() * 0.8;
    const horizon = Math.floor(height * (0.35 + random() * 0.2));
    const lights = night ? Math.floor(random() * 6) + 1 : 0;
    const spots = Array.from({ length: lights }, () => [
      random() * width,
      horizon + random() * (height - horizon),
      2 + random() * 3,
    ]);
    const header = Buffer.from(`P6\n${width} ${height}\n255\n`, 'ascii');
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let colour: [number, number, number];
        if (y < horizon) colour = night ? [12, 14, 30] : [110 + y, 160 + y, 235];
        else colour = night ? [22, 22, 24] : [105, 105, 100];
        for (const [sx = 0, sy = 0, r = 1] of spots)
          if ((x - sx) ** 2 + (y - sy) ** 2 < r * r) colour = [250, 235, 180];
        const at = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const noise = (random() - 0.5) * 40;
          rgb[at + c] = Math.max(0, Math.min(255, Math.round((colour[c] ?? 0) * exposure + noise)));
        }
      }
    }
    const name = `frames/${String(n).padStart(5, '0')}.ppm`;
    await writeFile(join(dir, name), Buffer.concat([header, rgb]));
    lines.push(JSON.stringify({ image: name, label: night ? 'night' : 'day' }));
  }
  const manifest = join(dir, 'manifest.jsonl');
  await writeFile(`${manifest}.tmp`, `${lines.join('\n')}\n`);
  await rename(`${manifest}.tmp`, manifest);
  return manifest;
}

if (process.argv[1]?.endsWith('make-data.ts')) {
  const [dir = 'day-night-data', count = '400'] = process.argv.slice(2);
  console.log(await makeFrames(dir, Number(count)));
}
