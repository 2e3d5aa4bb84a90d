import { InvalidInput } from '../../platform/errors.js';
import { f32, normalizeAngle } from './float32.js';

/**
 * Cuts a stream of lidar blocks into scans. Channels of one block fire at different azimuths
 * (each laser has its own azimuth offset), so a block can straddle the cut: the channels
 * before it still belong to the scan being filled (buffer A), those after it start the next
 * one (buffer B). Two buffers alternate; a scan is emitted once every channel has crossed.
 *
 * Angles are float32 radians, normalized to [0, 2 pi) as the reference does, so that the cut
 * falls between exactly the same two points. The two state machines (cut inside the field of
 * view, or cut at its end) follow the reference's transition tables.
 */

/** All channels in one buffer (0 or 1), or split between the two (-1). */
export type BufferState = 0 | 1 | -1;
/** All channels inside the field of view (1), all outside (0), or some of each (-1). */
export type FovState = 0 | 1 | -1;

/** Where each channel of the current block goes. */
export interface ScanCutState {
  /** The buffer that will be emitted at the next cut. */
  currentBuffer: 0 | 1;
  readonly channelLastAzimuths: Float32Array;
  readonly channelsInFov: Uint8Array;
  readonly channelBuffers: Uint8Array;
  bufferState: BufferState;
  fovState: FovState;
}

/** The corrected azimuth of every channel of one block, with the laggiest and leading channel. */
export interface BlockAzimuths {
  readonly azimuths: Float32Array;
  /** Channel with the smallest azimuth correction. */
  readonly minCorrectionIndex: number;
  /** Channel with the largest azimuth correction. */
  readonly maxCorrectionIndex: number;
}

interface Actions {
  resetTimestamp?: 0 | 1;
  emit?: 0 | 1;
}

/** Tests whether `angle` lies in the sector from `start` to `end` (wrapping through zero). */
export function angleIsBetween(
  start: number,
  end: number,
  angle: number,
  startInclusive = true,
  endInclusive = true,
): boolean {
  if (start === end && start === angle) return startInclusive || endInclusive;
  if (start === end) return true;
  if (!startInclusive && angle === start) return false;
  if (!endInclusive && angle === end) return false;
  if (end < start) return angle <= end || start <= angle;
  return start <= angle && angle <= end;
}

const normalized = (angle: number, max: number): number => f32(normalizeAngle(angle, max));

/** Splits blocks into scans; calls `onSetTimestamp` when a buffer starts and `onEmit` when one is complete. */
export class ScanCutter {
  private readonly cut: number;
  private readonly fovStart: number;
  private readonly fovEnd: number;
  private state: ScanCutState | undefined;

  /**
   * `maxAngle` is the full circle (float32 2 pi); the other angles are float32 radians. Throws
   * InvalidInput when the cut lies outside the field of view or on its start.
   */
  constructor(
    private readonly channels: number,
    private readonly maxAngle: number,
    cutAngle: number,
    fovStart: number,
    fovEnd: number,
    private readonly onEmit: (buffer: 0 | 1) => void,
    private readonly onSetTimestamp: (buffer: 0 | 1) => void,
  ) {
    this.cut = normalized(cutAngle, maxAngle);
    this.fovStart = normalized(fovStart, maxAngle);
    this.fovEnd = normalized(fovEnd, maxAngle);
    const partialFov = this.fovStart !== this.fovEnd;
    if (partialFov && !angleIsBetween(this.fovStart, this.fovEnd, this.cut)) {
      throw new InvalidInput('the cut angle must lie within the field of view', 'cutAngle');
    }
    if (partialFov && this.cut === this.fovStart) {
      throw new InvalidInput('the cut angle cannot be the start of the field of view', 'cutAngle');
    }
  }

