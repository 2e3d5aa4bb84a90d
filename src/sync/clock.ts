/**
 * Clock offset, drift, jitter and jumps of one channel, from its (stamp, log time) pairs
 * (ADR 044).
 *
 * The latency `l = logTime - stamp` of a message is the offset between the recorder's clock
 * and the sensor's, plus a transport delay that is never negative. Over stamp time t the
 * offset drifts linearly, so every point (t, l) lies on or above the line `a + b·t`, and the
 * points that touch it are the messages that travelled fastest. The line is therefore fitted
 * as the lower envelope of the points — the linear programme "maximise the line at the mean
 * stamp subject to lying below every point" (Moon, Skelly & Towsley, 1999) — not by least
 * squares, which would follow the mean delay and its skew. The constant minimum delay is part
 * of the offset: one-way measurements cannot separate the two.
 *
 * Bounded memory: points are folded into windows of stamp time (0.5 s to start with), each
 * keeping its lowest point and running moments; the envelope is fitted to the windows' lowest
 * points (within drift × window of the exact one), the moments give the jitter around it
 * exactly. Past `maxWindows` windows, neighbours merge and the window doubles.
 *
 * A clock jump (a step of the sensor clock) starts a new segment with its own fit: a stamp
 * that goes back by more than the jump threshold, or a latency below the envelope by more than
 * it (the stamp leapt ahead; a transport delay can only push latency up).
 */

/** Tuning of the estimator; the defaults suit sensor rates from 1 Hz to 1 kHz. */
export interface ClockEstimatorOptions {
  /** Initial window of stamp time, ns. */
  readonly windowNs?: number;
  /** Windows kept per segment before neighbours merge. */
  readonly maxWindows?: number;
  /** Smallest clock step reported as a jump, ns. */
  readonly jumpThresholdNs?: number;
  /** Segments described in detail; jumps beyond are counted only. */
  readonly maxSegments?: number;
}

/** The clock of one stretch between jumps. Times are the inputs' number offsets. */
export interface ClockSegmentFit {
  readonly messages: number;
  readonly firstStamp: number;
  readonly lastStamp: number;
  /** Latency at the envelope (log time minus stamp for the fastest message) at `firstStamp`. */
  readonly envelopeAtFirst: number;
  /** Slope of the envelope: change of (log time − stamp) per ns of stamp. */
  readonly slope: number;
  /** Standard deviation of latency around the envelope, ns. */
  readonly jitterNs: number;
  /** Mean latency above the envelope, ns. */
  readonly meanExcessNs: number;
}

/** A detected clock jump. */
export interface ClockJumpAt {
  /** Stamp of the first message after the jump. */
  readonly stamp: number;
  /** Its log time minus stamp. */
  readonly latency: number;
  /** Change of the latency envelope across the jump, ns: negative when the stamps leapt ahead. */
  readonly stepNs: number;
}

/** Everything the estimator found for a channel. */
export interface ClockFit {
  readonly messages: number;
  readonly segments: readonly ClockSegmentFit[];
  readonly jumps: readonly ClockJumpAt[];
  /** Jumps past `maxSegments`, counted only. */
  readonly jumpsNotListed: number;
}

/** Running moments and lowest point of a window of points. */
class Windows {
  n: Float64Array;
  meanT: Float64Array;
  meanL: Float64Array;
  m2t: Float64Array;
  m2l: Float64Array;
  ctl: Float64Array;
  minT: Float64Array;
  minL: Float64Array;

  constructor(readonly capacity: number) {
    this.n = new Float64Array(capacity);
    this.meanT = new Float64Array(capacity);
    this.meanL = new Float64Array(capacity);
    this.m2t = new Float64Array(capacity);
    this.m2l = new Float64Array(capacity);
    this.ctl = new Float64Array(capacity);
    this.minT = new Float64Array(capacity);
    this.minL = new Float64Array(capacity).fill(Infinity);
  }

  clear(): void {
    this.n.fill(0);
    this.meanT.fill(0);
    this.meanL.fill(0);
    this.m2t.fill(0);
    this.m2l.fill(0);
    this.ctl.fill(0);
    this.minT.fill(0);
    this.minL.fill(Infinity);
  }

  add(k: number, t: number, l: number): void {
    const n = this.n[k]! + 1;
    this.n[k] = n;
    const dt = t - this.meanT[k]!;
    const dl = l - this.meanL[k]!;
    const meanT = this.meanT[k]! + dt / n;
    const meanL = this.meanL[k]! + dl / n;
    this.m2t[k] = this.m2t[k]! + dt * (t - meanT);
    this.m2l[k] = this.m2l[k]! + dl * (l - meanL);
    this.ctl[k] = this.ctl[k]! + dt * (l - meanL);
    this.meanT[k] = meanT;
    this.meanL[k] = meanL;
    if (l < this.minL[k]!) {
      this.minL[k] = l;
      this.minT[k] = t;
    }
  }

