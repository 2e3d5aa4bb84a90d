/** DBC decoding of CAN frames, with ISO-TP and NMEA 2000 fast-packet re-assembly. */
export { parseDbc } from './parse.js';
export type { DbcDatabase, DbcMessage, DbcSignal } from './parse.js';
export { DbcDecoder, j1939Pgn } from './decode.js';
export type { DecodedMessage, DecodedSignal, FrameLike } from './decode.js';
export { IsoTpReassembler, FastPacketReassembler } from './transport.js';
export type { TransportFrame, TransportMessage } from './transport.js';
export { CanSignalDecoder, recordingSignals, timeSeries } from './signals.js';
export type { BusFrame, SignalOptions, SignalSample, SignalTimeSeries } from './signals.js';
