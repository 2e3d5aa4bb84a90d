/**
 * The official MCAP conformance suite (../shared/conformance/mcap): every variant through the
 * streamed reader, record for record, and every variant an indexed reader can support through
 * the indexed reader. See that folder's README for how expected outputs are derived.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TypedMcapRecord } from '@mcap/core';
import { describe, expect, it } from 'vitest';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { bytesReader, CheckedReader } from '../reader.js';
import { scanOptions } from './common.js';
import { openMcap } from './open.js';
import { McapIndexedSource } from './indexed.js';
import { McapStreamedSource, scanMcapRecords } from './streamed.js';

type Json = string | Json[] | { [key: string]: Json };
interface Serialized {
  type: string;
  fields: [string, Json][];
}
interface Expected {
  records: Serialized[];
  meta: { variant: { features: string[] } };
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function serializeValue(value: unknown): Json {
  if (typeof value === 'bigint' || typeof value === 'number') return value.toString();
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString());
  if (value instanceof Map) {
    const out: Record<string, Json> = {};
    for (const [k, v] of value as Map<unknown, unknown>) out[String(k)] = serializeValue(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(serializeValue);
  throw new Error(`cannot serialize ${String(value)}`);
}

/** The conformance suite's `{type, fields}` form of a record. */
function serialize(record: TypedMcapRecord): Serialized {
  const fields = Object.entries(record)
    .filter(([name]) => name !== 'type')
    .map(([name, value]): [string, Json] => [snake(name), serializeValue(value)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { type: record.type, fields };
}

function variants(): { input: string; name: string; path: string }[] {
  const root = sharedPath('conformance', 'mcap');
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(join(root, dir.name))
        .filter((file) => file.endsWith('.mcap'))
        .map((file) => ({
          input: dir.name,
          name: file.slice(0, -5),
          path: join(root, dir.name, file),
        })),
    );
}

function expected(path: string): Expected {
  return JSON.parse(readFileSync(path.replace(/\.mcap$/, '.json'), 'utf8')) as Expected;
}

async function streamed(path: string): Promise<Serialized[]> {
  const reader = await CheckedReader.open(path, bytesReader(new Uint8Array(readFileSync(path))));
  const out: Serialized[] = [];
  for await (const { record } of scanMcapRecords(reader, await scanOptions())) {
    if (record.type !== 'MessageIndex') out.push(serialize(record));
  }
  return out;
}

/**
 * Why the indexed reader does not run on a variant, or undefined when it does. These are the
 * rules of the upstream indexed runners (the Rust one, which like ours does not need message
 * indexes): without them a file cannot be read from its summary alone.
 */
function indexedUnsupported(records: Serialized[], features: Set<string>): string | undefined {
  if (!records.some((r) => r.type === 'Message'))
    return 'no messages: nothing for an index to locate';
  if (!features.has('ch')) return 'messages outside chunks: only a front-to-back pass finds them';
  if (!features.has('chx')) return 'no ChunkIndex records: the summary cannot locate chunks';
  if (!features.has('rch')) return 'channels only inside chunks: the summary cannot describe them';
  if (!features.has('rsh') && records.some((r) => r.type === 'Schema')) {
    return 'schemas only inside chunks: the summary cannot describe them';
  }
  return undefined;
}

function byId(records: Serialized[], type: string): Serialized[] {
  const seen = new Map<string, Serialized>();
  for (const record of records) {
    if (record.type !== type) continue;
    const id = record.fields.find(([name]) => name === 'id')![1] as string;
    if (!seen.has(id)) seen.set(id, record);
  }
  return [...seen.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, r]) => r);
}

function logTime(record: Serialized): bigint {
  return BigInt(record.fields.find(([name]) => name === 'log_time')![1] as string);
}