  /** Folds window `from` into window `into` (Chan et al.'s pairwise update). */
  merge(into: number, from: number): void {
    const nb = this.n[from]!;
    if (nb === 0) return;
    const na = this.n[into]!;
    if (na === 0) {
      this.copy(into, from);
      return;
    }
    const n = na + nb;
    const dt = this.meanT[from]! - this.meanT[into]!;
    const dl = this.meanL[from]! - this.meanL[into]!;
    const w = (na * nb) / n;
    this.m2t[into] = this.m2t[into]! + this.m2t[from]! + dt * dt * w;
    this.m2l[into] = this.m2l[into]! + this.m2l[from]! + dl * dl * w;
    this.ctl[into] = this.ctl[into]! + this.ctl[from]! + dt * dl * w;
    this.meanT[into] = this.meanT[into]! + (dt * nb) / n;
    this.meanL[into] = this.meanL[into]! + (dl * nb) / n;
    this.n[into] = n;
    if (this.minL[from]! < this.minL[into]!) {
      this.minL[into] = this.minL[from]!;
      this.minT[into] = this.minT[from]!;
    }
  }

  copy(into: number, from: number): void {
    this.n[into] = this.n[from]!;
    this.meanT[into] = this.meanT[from]!;
    this.meanL[into] = this.meanL[from]!;
    this.m2t[into] = this.m2t[from]!;
    this.m2l[into] = this.m2l[from]!;
    this.ctl[into] = this.ctl[from]!;
    this.minT[into] = this.minT[from]!;
    this.minL[into] = this.minL[from]!;
  }

  reset(k: number): void {
    this.n[k] = 0;
    this.meanT[k] = 0;
    this.meanL[k] = 0;
    this.m2t[k] = 0;
    this.m2l[k] = 0;
    this.ctl[k] = 0;
    this.minT[k] = 0;
    this.minL[k] = Infinity;
  }
}

/** Streaming estimator of one channel's clock. Feed (stamp, latency) in arrival order. */
export class ClockEstimator {
  private readonly maxWindows: number;
  private readonly initialWindow: number;
  private readonly jumpThreshold: number;
  private readonly maxSegments: number;
  private readonly windows: Windows;
  private window: number;
  private segmentStart = NaN;
  private segmentMessages = 0;
  private segmentFirstStamp = 0;
  private segmentLastStamp = 0;
  private maxStamp = -Infinity;
  private usedWindows = 0;
  /** The latest window with points and the one with points before it (-1 for none). */
  private lastWindow = -1;
  private previousWindow = -1;
  private total = 0;
  private readonly segments: ClockSegmentFit[] = [];
  private readonly jumps: ClockJumpAt[] = [];
  private jumpsNotListed = 0;

  constructor(options: ClockEstimatorOptions = {}) {
    this.initialWindow = options.windowNs ?? 500_000_000;
    this.maxWindows = options.maxWindows ?? 4096;
    this.jumpThreshold = options.jumpThresholdNs ?? 50_000_000;
    this.maxSegments = options.maxSegments ?? 100;
    this.window = this.initialWindow;
    this.windows = new Windows(this.maxWindows);
  }

  /** Adds one message: its stamp and its latency (log time − stamp), both exact ns offsets. */
  add(stamp: number, latency: number): void {
    this.total++;
    if (Number.isNaN(this.segmentStart)) {
      this.startSegment(stamp);
    } else if (this.lastWindow >= 0) {
      // Drift may move the envelope by up to 500 ppm of the stamp time since the recent minimum.
      const recent = this.recentMinimum();
      const allowance = Math.abs(stamp - this.recentMinimumStamp()) * 500e-6;
      if (
        stamp < this.maxStamp - this.jumpThreshold ||
        latency < recent - this.jumpThreshold - allowance
      ) {
        this.closeSegment();
        this.recordJump(stamp, latency, latency - recent);
        this.startSegment(stamp);
      }
    }
    let k = Math.floor((stamp - this.segmentStart) / this.window);
    if (k < 0) k = 0;
    while (k >= this.maxWindows) {
      this.halve();
      k = Math.floor((stamp - this.segmentStart) / this.window);
    }
    this.windows.add(k, stamp, latency);
    if (k + 1 > this.usedWindows) this.usedWindows = k + 1;
    if (k > this.lastWindow) {
      this.previousWindow = this.lastWindow;
      this.lastWindow = k;
    }
    this.segmentMessages++;
    if (stamp > this.maxStamp) this.maxStamp = stamp;
    this.segmentLastStamp = stamp;
  }

  /** The fit so far (the input may continue afterwards). */
  result(): ClockFit {
    const segments = [...this.segments];
    if (this.segmentMessages > 0) segments.push(this.fitSegment());
    return {
      messages: this.total,
      segments,
      jumps: [...this.jumps],
      jumpsNotListed: this.jumpsNotListed,
    };
  }