  /** Feeds the azimuths of the next block; returns where its channels go. */
  step(block: BlockAzimuths): ScanCutState {
    const state = this.state;
    if (!state) return this.initialize(block);
    const fullCircle = this.fovStart === this.fovEnd;
    const cutsAtFovEnd = this.cut === this.fovEnd && !fullCircle;
    const bufferBefore = state.bufferState;
    const fovBefore = state.fovState;
    this.update(state, block);
    const actions = cutsAtFovEnd
      ? cutAtFovEndTransition(
          stateAtFovEnd(bufferBefore, fovBefore, state.currentBuffer),
          stateAtFovEnd(state.bufferState, state.fovState, state.currentBuffer),
        )
      : cutInFovTransition(
          stateInFov(bufferBefore, state.currentBuffer),
          stateInFov(state.bufferState, state.currentBuffer),
        );
    if (actions.resetTimestamp !== undefined) this.onSetTimestamp(actions.resetTimestamp);
    if (actions.emit !== undefined) {
      this.onEmit(actions.emit);
      state.currentBuffer = state.currentBuffer === 0 ? 1 : 0;
    }
    return state;
  }

  /** Whether the block has any channel inside the field of view. */
  static intersectsFov(state: ScanCutState): boolean {
    return state.fovState !== 0;
  }

  private initialize(block: BlockAzimuths): ScanCutState {
    const n = this.channels;
    const state: ScanCutState = {
      currentBuffer: 0,
      channelLastAzimuths: Float32Array.from(block.azimuths),
      channelsInFov: new Uint8Array(n),
      channelBuffers: new Uint8Array(n),
      bufferState: 0,
      fovState: 0,
    };
    this.state = state;
    for (let channel = 0; channel < n; channel++) {
      state.channelsInFov[channel] = this.insideFov(block.azimuths[channel] ?? 0) ? 1 : 0;
    }
    if (!this.intersectsCut(block)) {
      if (this.extremesIntersectFov(block)) this.onSetTimestamp(0);
    } else {
      const end = normalized(f32(this.cut + f32(this.maxAngle / 2)), this.maxAngle);
      let overlaps0 = false;
      let overlaps1 = false;
      for (let channel = 0; channel < n; channel++) {
        const afterCut = angleIsBetween(this.cut, end, block.azimuths[channel] ?? 0, false, true);
        state.channelBuffers[channel] = afterCut ? 1 : 0;
        if (state.channelsInFov[channel] === 1) {
          if (afterCut) overlaps1 = true;
          else overlaps0 = true;
        }
      }
      if (overlaps0) this.onSetTimestamp(0);
      if (overlaps1) this.onSetTimestamp(1);
    }
    state.bufferState = uniform(state.channelBuffers) as BufferState;
    state.fovState = uniform(state.channelsInFov) as FovState;
    return state;
  }

  private update(state: ScanCutState, block: BlockAzimuths): void {
    for (let channel = 0; channel < this.channels; channel++) {
      const azimuth = block.azimuths[channel] ?? 0;
      state.channelsInFov[channel] = this.insideFov(azimuth) ? 1 : 0;
      const last = state.channelLastAzimuths[channel] ?? 0;
      // The cut itself still belongs to the scan before it.
      if (angleIsBetween(last, azimuth, this.cut, true, false)) {
        state.channelBuffers[channel] = (state.channelBuffers[channel] ?? 0) === 0 ? 1 : 0;
      }
      state.channelLastAzimuths[channel] = azimuth;
    }
    // The laggiest and the leading channel bound all others, so their states decide.
    const min = block.minCorrectionIndex;
    const max = block.maxCorrectionIndex;
    const minBuffer = state.channelBuffers[min] ?? 0;
    state.bufferState = minBuffer === state.channelBuffers[max] ? (minBuffer as 0 | 1) : -1;
    const minInFov = state.channelsInFov[min] ?? 0;
    state.fovState = minInFov === state.channelsInFov[max] ? (minInFov as 0 | 1) : -1;
  }

