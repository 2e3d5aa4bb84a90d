import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFrames } from '../../examples/day-night/make-data.js';
import { train } from '../../examples/day-night/train.js';
import { parseJobFile } from '../../src/compute/index.js';
import { operatorPrincipal } from '../../src/platform/index.js';
import { waitFor } from '../support/compute.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The example training job of examples/day-night: it learns, its ONNX model computes in
 * onnxruntime what the JavaScript network computes, and it runs as a platform job from its
 * job file, reporting metrics per epoch and leaving the model as an artifact.
 */
describe('example job: day/night classifier', () => {
  let dir: string;
  let manifest: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drivetrain-example-'));
    manifest = await makeFrames(join(dir, 'frames'), 160, 3);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns day from night, and its ONNX model gives the same logits in onnxruntime', async () => {
    const lines: string[] = [];
    const result = await train({
      manifest,
      outputs: join(dir, 'out'),
      epochs: 6,
      hidden: 16,
      size: 16,
      rate: 0.003,
      seed: 7,
      log: (line) => lines.push(line),
    });
    expect(result.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(lines.filter((l) => l.startsWith('epoch '))).toHaveLength(6);

    const session = await InferenceSession.create(readFileSync(result.onnxFile));
    expect(session.inputNames).toEqual(['image']);
    expect(session.outputNames).toEqual(['logits']);
    const samples = result.validation.slice(0, 8);
    const batch = new Float32Array(samples.length * 3 * 16 * 16);
    samples.forEach((s, i) => batch.set(s.input, i * s.input.length));
    const output = await session.run({
      image: new Tensor('float32', batch, [samples.length, 3, 16, 16]),
    });
    const logits = output.logits as Tensor;
    expect(logits.dims).toEqual([samples.length, 2]);
    const onnx = Array.from(logits.data as Float32Array);
    const js = samples.flatMap((s) => Array.from(result.model.forward(s.input)));
    onnx.forEach((value, i) => expect(value).toBeCloseTo(js[i] ?? NaN, 4));
    await session.release();
  });

  it('refuses a manifest line it cannot use, naming the line', async () => {
    const bad = join(dir, 'bad.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, '{"image": "frames/00000.ppm", "label": "day"}\n{"image": 3}\n');
    await expect(
      train({
        manifest: bad,
        outputs: join(dir, 'x'),
        epochs: 1,
        hidden: 4,
        size: 8,
        rate: 0.01,
        seed: 1,
      }),
    ).rejects.toThrow(/bad\.jsonl:2: expected/);
  });

  describe('as a platform job', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ listen: false });
      await t.app.identity.createTeam(operatorPrincipal('test'), { name: 'perception' });
    });
    afterAll(async () => {
      await t.close();
    });

    it('runs from its job file, reports metrics per epoch and leaves model.onnx', async () => {
      const file = resolve('examples/day-night/job.yaml');
      const doc = parseJobFile(readFileSync(file, 'utf8'), file) as Record<string, unknown>;
      const { inputs: _inputs, ...withoutInputs } = doc;
      const job = await t.app.compute.submit(operatorPrincipal('test'), {
        ...withoutInputs,
        env: { ...(doc.env as object), EPOCHS: '3', DAY_NIGHT_MANIFEST: manifest },
      });
      const done = await waitFor(
        'the example job to end',
        async () => {
          const j = await t.app.compute.get(job.id);
          return ['succeeded', 'failed'].includes(j.state) ? j : undefined;
        },
        60_000,
      );
      if (done.state !== 'succeeded') {
        const parts: Buffer[] = [];
        for await (const c of t.app.compute.readLog(job.id)) parts.push(Buffer.from(c.data));
        throw new Error(
          `the job ${done.state}: ${done.message ?? ''}\n${Buffer.concat(parts).toString()}`,
        );
      }
      const metrics = await t.app.compute.metrics(job.id);
      expect(metrics.map((m) => [m.name, m.points.map((p) => p.step)])).toEqual([
        ['accuracy', [1, 2, 3]],
        ['loss', [1, 2, 3]],
        ['val_accuracy', [1, 2, 3]],
      ]);
      expect(done.artifacts.map((a) => a.path)).toEqual(['metrics.json', 'model.onnx']);
    }, 90_000);
  });
});