describeShared('MCAP conformance suite', () => {
  const all = variants();

  it('has all 416 variants', () => {
    expect(all).toHaveLength(416);
  });

  describe('streamed reader', () => {
    it.each(all)('$name', async ({ path }) => {
      expect(await streamed(path)).toEqual(expected(path).records);
    });
  });

  // Reading into reused buffers, in blocks small enough that records straddle them.
  const readers = [
    { reading: 'fresh blocks', options: () => ({}) },
    {
      reading: 'reused 64-byte blocks',
      options: (bytes: Uint8Array) => ({
        blockSize: 64,
        readInto: (offset: number, target: Uint8Array) => {
          const part = bytes.subarray(offset, offset + target.byteLength);
          target.set(part);
          return Promise.resolve(part.byteLength);
        },
      }),
    },
  ];

  describe.each(readers)('streamed RecordingSource, $reading', ({ options }) => {
    it.each(all)('$name: messages in file order, counts in the summary', async ({ path }) => {
      const records = expected(path).records;
      const bytes = new Uint8Array(readFileSync(path));
      const source = new McapStreamedSource(
        await CheckedReader.open(path, bytesReader(bytes)),
        await scanOptions(options(bytes)),
      );
      const messages: Serialized[] = [];
      for await (const m of source.messages()) {
        messages.push(
          serialize({
            type: 'Message',
            channelId: m.channelId,
            sequence: m.sequence ?? 0,
            logTime: m.logTime,
            publishTime: m.publishTime,
            data: m.data,
          }),
        );
      }
      expect(messages).toEqual(records.filter((r) => r.type === 'Message'));
      const summary = await source.summary();
      expect(summary.messageCount).toBe(messages.length);
      expect(summary.channels.map((c) => c.id)).toEqual(
        byId(records, 'Channel').map((c) => Number(c.fields.find(([n]) => n === 'id')![1])),
      );
    });
  });

  describe('indexed reader', () => {
    const supported = all.filter(({ path }) => {
      const { records, meta } = expected(path);
      return indexedUnsupported(records, new Set(meta.variant.features)) === undefined;
    });
    it('runs on every variant with messages, chunks, chunk indexes and repeated schemas and channels', () => {
      expect(supported.length).toBe(48);
    });
    it.each(supported)('$name', async ({ path }) => {
      const { records } = expected(path);
      const source = await openMcap(path, bytesReader(new Uint8Array(readFileSync(path))));
      expect(source).toBeInstanceOf(McapIndexedSource);
      const indexed = source as McapIndexedSource;
      const messages: Serialized[] = [];
      for await (const m of indexed.messages()) {
        messages.push(
          serialize({
            type: 'Message',
            channelId: m.channelId,
            sequence: m.sequence ?? 0,
            logTime: m.logTime,
            publishTime: m.publishTime,
            data: m.data,
          }),
        );
      }
      const expectedMessages = records
        .filter((r) => r.type === 'Message')
        .map((r, i) => ({ r, i }))
        .sort((a, b) =>
          logTime(a.r) < logTime(b.r) ? -1 : logTime(a.r) > logTime(b.r) ? 1 : a.i - b.i,
        )
        .map(({ r }) => r);
      expect({
        schemas: [...indexed.schemas.values()]
          .sort((a, b) => a.id - b.id)
          .map((s) => serialize({ type: 'Schema', ...s })),
        channels: [...indexed.channels.values()]
          .sort((a, b) => a.id - b.id)
          .map((c) => serialize({ type: 'Channel', ...c })),
        messages,
        statistics:
          indexed.statistics === undefined
            ? []
            : [serialize({ type: 'Statistics', ...indexed.statistics })],
      }).toEqual({
        schemas: byId(records, 'Schema'),
        channels: byId(records, 'Channel'),
        messages: expectedMessages,
        statistics: records.filter((r) => r.type === 'Statistics'),
      });
    });

    const unsupported = all
      .map(({ name, path }) => {
        const { records, meta } = expected(path);
        return { name, reason: indexedUnsupported(records, new Set(meta.variant.features)) };
      })
      .filter((v): v is { name: string; reason: string } => v.reason !== undefined);
    it.each(unsupported)(
      '$name is read by the streamed path instead: $reason',
      async ({ name }) => {
        const path = all.find((v) => v.name === name)!.path;
        const source = await openMcap(path, bytesReader(new Uint8Array(readFileSync(path))));
        expect(source.mode).toBe('streamed');
      },
    );
  });
});
