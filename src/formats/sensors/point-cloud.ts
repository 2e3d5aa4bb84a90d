/**
 * The point cloud every lidar decoder produces: one typed array per field (struct of arrays), so
 * a cloud of a hundred thousand points is a handful of allocations and can be handed to a
 * writer, a worker or the GPU without copying point by point.
 */

/** How a point relates to the other echoes of the same laser firing. */
export const PointReturnType = {
  unknown: 0,
  last: 1,
  first: 2,
  strongest: 3,
  firstWeak: 4,
  lastWeak: 5,
  identical: 6,
  second: 7,
  secondStrongest: 8,
  firstStrongest: 9,
  lastStrongest: 10,
} as const;

export type PointReturnTypeCode = (typeof PointReturnType)[keyof typeof PointReturnType];

/** A decoded cloud. Coordinates are metres in the sensor frame (x forward, y left, z up). */
export interface PointCloud {
  readonly length: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly z: Float32Array;
  /** Reflectivity as the sensor reports it, 0 to 255. */
  readonly intensity: Uint8Array;
  /** One of the `PointReturnType` codes. */
  readonly returnType: Uint8Array;
  /** Laser channel (ring) index. */
  readonly channel: Uint16Array;
  /** Azimuth in radians, in the sensor's own convention (see each decoder). */
  readonly azimuth: Float32Array;
  /** Elevation in radians (the Velodyne decoder stores its sine, as the reference does). */
  readonly elevation: Float32Array;
  /** Range in metres. */
  readonly distance: Float32Array;
  /** Time of the point relative to the scan stamp, in nanoseconds. */
  readonly timeOffsetNs: Uint32Array;
}

/** One complete lidar scan. */
export interface LidarScan {
  /** Start of the scan, nanoseconds since the Unix epoch. */
  readonly stampNs: bigint;
  readonly cloud: PointCloud;
}

/** One point, as passed to `PointCloudBuilder.push`. */
export interface PointFields {
  x: number;
  y: number;
  z: number;
  intensity: number;
  returnType: number;
  channel: number;
  azimuth: number;
  elevation: number;
  distance: number;
  timeOffsetNs: number;
}

const initialCapacity = 4096;

/** A growable cloud; decoders append points and take a finished `PointCloud` snapshot. */
export class PointCloudBuilder {
  // Arrays start at full initial size: V8 stores small typed arrays on its heap and large ones
  // off it, and a field that switches between the two makes every store slower.
  private capacity = initialCapacity;
  private count = 0;
  private x = new Float32Array(initialCapacity);
  private y = new Float32Array(initialCapacity);
  private z = new Float32Array(initialCapacity);
  private intensity = new Uint8Array(initialCapacity);
  private returnType = new Uint8Array(initialCapacity);
  private channel = new Uint16Array(initialCapacity);
  private azimuth = new Float32Array(initialCapacity);
  private elevation = new Float32Array(initialCapacity);
  private distance = new Float32Array(initialCapacity);
  private timeOffsetNs = new Uint32Array(initialCapacity);

  /** Number of points appended so far. */
  get length(): number {
    return this.count;
  }

  /** Appends one point; values are stored with the precision of each field's array. */
  push(point: PointFields): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.x[i] = point.x;
    this.y[i] = point.y;
    this.z[i] = point.z;
    this.intensity[i] = point.intensity;
    this.returnType[i] = point.returnType;
    this.channel[i] = point.channel;
    this.azimuth[i] = point.azimuth;
    this.elevation[i] = point.elevation;
    this.distance[i] = point.distance;
    this.timeOffsetNs[i] = point.timeOffsetNs;
  }

  /** The point at `index` (0-based), or undefined past the end. */
  at(index: number): PointFields | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return {
      x: this.x[index] ?? 0,
      y: this.y[index] ?? 0,
      z: this.z[index] ?? 0,
      intensity: this.intensity[index] ?? 0,
      returnType: this.returnType[index] ?? 0,
      channel: this.channel[index] ?? 0,
      azimuth: this.azimuth[index] ?? 0,
      elevation: this.elevation[index] ?? 0,
      distance: this.distance[index] ?? 0,
      timeOffsetNs: this.timeOffsetNs[index] ?? 0,
    };
  }

  /** Removes and returns the last point. */
  pop(): PointFields | undefined {
    const last = this.at(this.count - 1);
    if (last !== undefined) this.count--;
    return last;
  }

  /** Drops every point but keeps the allocated capacity for the next scan. */
  clear(): void {
    this.count = 0;
  }

  /** A copy of the points appended so far, trimmed to size. */
  build(): PointCloud {
    const n = this.count;
    return {
      length: n,
      x: this.x.slice(0, n),
      y: this.y.slice(0, n),
      z: this.z.slice(0, n),
      intensity: this.intensity.slice(0, n),
      returnType: this.returnType.slice(0, n),
      channel: this.channel.slice(0, n),
      azimuth: this.azimuth.slice(0, n),
      elevation: this.elevation.slice(0, n),
      distance: this.distance.slice(0, n),
      timeOffsetNs: this.timeOffsetNs.slice(0, n),
    };
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.x = resized(this.x, new Float32Array(capacity));
    this.y = resized(this.y, new Float32Array(capacity));
    this.z = resized(this.z, new Float32Array(capacity));
    this.intensity = resized(this.intensity, new Uint8Array(capacity));
    this.returnType = resized(this.returnType, new Uint8Array(capacity));
    this.channel = resized(this.channel, new Uint16Array(capacity));
    this.azimuth = resized(this.azimuth, new Float32Array(capacity));
    this.elevation = resized(this.elevation, new Float32Array(capacity));
    this.distance = resized(this.distance, new Float32Array(capacity));
    this.timeOffsetNs = resized(this.timeOffsetNs, new Uint32Array(capacity));
    this.capacity = capacity;
  }
}

function resized<T extends Float32Array | Uint8Array | Uint16Array | Uint32Array>(
  from: T,
  to: T,
): T {
  to.set(from);
  return to;
}
