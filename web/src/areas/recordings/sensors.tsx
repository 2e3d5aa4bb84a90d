import {
  Camera,
  CircleHelp,
  Compass,
  Gauge,
  Microchip,
  Radar,
  RadioTower,
  Satellite,
  type LucideIcon,
} from 'lucide-react';
import { sensorKinds, type SensorKind } from '../../api/index.js';

interface SensorLook {
  readonly label: string;
  readonly icon: LucideIcon;
  /** Hue of the sensor's lines in plots; channels of one sensor vary in lightness. */
  readonly hue: number;
}

const looks: Record<SensorKind, SensorLook> = {
  camera: { label: 'Camera', icon: Camera, hue: 215 },
  lidar: { label: 'Lidar', icon: Radar, hue: 145 },
  radar: { label: 'Radar', icon: RadioTower, hue: 28 },
  can: { label: 'CAN bus', icon: Microchip, hue: 350 },
  gnss: { label: 'GNSS', icon: Satellite, hue: 180 },
  imu: { label: 'IMU', icon: Gauge, hue: 275 },
  pose: { label: 'Pose', icon: Compass, hue: 50 },
  other: { label: 'Other', icon: CircleHelp, hue: 0 },
};

/** The sensor kind of a channel; a kind this UI does not know counts as other. */
export function sensorKind(sensor: string): SensorKind {
  return (sensorKinds as readonly string[]).includes(sensor) ? (sensor as SensorKind) : 'other';
}

/** How a sensor kind is named in the UI. */
export function sensorLabel(sensor: string): string {
  return looks[sensorKind(sensor)].label;
}

/**
 * A distinct colour for the `index`-th of `count` channels of one sensor: the sensor's hue, from
 * dark to light, so channels group by sensor at a glance and stay apart within it.
 */
export function sensorColor(sensor: string, index: number, count: number): string {
  const kind = sensorKind(sensor);
  const lightness = count <= 1 ? 45 : 32 + (index * 34) / (count - 1);
  const saturation = kind === 'other' ? 0 : 70;
  return `hsl(${looks[kind].hue} ${saturation}% ${Math.round(lightness)}%)`;
}

/** A sensor kind with its icon. */
export function SensorLabel({ sensor }: { readonly sensor: string }) {
  const { icon: Icon, label } = looks[sensorKind(sensor)];
  return (
    <span className="sensor-label">
      <Icon size={15} aria-hidden />
      {label}
    </span>
  );
}