  /** Lowest latency of the two latest windows with points. */
  private recentMinimum(): number {
    const w = this.windows;
    const last = w.minL[this.lastWindow]!;
    return this.previousWindow < 0 ? last : Math.min(last, w.minL[this.previousWindow]!);
  }

  private recentMinimumStamp(): number {
    const w = this.windows;
    if (this.previousWindow < 0 || w.minL[this.lastWindow]! <= w.minL[this.previousWindow]!) {
      return w.minT[this.lastWindow]!;
    }
    return w.minT[this.previousWindow]!;
  }

  private startSegment(stamp: number): void {
    this.segmentStart = stamp;
    this.segmentFirstStamp = stamp;
    this.segmentLastStamp = stamp;
    this.segmentMessages = 0;
    this.maxStamp = stamp;
    this.window = this.initialWindow;
    this.usedWindows = 0;
    this.lastWindow = -1;
    this.previousWindow = -1;
    this.windows.clear();
  }

  private closeSegment(): void {
    if (this.segmentMessages === 0) return;
    const fit = this.fitSegment();
    if (this.segments.length < this.maxSegments) this.segments.push(fit);
  }

  private recordJump(stamp: number, latency: number, stepNs: number): void {
    if (this.jumps.length < this.maxSegments) this.jumps.push({ stamp, latency, stepNs });
    else this.jumpsNotListed++;
  }

  /** Merges neighbouring windows: the window doubles and half the storage frees up. */
  private halve(): void {
    const w = this.windows;
    for (let k = 0; k < this.maxWindows; k += 2) {
      const into = k >> 1;
      if (into !== k) w.copy(into, k);
      w.merge(into, k + 1);
    }
    for (let k = this.maxWindows >> 1; k < this.maxWindows; k++) w.reset(k);
    this.window *= 2;
    this.usedWindows = Math.ceil(this.usedWindows / 2);
    this.lastWindow >>= 1;
    this.previousWindow = -1;
  }

  /** Fits the current segment: lower envelope of the window minima, jitter from the moments. */
  private fitSegment(): ClockSegmentFit {
    const w = this.windows;
    // Lower convex hull (monotone chain) of the windows' lowest points, in window order.
    const hullT: number[] = [];
    const hullL: number[] = [];
    let n = 0;
    let meanT = 0;
    let meanL = 0;
    let m2t = 0;
    let m2l = 0;
    let ctl = 0;
    for (let k = 0; k < this.usedWindows; k++) {
      const nk = w.n[k]!;
      if (nk === 0) continue;
      const t = w.minT[k]!;
      const l = w.minL[k]!;
      while (hullT.length >= 2) {
        const t1 = hullT[hullT.length - 2]!;
        const l1 = hullL[hullL.length - 2]!;
        const t2 = hullT[hullT.length - 1]!;
        const l2 = hullL[hullL.length - 1]!;
        // Pop the last vertex unless it lies strictly below the chord from t1 to t.
        if ((l2 - l1) * (t - t1) >= (l - l1) * (t2 - t1)) {
          hullT.pop();
          hullL.pop();
        } else {
          break;
        }
      }
      if (hullT.length === 1 && t === hullT[0]) {
        if (l < hullL[0]!) hullL[0] = l;
      } else {
        hullT.push(t);
        hullL.push(l);
      }
      // Pairwise combination of the window moments into the segment's.
      const total = n + nk;
      const dt = w.meanT[k]! - meanT;
      const dl = w.meanL[k]! - meanL;
      const weight = (n * nk) / total;
      m2t += w.m2t[k]! + dt * dt * weight;
      m2l += w.m2l[k]! + dl * dl * weight;
      ctl += w.ctl[k]! + dt * dl * weight;
      meanT += (dt * nk) / total;
      meanL += (dl * nk) / total;
      n = total;
    }
    // The envelope maximises the line at the mean stamp: the hull edge spanning it.
    let slope = 0;
    let anchorT = hullT[0] ?? 0;
    let anchorL = hullL[0] ?? 0;
    for (let j = 0; j + 1 < hullT.length; j++) {
      const t1 = hullT[j]!;
      const t2 = hullT[j + 1]!;
      if (meanT <= t2 || j + 2 === hullT.length) {
        slope = (hullL[j + 1]! - hullL[j]!) / (t2 - t1);
        anchorT = t1;
        anchorL = hullL[j]!;
        break;
      }
    }
    const atMean = anchorL + slope * (meanT - anchorT);
    const variance = n > 0 ? Math.max(0, (m2l - 2 * slope * ctl + slope * slope * m2t) / n) : 0;
    return {
      messages: this.segmentMessages,
      firstStamp: this.segmentFirstStamp,
      lastStamp: this.segmentLastStamp,
      envelopeAtFirst: anchorL + slope * (this.segmentFirstStamp - anchorT),
      slope,
      jitterNs: Math.sqrt(variance),
      meanExcessNs: meanL - atMean,
    };
  }
}
