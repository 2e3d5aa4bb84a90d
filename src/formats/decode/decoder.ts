/**
 * Decoding message payloads into JavaScript objects, by the channel's message and schema
 * encodings: ROS 1 (`ros1` + `ros1msg`), ROS 2 CDR (`cdr` + `ros2msg`), JSON (`json`, with or
 * without a `jsonschema`), and Protocol Buffers (`protobuf` + a FileDescriptorSet), each with
 * the field's maintained library.
 */
import type { MessageDefinition } from '@foxglove/message-definition';
import { ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import { parse as parseMessageDefinition } from '@foxglove/rosmsg';
import { MessageReader as Ros1Reader } from '@foxglove/rosmsg-serialization';
import { MessageReader as CdrReader } from '@foxglove/rosmsg2-serialization';
import { protobufFromBinaryDescriptor } from '@mcap/support';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import type { ChannelInfo } from '../source.js';

/** The parts of a channel that decide how its messages decode. */
export type SchemaSource = Pick<
  ChannelInfo,
  'topic' | 'schemaName' | 'schemaEncoding' | 'schemaData' | 'messageEncoding'
>;

/** Decodes the payloads of one channel. */
export interface MessageDecoder {
  /** Message definitions (ROS encodings only), for tools that walk the decoded structure. */
  readonly definitions?: readonly MessageDefinition[];
  /** Decodes one payload; `offset` (of the message in the file) is for the error it may raise. */
  decode(data: Uint8Array, offset?: number): unknown;
}

/** Where decoding errors are reported. */
export interface DecodeContext {
  /** The recording the messages come from. */
  readonly file: string;
}

const textDecoder = new TextDecoder();

/** ROS 2 definitions shipped with ROS (std_msgs, sensor_msgs, …), for bags that do not store them. */
const commonRos2 = new Map<string, MessageDefinition>();
for (const [name, definition] of Object.entries(ros2jazzy)) {
  const parts = name.split('/');
  commonRos2.set(parts.length === 2 ? `${parts[0]!}/msg/${parts[1]!}` : name, definition);
  commonRos2.set(name, definition);
}

/** The parsed definitions of a ROS channel: the root type first, then the types it uses. */
export function rosDefinitions(channel: SchemaSource, context: DecodeContext): MessageDefinition[] {
  const text = textDecoder.decode(channel.schemaData);
  if (
    channel.messageEncoding === 'ros1' &&
    (channel.schemaEncoding === 'ros1msg' || channel.schemaEncoding === '')
  ) {
    if (text === '') throw noSchema(channel);
    return parseOrFail(text, false, channel, context);
  }
  if (channel.messageEncoding === 'cdr') {
    if (channel.schemaEncoding === 'ros2msg') return parseOrFail(text, true, channel, context);
    if (channel.schemaEncoding === '' || text === '') {
      const root = commonRos2.get(channel.schemaName);
      if (root === undefined) throw noSchema(channel);
      return [root, ...commonRos2.values()];
    }
  }
  throw new Unsupported(
    `topic '${channel.topic}': ${channel.messageEncoding} messages with '${channel.schemaEncoding}' schemas cannot be decoded (supported: ros1msg, ros2msg, jsonschema, protobuf)`,
    {
      topic: channel.topic,
      schemaEncoding: channel.schemaEncoding,
      messageEncoding: channel.messageEncoding,
    },
  );
}

function noSchema(channel: SchemaSource): Unsupported {
  return new Unsupported(
    `topic '${channel.topic}': the recording stores no definition of '${channel.schemaName}', and it is not a standard ROS type`,
    { topic: channel.topic, schemaName: channel.schemaName },
  );
}

function parseOrFail(
  text: string,
  ros2: boolean,
  channel: SchemaSource,
  context: DecodeContext,
): MessageDefinition[] {
  try {
    return parseMessageDefinition(text, { ros2 });
  } catch (error) {
    throw new CorruptRecording(
      context.file,
      0,
      `schema '${channel.schemaName}' of topic '${channel.topic}' does not parse: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Builds the decoder for a channel. Throws `Unsupported` for encodings drivetrain cannot
 * decode and `CorruptRecording` for a schema that does not parse; the decoder throws
 * `CorruptRecording` for a payload that does not match its schema.
 */
export function createMessageDecoder(
  channel: SchemaSource,
  context: DecodeContext,
): MessageDecoder {
  const fail = (offset: number, error: unknown): CorruptRecording =>
    new CorruptRecording(
      context.file,
      offset,
      `message on '${channel.topic}' does not decode as ${channel.messageEncoding} '${channel.schemaName}': ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  const guarded =
    (decode: (data: Uint8Array) => unknown): ((data: Uint8Array, offset?: number) => unknown) =>
    (data, offset = 0) => {
      try {
        return decode(data);
      } catch (error) {
        throw fail(offset, error);
      }
    };

  switch (channel.messageEncoding) {
    case 'ros1': {
      const definitions = rosDefinitions(channel, context);
      const reader = new Ros1Reader(definitions);
      return { definitions, decode: guarded((data) => reader.readMessage(data)) };
    }
    case 'cdr': {
      const definitions = rosDefinitions(channel, context);
      const reader = new CdrReader(definitions);
      return { definitions, decode: guarded((data) => reader.readMessage(data)) };
    }
    case 'json':
      if (channel.schemaEncoding !== '' && channel.schemaEncoding !== 'jsonschema') break;
      return { decode: guarded((data) => JSON.parse(textDecoder.decode(data)) as unknown) };
    case 'protobuf': {
      if (channel.schemaEncoding !== 'protobuf') break;
      let type: ReturnType<ReturnType<typeof protobufFromBinaryDescriptor>['lookupType']>;
      try {
        type = protobufFromBinaryDescriptor(channel.schemaData).lookupType(channel.schemaName);
      } catch (error) {
        throw new CorruptRecording(
          context.file,
          0,
          `protobuf schema '${channel.schemaName}' of topic '${channel.topic}' does not load: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      return {
        decode: guarded((data) =>
          type.toObject(type.decode(data), { longs: String, enums: String, defaults: true }),
        ),
      };
    }
    default:
  }
  throw new Unsupported(
    `topic '${channel.topic}': message encoding '${channel.messageEncoding}' with schema encoding '${channel.schemaEncoding}' cannot be decoded`,
    {
      topic: channel.topic,
      schemaEncoding: channel.schemaEncoding,
      messageEncoding: channel.messageEncoding,
    },
  );
}