  private intersectsCut(block: BlockAzimuths): boolean {
    const quarter = f32(this.maxAngle / 4);
    const regionStart = normalized(f32(this.cut - quarter), this.maxAngle);
    const regionEnd = normalized(f32(this.cut + quarter), this.maxAngle);
    const extremes = [
      block.azimuths[block.minCorrectionIndex] ?? 0,
      block.azimuths[block.maxCorrectionIndex] ?? 0,
    ];
    if (!extremes.every((azimuth) => angleIsBetween(regionStart, regionEnd, azimuth))) return false;
    const end = normalized(f32(this.cut + f32(this.maxAngle / 2)), this.maxAngle);
    const beyond = extremes.filter((azimuth) =>
      angleIsBetween(this.cut, end, azimuth, false, true),
    ).length;
    return beyond === 1;
  }

  private extremesIntersectFov(block: BlockAzimuths): boolean {
    return [block.minCorrectionIndex, block.maxCorrectionIndex].some((channel) =>
      this.insideFov(block.azimuths[channel] ?? 0),
    );
  }

  private insideFov(azimuth: number): boolean {
    if (this.fovStart === this.fovEnd) return true;
    return angleIsBetween(this.fovStart, this.fovEnd, azimuth);
  }
}

/** 0 or 1 when every entry has that value, -1 otherwise. */
function uniform(values: Uint8Array): number {
  const first = values[0] ?? 0;
  return values.every((value) => value === first) ? first : -1;
}

type InFovState = 'F0' | 'C0_1' | 'F1' | 'C1_0';

function stateInFov(buffer: BufferState, current: 0 | 1): InFovState {
  if (buffer === -1) return current === 0 ? 'C0_1' : 'C1_0';
  return buffer === 0 ? 'F0' : 'F1';
}

/** Transitions when the cut lies inside the field of view (or the view is the full circle). */
function cutInFovTransition(before: InFovState, after: InFovState): Actions {
  if (before === after) return {};
  switch (`${before}>${after}`) {
    case 'F0>C0_1':
      return { resetTimestamp: 1 };
    case 'F0>F1':
      return { resetTimestamp: 1, emit: 0 };
    case 'C0_1>F1':
      return { emit: 0 };
    case 'F1>C1_0':
      return { resetTimestamp: 0 };
    case 'F1>F0':
      return { resetTimestamp: 0, emit: 1 };
    case 'C1_0>F0':
      return { emit: 1 };
    default:
      // Both states are read with the same current buffer, so a split block never turns into
      // a split of the other direction within one step; every other pair needs no action.
      return {};
  }
}

type AtFovEndState = 'O0' | 'F0' | 'C0_1' | 'O1' | 'F1' | 'C1_0';

function stateAtFovEnd(buffer: BufferState, fov: FovState, current: 0 | 1): AtFovEndState {
  if (buffer === -1) return current === 0 ? 'C0_1' : 'C1_0';
  const anyInFov = fov !== 0;
  if (buffer === 0) return anyInFov ? 'F0' : 'O0';
  return anyInFov ? 'F1' : 'O1';
}

/** Transitions when the scan is cut where the field of view ends. */
function cutAtFovEndTransition(before: AtFovEndState, after: AtFovEndState): Actions {
  if (before === after) return {};
  switch (`${before}>${after}`) {
    case 'O0>F0':
    case 'O0>C0_1':
      return { resetTimestamp: 0 };
    case 'O0>O1':
    case 'F0>F1':
    case 'C0_1>F1':
      return { resetTimestamp: 1, emit: 0 };
    case 'F0>O1':
    case 'C0_1>O1':
      return { emit: 0 };
    case 'O1>F1':
    case 'O1>C1_0':
      return { resetTimestamp: 1 };
    case 'O1>O0':
    case 'F1>F0':
    case 'C1_0>F0':
      return { resetTimestamp: 0, emit: 1 };
    case 'F1>O0':
    case 'C1_0>O0':
      return { emit: 1 };
    default:
      return {};
  }
}
