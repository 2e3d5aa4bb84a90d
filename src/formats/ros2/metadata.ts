/**
 * rosbag2 `metadata.yaml` (versions 1 to 9): the list of storage files of a bag, its storage
 * plugin, and the topics with their types and message counts as the recorder saw them.
 */
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';

/** Newest metadata version this reader knows. */
export const maxMetadataVersion = 9;

/** One topic of a bag, as `metadata.yaml` lists it. */
export interface Ros2TopicMetadata {
  readonly name: string;
  /** Message type, e.g. `sensor_msgs/msg/PointCloud2`. */
  readonly type: string;
  /** Serialization of the messages, `cdr` in practice. */
  readonly serializationFormat: string;
  /** QoS profiles as YAML text (versions 1 to 8) or re-serialized (version 9 lists). */
  readonly offeredQosProfiles: string;
  /** `RIHS01_…` hash of the type description (version 7 and later), or empty. */
  readonly typeDescriptionHash: string;
  readonly messageCount: number;
}

/** One storage file, as the `files` list (version 5 and later) describes it. */
export interface Ros2FileMetadata {
  readonly path: string;
  readonly startingTime: bigint;
  readonly duration: bigint;
  readonly messageCount: number;
}

/** The contents of a rosbag2 `metadata.yaml`. */
export interface Ros2BagMetadata {
  readonly version: number;
  /** Storage plugin: `sqlite3` or `mcap`. */
  readonly storageIdentifier: string;
  /** Storage files in recording order, relative to the bag folder. */
  readonly relativeFilePaths: readonly string[];
  readonly files: readonly Ros2FileMetadata[];
  readonly startingTime: bigint;
  readonly duration: bigint;
  readonly messageCount: number;
  readonly topics: readonly Ros2TopicMetadata[];
  /** Empty when the bag is not compressed. */
  readonly compressionFormat: string;
  readonly compressionMode: string;
  readonly rosDistro: string;
  readonly customData: Readonly<Record<string, string>>;
}

type Path = readonly (string | number)[];

/** Reads typed fields of the document, reporting problems at the offending node. */
class Fields {
  constructor(
    private readonly doc: Document,
    private readonly file: string,
  ) {}

  private node(path: Path): Node | undefined {
    const node: unknown = this.doc.getIn(path, true);
    return node === undefined || node === null ? undefined : (node as Node);
  }

  private offset(path: Path): number {
    for (let i = path.length; i >= 0; i--) {
      const range = this.node(path.slice(0, i))?.range;
      if (range !== undefined && range !== null) return range[0];
    }
    return 0;
  }

  fail(path: Path, message: string): CorruptRecording {
    return new CorruptRecording(this.file, this.offset(path), `${path.join('.')}: ${message}`);
  }

  private scalar(path: Path): unknown {
    const node = this.node(path);
    if (node === undefined) return undefined;
    if (!isScalar(node)) throw this.fail(path, 'expected a single value');
    return node.value;
  }

  string(path: Path, fallback?: string): string {
    const value = this.scalar(path);
    if (value === undefined || value === null) {
      if (fallback !== undefined) return fallback;
      throw this.fail(path, 'missing');
    }
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      return String(value);
    }
    throw this.fail(path, 'expected text');
  }

  integer(path: Path, fallback?: bigint): bigint {
    const value = this.scalar(path);
    if (value === undefined || value === null) {
      if (fallback !== undefined) return fallback;
      throw this.fail(path, 'missing');
    }
    if (typeof value === 'bigint' && value >= 0n) return value;
    const found = typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
    throw this.fail(path, `expected a non-negative integer, found ${found}`);
  }

  count(path: Path, fallback?: number): number {
    const value = this.integer(path, fallback === undefined ? undefined : BigInt(fallback));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(path, 'count too large');
    return Number(value);
  }

  length(path: Path): number {
    const node = this.node(path);
    if (node === undefined) return 0;
    if (!isSeq(node)) throw this.fail(path, 'expected a list');
    return node.items.length;
  }

  isMap(path: Path): boolean {
    return isMap(this.node(path));
  }

  /** A value that may be text or structured YAML, as text. */
  text(path: Path): string {
    const node = this.node(path);
    if (node === undefined) return '';
    if (isScalar(node)) return this.string(path, '');
    return String(node);
  }

  stringMap(path: Path): Record<string, string> {
    const node = this.node(path);
    if (node === undefined || (isScalar(node) && (node.value === null || node.value === '')))
      return {};
    if (!isMap(node)) throw this.fail(path, 'expected a map');
    const out: Record<string, string> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = this.string([...path, key], '');
    }
    return out;
  }
}

