import { McapWriter } from '@mcap/core';
import type { McapWriterOptions } from '@mcap/core';
import zstd from '@foxglove/wasm-zstd';

/** One channel of a generated MCAP file. */
export interface GeneratedChannel {
  topic: string;
  schemaName?: string;
  schemaEncoding?: string;
  schema?: Uint8Array;
  messageEncoding?: string;
}

/** One message of a generated MCAP file, on `channels[channel]`. */
export interface GeneratedMessage {
  channel: number;
  logTime: bigint;
  publishTime?: bigint;
  sequence?: number;
  data: Uint8Array;
}

/** Options of `writeMcap`, passed to @mcap/core's writer, plus chunk compression. */
export type GenerateOptions = Partial<Omit<McapWriterOptions, 'writable' | 'compressChunk'>> & {
  compression?: 'zstd';
  metadata?: { name: string; entries: Record<string, string> }[];
  attachments?: { name: string; mediaType: string; data: Uint8Array }[];
};

/** Writes an MCAP file in memory with @mcap/core's reference writer. */
export async function writeMcap(
  channels: GeneratedChannel[],
  messages: GeneratedMessage[],
  options: GenerateOptions = {},
): Promise<Uint8Array> {
  await zstd.isLoaded;
  const parts: Uint8Array[] = [];
  let position = 0n;
  const { compression, metadata, attachments, ...writerOptions } = options;
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: (bytes: Uint8Array) => {
        parts.push(bytes.slice());
        position += BigInt(bytes.byteLength);
        return Promise.resolve();
      },
    },
    startChannelId: 1,
    ...writerOptions,
    ...(compression === 'zstd'
      ? {
          compressChunk: (data: Uint8Array) => ({
            compression: 'zstd',
            compressedData: new Uint8Array(zstd.compress(data, 3)),
          }),
        }
      : {}),
  });
  await writer.start({ profile: 'test', library: 'drivetrain-tests' });
  const ids: number[] = [];
  for (const channel of channels) {
    const schemaId =
      channel.schemaName === undefined
        ? 0
        : await writer.registerSchema({
            name: channel.schemaName,
            encoding: channel.schemaEncoding ?? '',
            data: channel.schema ?? new Uint8Array(0),
          });
    ids.push(
      await writer.registerChannel({
        schemaId,
        topic: channel.topic,
        messageEncoding: channel.messageEncoding ?? 'raw',
        metadata: new Map([['origin', 'generated']]),
      }),
    );
  }
  for (const message of messages) {
    await writer.addMessage({
      channelId: ids[message.channel]!,
      sequence: message.sequence ?? 0,
      logTime: message.logTime,
      publishTime: message.publishTime ?? message.logTime,
      data: message.data,
    });
  }
  for (const record of metadata ?? []) {
    await writer.addMetadata({
      name: record.name,
      metadata: new Map(Object.entries(record.entries)),
    });
  }
  for (const attachment of attachments ?? []) {
    await writer.addAttachment({ ...attachment, logTime: 1n, createTime: 1n });
  }
  await writer.end();
  const out = new Uint8Array(Number(position));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
