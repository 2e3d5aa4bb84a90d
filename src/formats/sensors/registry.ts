import { Ars548MethodId } from './continental-ars548.js';
import { Srr520MessageId } from './continental-srr520.js';
import { hesaiModelOfPacket, type HesaiModelName } from './hesai.js';
import { velodyneModelOfPacket, velodynePacketSize, type VelodyneModelName } from './velodyne.js';

/** The packet decoders drivetrain has. */
export type SensorDecoderName = 'velodyne' | 'hesai' | 'continental-ars548' | 'continental-srr520';

/** A decoder that applies to a channel, and the sensor model when the packets name it. */
export interface SensorDecoderMatch {
  readonly decoder: SensorDecoderName;
  readonly kind: 'lidar' | 'radar';
  /** Set when a packet was given and says which model sent it. */
  readonly model?: VelodyneModelName | HesaiModelName;
}

const byName: Record<SensorDecoderName, SensorDecoderMatch> = {
  velodyne: { decoder: 'velodyne', kind: 'lidar' },
  hesai: { decoder: 'hesai', kind: 'lidar' },
  'continental-ars548': { decoder: 'continental-ars548', kind: 'radar' },
  'continental-srr520': { decoder: 'continental-srr520', kind: 'radar' },
};

/** Which decoders a packet container schema can carry, before looking at a packet. */
const candidatesBySchema: Record<string, readonly SensorDecoderName[]> = {
  'velodyne_msgs/msg/VelodyneScan': ['velodyne'],
  'pandar_msgs/msg/PandarScan': ['hesai'],
  // nebula publishes the packets of every sensor it drives in this one type.
  'nebula_msgs/msg/NebulaPackets': [
    'velodyne',
    'hesai',
    'continental-ars548',
    'continental-srr520',
  ],
};

const ars548Methods = new Set<number>(Object.values(Ars548MethodId));
const srr520Messages = new Set<number>(Object.values(Srr520MessageId));

/** Which decoder (if any) recognizes this packet. */
function decoderOfPacket(packet: Uint8Array): SensorDecoderMatch | undefined {
  if (packet.length === velodynePacketSize && packet[0] === 0xff) {
    const model = velodyneModelOfPacket(packet);
    if (model) return { ...byName.velodyne, model };
  }
  const hesai = hesaiModelOfPacket(packet);
  if (hesai) return { ...byName.hesai, model: hesai };
  if (packet.length >= 8) {
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    if (view.getUint16(0) === 0 && ars548Methods.has(view.getUint16(2))) {
      return byName['continental-ars548'];
    }
  }
  if (packet.length >= 4) {
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    if (srr520Messages.has(view.getUint32(0))) return byName['continental-srr520'];
  }
  return undefined;
}

/**
 * The decoders that can read a channel of packet containers with this schema name. Without a
 * packet, a `NebulaPackets` channel may be any of them; with its first packet the answer is the
 * one decoder that recognizes it (or none). Empty for schemas that carry no sensor packets.
 * Topic names are not consulted: they are configured per vehicle and name mounting positions,
 * not sensor models.
 */
export function sensorDecodersFor(
  schemaName: string,
  firstPacket?: Uint8Array,
): readonly SensorDecoderMatch[] {
  const candidates = candidatesBySchema[schemaName];
  if (candidates === undefined) return [];
  if (firstPacket === undefined) return candidates.map((name) => byName[name]);
  const match = decoderOfPacket(firstPacket);
  return match && candidates.includes(match.decoder) ? [match] : [];
}
