/**
 * The manifest of a dataset version: one row per synchronized sample, with, for each stream,
 * the channel, topic, log time, stamp and byte location of its message. Flat columns, so any
 * Parquet reader (pyarrow, PyTorch data loaders) takes it as a table.
 */
import type { DatasetDefinition } from './definition.js';
import {
  encodeRowGroup,
  type ColumnData,
  type ColumnSpec,
  type EncodedRowGroup,
} from './parquet/writer.js';
import type { SampleColumns } from './samples.js';

/** Per-stream columns, by suffix: `<stream>_<suffix>`. */
export const streamColumns = [
  'topic',
  'channel',
  'log_time_ns',
  'stamp_ns',
  'offset',
  'length',
  'offset_in_chunk',
] as const;

/** The manifest's columns for a definition; a stream's columns are nullable unless it is required. */
export function manifestSchema(definition: DatasetDefinition): ColumnSpec[] {
  const required = new Set(definition.sync.required);
  const schema: ColumnSpec[] = [
    { name: 'recording_id', kind: 'string', optional: false },
    { name: 'recording_key', kind: 'string', optional: false },
    { name: 'vehicle', kind: 'string', optional: true },
    { name: 'segment_id', kind: 'string', optional: false },
    { name: 'split', kind: 'string', optional: false },
    { name: 'time_ns', kind: 'timestamp', optional: false },
  ];
  for (const stream of Object.keys(definition.sync.streams)) {
    const optional = !required.has(stream);
    schema.push(
      { name: `${stream}_topic`, kind: 'string', optional },
      { name: `${stream}_channel`, kind: 'int32', optional },
      { name: `${stream}_log_time_ns`, kind: 'timestamp', optional },
      { name: `${stream}_stamp_ns`, kind: 'timestamp', optional },
      { name: `${stream}_offset`, kind: 'int64', optional },
      { name: `${stream}_length`, kind: 'int32', optional },
      { name: `${stream}_offset_in_chunk`, kind: 'int32', optional },
    );
  }
  return schema;
}

// The loops over rows are functions of their own, so that V8 optimizes them alone instead of
// the whole encoder around them.

/** `table[keys[i]]` for the first `rows` keys. */
function lookUp(table: Int32Array, keys: Int32Array, rows: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) out[i] = table[keys[i]!]!;
  return out;
}

/** A copy of the first `rows` dictionary indices with -1 (null) where the stream is absent. */
function nullWhereAbsent(indices: Int32Array, present: Uint8Array, rows: number): Int32Array {
  const out = indices.slice(0, rows);
  for (let i = 0; i < rows; i++) if (present[i] === 0) out[i] = -1;
  return out;
}

/** Encodes the samples collected so far as one row group of the manifest. */
export function encodeSamples(
  definition: DatasetDefinition,
  samples: SampleColumns,
  splitNames: readonly string[],
): EncodedRowGroup {
  const rows = samples.rows;
  const vehicles = [...new Set(samples.vehicles.filter((v): v is string => v !== null))].sort();
  const vehicleIndex = samples.vehicles.map((v) => (v === null ? -1 : vehicles.indexOf(v)));
  const vehicleOfRow = lookUp(Int32Array.from(vehicleIndex), samples.recording, rows);
  const columns: ColumnData[] = [
    { dictionary: samples.recordings, indices: samples.recording.subarray(0, rows) },
    { dictionary: samples.recordingKeys, indices: samples.recording.subarray(0, rows) },
    { dictionary: vehicles, indices: vehicleOfRow },
    { dictionary: samples.segments, indices: samples.segment.subarray(0, rows) },
    { dictionary: splitNames, indices: samples.split.subarray(0, rows) },
    { values: samples.time.subarray(0, rows) },
  ];
  const required = new Set(definition.sync.required);
  Object.keys(definition.sync.streams).forEach((stream, s) => {
    const column = samples.streams[s]!;
    const present = column.present.subarray(0, rows);
    const optional = !required.has(stream);
    const topics = optional
      ? nullWhereAbsent(column.topic, present, rows)
      : column.topic.subarray(0, rows);
    const nullable = optional ? { present } : {};
    columns.push(
      { dictionary: samples.topics, indices: topics },
      { values: column.channel.subarray(0, rows), ...nullable },
      { values: column.logTime.subarray(0, rows), ...nullable },
      { values: column.stamp.subarray(0, rows), ...nullable },
      { values: column.offset.subarray(0, rows), ...nullable },
      { values: column.length.subarray(0, rows), ...nullable },
      { values: column.offsetInChunk.subarray(0, rows), ...nullable },
    );
  });
  return encodeRowGroup(manifestSchema(definition), columns, rows);
}