/**
 * Parses the text of a rosbag2 `metadata.yaml`. Throws `CorruptRecording` (with the byte
 * offset of the offending node) for malformed YAML or fields, and `Unsupported` for metadata
 * versions newer than this reader knows.
 */
export function parseRos2Metadata(text: string, file = 'metadata.yaml'): Ros2BagMetadata {
  const doc = parseDocument(text, { intAsBigInt: true, uniqueKeys: false, prettyErrors: false });
  const error = doc.errors[0];
  if (error !== undefined) {
    throw new CorruptRecording(
      file,
      error.pos[0],
      `not valid YAML: ${error.message.split('\n')[0]}`,
    );
  }
  const fields = new Fields(doc, file);
  const root = 'rosbag2_bagfile_information';
  if (!fields.isMap([root]))
    throw fields.fail([root], 'missing; this is not a rosbag2 metadata file');
  const version = fields.count([root, 'version'], 1);
  if (version < 1 || version > maxMetadataVersion) {
    throw new Unsupported(
      `${file}: rosbag2 metadata version ${version} is not supported (1 to ${maxMetadataVersion})`,
      { file, version },
    );
  }
  const topics: Ros2TopicMetadata[] = [];
  for (let i = 0; i < fields.length([root, 'topics_with_message_count']); i++) {
    const at = [root, 'topics_with_message_count', i];
    topics.push({
      name: fields.string([...at, 'topic_metadata', 'name']),
      type: fields.string([...at, 'topic_metadata', 'type']),
      serializationFormat: fields.string([...at, 'topic_metadata', 'serialization_format'], 'cdr'),
      offeredQosProfiles: fields.text([...at, 'topic_metadata', 'offered_qos_profiles']),
      typeDescriptionHash: fields.string([...at, 'topic_metadata', 'type_description_hash'], ''),
      messageCount: fields.count([...at, 'message_count'], 0),
    });
  }
  const files: Ros2FileMetadata[] = [];
  for (let i = 0; i < fields.length([root, 'files']); i++) {
    const at = [root, 'files', i];
    files.push({
      path: fields.string([...at, 'path']),
      startingTime: fields.integer([...at, 'starting_time', 'nanoseconds_since_epoch'], 0n),
      duration: fields.integer([...at, 'duration', 'nanoseconds'], 0n),
      messageCount: fields.count([...at, 'message_count'], 0),
    });
  }
  const relativeFilePaths: string[] = [];
  for (let i = 0; i < fields.length([root, 'relative_file_paths']); i++) {
    relativeFilePaths.push(fields.string([root, 'relative_file_paths', i]));
  }
  if (relativeFilePaths.length === 0) relativeFilePaths.push(...files.map((f) => f.path));
  for (const [i, path] of relativeFilePaths.entries()) {
    if (path === '' || path.startsWith('/') || path.split(/[\\/]/).includes('..')) {
      throw fields.fail(
        [root, 'relative_file_paths', i],
        `'${path}' is not a path inside the bag folder`,
      );
    }
  }
  return {
    version,
    storageIdentifier: fields.string([root, 'storage_identifier']),
    relativeFilePaths,
    files,
    startingTime: fields.integer([root, 'starting_time', 'nanoseconds_since_epoch'], 0n),
    duration: fields.integer([root, 'duration', 'nanoseconds'], 0n),
    messageCount: fields.count([root, 'message_count'], 0),
    topics,
    compressionFormat: fields.string([root, 'compression_format'], ''),
    compressionMode: fields.string([root, 'compression_mode'], ''),
    rosDistro: fields.string([root, 'ros_distro'], ''),
    customData: fields.stringMap([root, 'custom_data']),
  };
}
