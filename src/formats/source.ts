/**
 * The one interface every recording reader implements. Readers are pure: they see bytes only
 * through `RandomAccessReader`, so the same code reads a local file, an S3 object by range
 * requests, or a browser Blob, and can count exactly how many bytes it touched.
 */

/** Random access to the bytes of one file. */
export interface RandomAccessReader {
  /** Total size of the file in bytes. */
  size(): Promise<number>;
  /** Reads exactly `length` bytes at `offset` (fewer only at end of file). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type RecordingFormat = 'mcap' | 'ros1-bag' | 'ros2-bag' | 'mdf4';

/** Times are integer nanoseconds since the Unix epoch, as in MCAP and ROS. */
export type Nanoseconds = bigint;

/** One stream of messages in a recording: a topic with its schema and encoding. */
export interface ChannelInfo {
  /** Reader-assigned id, unique within the recording; used to filter `messages`. */
  readonly id: number;
  readonly topic: string;
  /** Schema name as the file states it, e.g. `sensor_msgs/msg/Image`, `foxglove.PointCloud`. */
  readonly schemaName: string;
  /** Schema encoding, e.g. `ros2msg`, `ros1msg`, `protobuf`, `jsonschema`, `mdf4`; empty if none. */
  readonly schemaEncoding: string;
  /** The schema text/bytes, needed to decode messages; empty if the channel has none. */
  readonly schemaData: Uint8Array;
  /** Message encoding, e.g. `cdr`, `ros1`, `protobuf`, `json`, `can`. */
  readonly messageEncoding: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Number of messages, when the reader knows it (from an index, statistics or a full pass). */
  readonly messageCount?: number;
  readonly startTime?: Nanoseconds;
  readonly endTime?: Nanoseconds;
}

/** A metadata record carried by the file (MCAP Metadata, MDF4 header comment, bag metadata). */
export interface RecordingMetadata {
  readonly name: string;
  readonly entries: Readonly<Record<string, string>>;
}

/** What a reader can say about a whole recording without decoding every message. */
export interface RecordingSummary {
  readonly format: RecordingFormat;
  /** Writer profile or library when the file names them (MCAP `profile`/`library`). */
  readonly profile?: string;
  readonly library?: string;
  readonly channels: readonly ChannelInfo[];
  readonly metadata: readonly RecordingMetadata[];
  readonly messageCount?: number;
  readonly startTime?: Nanoseconds;
  readonly endTime?: Nanoseconds;
}

/** Where a message's bytes sit, so a dataset manifest can point back at them. */
export interface ByteLocation {
  /** Offset of the record (or of the chunk holding it) in the file. */
  readonly offset: number;
  /** Length of the record (or chunk) in the file. */
  readonly length: number;
  /** For a message inside a compressed chunk: offset of the message in the decompressed chunk. */
  readonly offsetInChunk?: number;
  /** For recordings of several files (split rosbag2 bags): the file, relative to the recording. */
  readonly file?: string;
}

/** One message as stored, undecoded. */
export interface RecordedMessage {
  readonly channelId: number;
  readonly logTime: Nanoseconds;
  readonly publishTime: Nanoseconds;
  readonly sequence?: number;
  readonly data: Uint8Array;
  readonly location?: ByteLocation;
}

export interface MessageQuery {
  /** Inclusive lower bound on log time. */
  readonly startTime?: Nanoseconds;
  /** Inclusive upper bound on log time. */
  readonly endTime?: Nanoseconds;
  /** Channel ids to read; all channels when absent. */
  readonly channelIds?: readonly number[];
  /**
   * Called once per channel, before its first message is yielded, by readers that discover
   * channels while reading (a streamed MCAP file). Lets one pass both learn and read a file.
   */
  readonly onChannel?: (channel: ChannelInfo) => void;
  /** Called for each metadata record met while reading, by the same readers. */
  readonly onMetadata?: (record: RecordingMetadata) => void;
  /** Called for each attachment met while reading, by the same readers. */
  readonly onAttachment?: (attachment: RecordingAttachment) => void;
}

/** A file embedded in a recording (an MCAP attachment), e.g. the DBC of the CAN channels. */
export interface RecordingAttachment {
  readonly name: string;
  readonly mediaType: string;
  readonly data: Uint8Array;
}

/** An opened recording. */
export interface RecordingSource {
  readonly format: RecordingFormat;
  /** Channels, counts and time range; from the file's index/summary when it has one. */
  summary(): Promise<RecordingSummary>;
  /** Messages in log-time order (file order where the format has no index), filtered by query. */
  messages(query?: MessageQuery): AsyncIterable<RecordedMessage>;
  /**
   * The same messages as `messages`, handed over in arrays, by readers that produce them in
   * blocks (much cheaper per message on hot paths). `messageBatches(source, query)` gives
   * batches from any source.
   */
  messageBatches?(query?: MessageQuery): AsyncIterable<readonly RecordedMessage[]>;
  /**
   * Reads the one message stored at `location`, as yielded by `messages`. Absent where the
   * storage has no byte addresses (rosbag2 SQLite).
   */
  messageAt?(location: ByteLocation): Promise<RecordedMessage>;
  /** An embedded file by name, read through the file's index; absent when the format has none. */
  attachment?(name: string): Promise<RecordingAttachment | undefined>;
  /** Bytes this source has read from its reader(s) so far. */
  readonly bytesRead: number;
}
