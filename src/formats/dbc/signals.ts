/**
 * From CAN frames to physical signal time series with a DBC: frames on transport-protocol
 * identifiers are re-assembled first (ISO-TP for long standard-id messages such as UDS
 * responses, NMEA 2000 fast packets for long J1939 messages), then decoded.
 *
 * Re-assembled ISO-TP messages are decoded the way CSS Electronics' transport-protocol DBCs
 * (e.g. `tp_uds.dbc`) lay them out: one length byte (the single frame's PCI byte, or the low
 * byte of the first frame's length) followed by the message, so that byte 1 is the UDS service
 * id. Fast-packet messages are decoded as the bare payload (byte 0 is the NMEA sequence id).
 */
import type { RecordingSource } from '../source.js';
import { decodeCanFrame } from '../mdf4/can.js';
import type { DecodedMessage, FrameLike } from './decode.js';
import { DbcDecoder, j1939Pgn } from './decode.js';
import type { DbcDatabase } from './parse.js';
import type { TransportFrame, TransportMessage } from './transport.js';
import { FastPacketReassembler, IsoTpReassembler } from './transport.js';

/** One value of one signal. */
export interface SignalSample {
  readonly name: string;
  /** Name of the DBC message the signal belongs to. */
  readonly message: string;
  readonly unit: string;
  /** Log time, nanoseconds since the Unix epoch (of the first frame for re-assembled messages). */
  readonly time: bigint;
  readonly value: number;
  /** Value-table text for the raw value, when the DBC has one. */
  readonly label?: string;
  readonly busChannel: number;
}

/** A signal as a time series. */
export interface SignalTimeSeries {
  readonly name: string;
  readonly message: string;
  readonly unit: string;
  readonly time: bigint[];
  readonly value: number[];
}

/** How to decode. */
export interface SignalOptions {
  /** Standard identifiers carrying ISO-TP; default: those of DBC messages longer than 8 bytes. */
  readonly isoTpIds?: readonly number[];
  /** PGNs sent as NMEA 2000 fast packets; default: J1939 DBC messages longer than 8 bytes. */
  readonly fastPacketPgns?: readonly number[];
  /** Only emit these signals (by name); all when absent. */
  readonly signals?: readonly string[];
}

/** A frame with its bus, as the signal decoder takes it. */
export type BusFrame = FrameLike & Pick<TransportFrame, 'busChannel'>;

/** Decodes frames to signal samples, re-assembling transport-protocol messages on the way. */
export class CanSignalDecoder {
  private readonly decoder: DbcDecoder;
  private readonly isoTp: IsoTpReassembler;
  private readonly fastPacket: FastPacketReassembler;
  private readonly wanted: ReadonlySet<string> | undefined;

  constructor(database: DbcDatabase, options: SignalOptions = {}) {
    this.decoder = new DbcDecoder(database);
    const long = database.messages.filter((m) => m.size > 8);
    const isoTpIds = new Set(
      options.isoTpIds ?? long.filter((m) => !m.j1939 && !m.extended).map((m) => m.id),
    );
    const pgns = new Set(
      options.fastPacketPgns ?? long.filter((m) => m.j1939).map((m) => j1939Pgn(m.id)),
    );
    this.isoTp = new IsoTpReassembler((f) => !f.ide && isoTpIds.has(f.id));
    this.fastPacket = new FastPacketReassembler((f) => f.ide && pgns.has(j1939Pgn(f.id)));
    this.wanted = options.signals === undefined ? undefined : new Set(options.signals);
  }

  /** Feeds one frame; returns the samples of the message it decodes or completes. */
  push(time: bigint, frame: BusFrame): SignalSample[] {
    const isoTp = this.isoTp.push(time, frame);
    if (isoTp !== undefined)
      return this.samples(isoTp, this.decoder.decode({ ...isoTp, data: withLengthByte(isoTp) }));
    const fastPacket = this.fastPacket.push(time, frame);
    if (fastPacket !== undefined)
      return this.samples(
        fastPacket,
        this.decoder.decode({ ...fastPacket, data: fastPacket.payload }),
      );
    const transport = frame.ide ? this.fastPacket.accepts(frame) : this.isoTp.accepts(frame);
    if (transport) return [];
    return this.samples(
      { time, busChannel: frame.busChannel, id: frame.id, ide: frame.ide, payload: frame.data },
      this.decoder.decode(frame),
    );
  }

  private samples(source: TransportMessage, decoded: DecodedMessage | undefined): SignalSample[] {
    if (decoded === undefined) return [];
    const out: SignalSample[] = [];
    for (const signal of decoded.signals) {
      if (this.wanted !== undefined && !this.wanted.has(signal.name)) continue;
      out.push({
        name: signal.name,
        message: decoded.message.name,
        unit: signal.unit,
        time: source.time,
        value: signal.value,
        busChannel: source.busChannel,
        ...(signal.label === undefined ? {} : { label: signal.label }),
      });
    }
    return out;
  }
}

function withLengthByte(message: TransportMessage): Uint8Array {
  const data = new Uint8Array(message.payload.byteLength + 1);
  data[0] = message.payload.byteLength & 0xff;
  data.set(message.payload, 1);
  return data;
}

/** Decodes every CAN frame of a recording (channels with `can` message encoding) to signals. */
export async function* recordingSignals(
  source: RecordingSource,
  database: DbcDatabase,
  options: SignalOptions = {},
): AsyncGenerator<SignalSample> {
  const summary = await source.summary();
  const channelIds = summary.channels.filter((c) => c.messageEncoding === 'can').map((c) => c.id);
  if (channelIds.length === 0) return;
  const decoder = new CanSignalDecoder(database, options);
  for await (const message of source.messages({ channelIds })) {
    yield* decoder.push(message.logTime, decodeCanFrame(message.data));
  }
}

/** Collects samples into one time series per message and signal, keyed `message.signal`. */
export async function timeSeries(
  samples: AsyncIterable<SignalSample>,
): Promise<Map<string, SignalTimeSeries>> {
  const out = new Map<string, SignalTimeSeries>();
  for await (const sample of samples) {
    const key = `${sample.message}.${sample.name}`;
    let series = out.get(key);
    if (series === undefined) {
      series = {
        name: sample.name,
        message: sample.message,
        unit: sample.unit,
        time: [],
        value: [],
      };
      out.set(key, series);
    }
    series.time.push(sample.time);
    series.value.push(sample.value);
  }
  return out;
}
