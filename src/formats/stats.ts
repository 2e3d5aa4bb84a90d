/** Per-channel counts and time ranges, shared by the readers' summaries. */
import type { ChannelInfo, Nanoseconds } from './source.js';

/** Per-channel message statistics gathered from indexes or a pass over the file. */
export class ChannelStats {
  count = 0;
  start: bigint | undefined;
  end: bigint | undefined;

  /** Counts one message. */
  add(logTime: bigint): void {
    this.addRange(1, logTime, logTime);
  }

  /** Counts `count` messages spanning [start, end] (another file's statistics). */
  addRange(count: number, start: bigint | undefined, end: bigint | undefined): void {
    this.count += count;
    if (start !== undefined && (this.start === undefined || start < this.start)) this.start = start;
    if (end !== undefined && (this.end === undefined || end > this.end)) this.end = end;
  }
}

/** Overall time range of a set of channels. */
export function timeRange(channels: readonly ChannelInfo[]): {
  startTime?: Nanoseconds;
  endTime?: Nanoseconds;
} {
  let startTime: bigint | undefined;
  let endTime: bigint | undefined;
  for (const channel of channels) {
    if (
      channel.startTime !== undefined &&
      (startTime === undefined || channel.startTime < startTime)
    ) {
      startTime = channel.startTime;
    }
    if (channel.endTime !== undefined && (endTime === undefined || channel.endTime > endTime)) {
      endTime = channel.endTime;
    }
  }
  return {
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
  };
}
