import type { DenseLayer } from './onnx.js';

/**
 * A small multilayer perceptron on typed arrays: dense layers with ReLU between them, softmax
 * cross-entropy, trained with Adam. Deterministic for a given seed.
 */
export class Mlp {
  readonly layers: DenseLayer[];
  private readonly moments: { m: Float32Array; v: Float32Array }[];
  private step = 0;

  constructor(sizes: readonly number[], random: () => number) {
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const inputs = sizes[i] ?? 0;
      const outputs = sizes[i + 1] ?? 0;
      const weight = new Float32Array(outputs * inputs);
      // He initialisation, from a uniform draw with the same variance.
      const scale = Math.sqrt(6 / inputs);
      for (let j = 0; j < weight.length; j++) weight[j] = (random() * 2 - 1) * scale;
      this.layers.push({ weight, bias: new Float32Array(outputs), inputs, outputs });
    }
    this.moments = this.layers.flatMap((l) => [
      { m: new Float32Array(l.weight.length), v: new Float32Array(l.weight.length) },
      { m: new Float32Array(l.bias.length), v: new Float32Array(l.bias.length) },
    ]);
  }

  /** Activations of every layer for one input (the last one is the logits). */
  private activations(x: Float32Array): Float32Array[] {
    const out = [x];
    this.layers.forEach((layer, li) => {
      const input = out[out.length - 1] as Float32Array;
      const y = new Float32Array(layer.outputs);
      for (let o = 0; o < layer.outputs; o++) {
        let sum = layer.bias[o] ?? 0;
        const row = o * layer.inputs;
        for (let i = 0; i < layer.inputs; i++)
          sum += (layer.weight[row + i] ?? 0) * (input[i] ?? 0);
        y[o] = li < this.layers.length - 1 ? Math.max(0, sum) : sum;
      }
      out.push(y);
    });
    return out;
  }

  /** Logits for one input. */
  forward(x: Float32Array): Float32Array {
    const a = this.activations(x);
    return a[a.length - 1] as Float32Array;
  }

  /** One Adam step on a batch; returns the mean cross-entropy loss of the batch. */
  trainBatch(xs: readonly Float32Array[], labels: readonly number[], rate: number): number {
    const grads = this.layers.map((l) => ({
      w: new Float32Array(l.weight.length),
      b: new Float32Array(l.bias.length),
    }));
    let loss = 0;
    xs.forEach((x, n) => {
      const acts = this.activations(x);
      const logits = acts[acts.length - 1] as Float32Array;
      const max = Math.max(...logits);
      const exps = Array.from(logits, (v) => Math.exp(v - max));
      const total = exps.reduce((s, v) => s + v, 0);
      const label = labels[n] ?? 0;
      loss -= Math.log((exps[label] ?? 0) / total + 1e-12);
      let delta = new Float32Array(exps.map((e, k) => e / total - (k === label ? 1 : 0)));
      for (let li = this.layers.length - 1; li >= 0; li--) {
        const layer = this.layers[li] as DenseLayer;
        const input = acts[li] as Float32Array;
        const g = grads[li] as { w: Float32Array; b: Float32Array };
        const back = new Float32Array(layer.inputs);
        for (let o = 0; o < layer.outputs; o++) {
          const d = delta[o] ?? 0;
          if (d === 0) continue;
          g.b[o] = (g.b[o] ?? 0) + d;
          const row = o * layer.inputs;
          for (let i = 0; i < layer.inputs; i++) {
            g.w[row + i] = (g.w[row + i] ?? 0) + d * (input[i] ?? 0);
            back[i] = (back[i] ?? 0) + d * (layer.weight[row + i] ?? 0);
          }
        }
        if (li > 0) for (let i = 0; i < back.length; i++) if ((input[i] ?? 0) <= 0) back[i] = 0;
        delta = back;
      }
    });
    this.step += 1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const params = this.layers.flatMap((l, i) => [
      [l.weight, grads[i]?.w],
      [l.bias, grads[i]?.b],
    ]) as [Float32Array, Float32Array][];
    params.forEach(([p, g], k) => {
      const { m, v } = this.moments[k] as { m: Float32Array; v: Float32Array };
      for (let j = 0; j < p.length; j++) {
        const grad = (g[j] ?? 0) / xs.length;
        m[j] = b1 * (m[j] ?? 0) + (1 - b1) * grad;
        v[j] = b2 * (v[j] ?? 0) + (1 - b2) * grad * grad;
        const mh = (m[j] ?? 0) / (1 - b1 ** this.step);
        const vh = (v[j] ?? 0) / (1 - b2 ** this.step);
        p[j] = (p[j] ?? 0) - (rate * mh) / (Math.sqrt(vh) + eps);
      }
    });
    return loss / xs.length;
  }
}

/** A deterministic pseudo-random generator (mulberry32) for reproducible runs. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
