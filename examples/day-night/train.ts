import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classes, loadSamples, type Sample } from './data.js';
import { reportMetric } from './metrics.js';
import { Mlp, seeded } from './model.js';
import { denseModelToOnnx } from './onnx.js';

/**
 * The example training job: a day/night classifier for camera frames. It reads the frames of
 * its input dataset version's manifest, trains a small network for a few epochs, reports loss
 * and accuracy per epoch, and writes the model as ONNX to its outputs.
 *
 * Inputs: `$DRIVETRAIN_INPUTS/0/manifest.jsonl` (the first input the platform materialised, a
 * dataset sample per line), or `DAY_NIGHT_MANIFEST` (lines of make-data.ts). Outputs: `$DRIVETRAIN_OUTPUTS/model.onnx` and `metrics.json`.
 * Settings: EPOCHS (default 12), HIDDEN (32), SIZE (16), LEARNING_RATE (0.003), SEED (7).
 */

export interface TrainOptions {
  readonly manifest: string;
  readonly outputs: string;
  readonly epochs: number;
  readonly hidden: number;
  readonly size: number;
  readonly rate: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface TrainResult {
  readonly model: Mlp;
  readonly validation: readonly Sample[];
  readonly accuracy: number;
  readonly onnxFile: string;
}

function accuracy(model: Mlp, samples: readonly Sample[]): number {
  let right = 0;
  for (const s of samples) {
    const logits = model.forward(s.input);
    if (((logits[1] ?? 0) > (logits[0] ?? 0) ? 1 : 0) === s.label) right += 1;
  }
  return samples.length === 0 ? 0 : right / samples.length;
}

/** Trains on the manifest's frames and writes the ONNX model; returns the model and its accuracy. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const samples = await loadSamples(options.manifest, options.size);
  if (samples.length < 10)
    throw new Error(`${options.manifest}: needs at least 10 frames, has ${samples.length}`);
  const random = seeded(options.seed);
  const order = samples
    .map((s, i) => ({ s, k: random(), i }))
    .sort((a, b) => a.k - b.k || a.i - b.i);
  const cut = Math.floor(order.length * 0.8);
  const training = order.slice(0, cut).map((o) => o.s);
  const validation = order.slice(cut).map((o) => o.s);
  const perClass = classes.map(
    (name, label) => `${samples.filter((s) => s.label === label).length} ${name}`,
  );
  log(
    `${samples.length} frames (${training.length} to train, ${validation.length} to validate): ${perClass.join(', ')}`,
  );
  const inputs = 3 * options.size * options.size;
  const model = new Mlp([inputs, options.hidden, classes.length], random);
  const batch = 16;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const shuffled = training.map((s) => ({ s, k: random() })).sort((a, b) => a.k - b.k);
    let loss = 0;
    let batches = 0;
    for (let i = 0; i < shuffled.length; i += batch) {
      const part = shuffled.slice(i, i + batch).map((x) => x.s);
      loss += model.trainBatch(
        part.map((s) => s.input),
        part.map((s) => s.label),
        options.rate,
      );
      batches += 1;
    }
    const trainAccuracy = accuracy(model, training);
    const valAccuracy = accuracy(model, validation);
    reportMetric(epoch, 'loss', loss / batches);
    reportMetric(epoch, 'accuracy', trainAccuracy);
    reportMetric(epoch, 'val_accuracy', valAccuracy);
    log(
      `epoch ${epoch}: loss ${(loss / batches).toFixed(4)}, accuracy ${trainAccuracy.toFixed(3)}, validation ${valAccuracy.toFixed(3)}`,
    );
  }
  const final = accuracy(model, validation);
  await mkdir(options.outputs, { recursive: true });
  const onnxFile = join(options.outputs, 'model.onnx');
  const bytes = denseModelToOnnx(
    model.layers,
    [3, options.size, options.size],
    `day/night classifier; classes ${classes.join(',')}; input CHW in [0,1]`,
  );
  await writeFile(`${onnxFile}.tmp`, bytes);
  await rename(`${onnxFile}.tmp`, onnxFile);
  await writeFile(
    join(options.outputs, 'metrics.json'),
    `${JSON.stringify({ validationAccuracy: final, frames: samples.length, classes }, null, 2)}\n`,
  );
  log(`wrote ${onnxFile} (${bytes.byteLength} bytes), validation accuracy ${final.toFixed(3)}`);
  return { model, validation, accuracy: final, onnxFile };
}

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got '${raw}'`);
  return value;
}

/** Runs the job with the platform's environment. */
export async function main(): Promise<void> {
  const inputs = process.env.DRIVETRAIN_INPUTS;
  const manifest =
    process.env.DAY_NIGHT_MANIFEST ??
    (inputs === undefined ? undefined : join(inputs, '0', 'manifest.jsonl'));
  if (manifest === undefined)
    throw new Error('no input: set DRIVETRAIN_INPUTS (the platform does) or DAY_NIGHT_MANIFEST');
  await train({
    manifest,
    outputs: process.env.DRIVETRAIN_OUTPUTS ?? 'outputs',
    epochs: setting('EPOCHS', 12),
    hidden: setting('HIDDEN', 32),
    size: setting('SIZE', 16),
    rate: setting('LEARNING_RATE', 0.003),
    seed: setting('SEED', 7),
  });
}
