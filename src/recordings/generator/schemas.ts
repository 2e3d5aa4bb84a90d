import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';

/**
 * ROS 2 message definitions of every type the generator writes, in the `ros2msg` schema encoding
 * of MCAP: the root definition followed by each dependency under a `MSG: pkg/Type` separator, as
 * rosbag2 writes them. Field names, types and constants follow the upstream packages
 * (builtin_interfaces, std_msgs, geometry_msgs, sensor_msgs, nav_msgs, radar_msgs, can_msgs).
 */
const definitions: Readonly<Record<string, string>> = {
  'builtin_interfaces/Time': 'int32 sec\nuint32 nanosec\n',
  'std_msgs/Header': 'builtin_interfaces/Time stamp\nstring frame_id\n',
  'geometry_msgs/Quaternion': 'float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n',
  'geometry_msgs/Vector3': 'float64 x\nfloat64 y\nfloat64 z\n',
  'sensor_msgs/CompressedImage': 'std_msgs/Header header\nstring format\nuint8[] data\n',
  'sensor_msgs/Image': [
    'std_msgs/Header header',
    'uint32 height',
    'uint32 width',
    'string encoding',
    'uint8 is_bigendian',
    'uint32 step',
    'uint8[] data',
    '',
  ].join('\n'),
  'sensor_msgs/PointField': [
    'uint8 INT8    = 1',
    'uint8 UINT8   = 2',
    'uint8 INT16   = 3',
    'uint8 UINT16  = 4',
    'uint8 INT32   = 5',
    'uint8 UINT32  = 6',
    'uint8 FLOAT32 = 7',
    'uint8 FLOAT64 = 8',
    'string name',
    'uint32 offset',
    'uint8  datatype',
    'uint32 count',
    '',
  ].join('\n'),
  'sensor_msgs/PointCloud2': [
    'std_msgs/Header header',
    'uint32 height',
    'uint32 width',
    'PointField[] fields',
    'bool    is_bigendian',
    'uint32  point_step',
    'uint32  row_step',
    'uint8[] data',
    'bool is_dense',
    '',
  ].join('\n'),
  'radar_msgs/RadarReturn': [
    'float32 range',
    'float32 azimuth',
    'float32 elevation',
    'float32 doppler_velocity',
    'float32 amplitude',
    '',
  ].join('\n'),
  'radar_msgs/RadarScan': 'std_msgs/Header header\nradar_msgs/RadarReturn[] returns\n',
  'sensor_msgs/Imu': [
    'std_msgs/Header header',
    'geometry_msgs/Quaternion orientation',
    'float64[9] orientation_covariance',
    'geometry_msgs/Vector3 angular_velocity',
    'float64[9] angular_velocity_covariance',
    'geometry_msgs/Vector3 linear_acceleration',
    'float64[9] linear_acceleration_covariance',
    '',
  ].join('\n'),
  'sensor_msgs/NavSatStatus': [
    'int8 STATUS_NO_FIX =  -1',
    'int8 STATUS_FIX =      0',
    'int8 STATUS_SBAS_FIX = 1',
    'int8 STATUS_GBAS_FIX = 2',
    'int8 status',
    'uint16 SERVICE_GPS =     1',
    'uint16 SERVICE_GLONASS = 2',
    'uint16 SERVICE_COMPASS = 4',
    'uint16 SERVICE_GALILEO = 8',
    'uint16 service',
    '',
  ].join('\n'),
  'sensor_msgs/NavSatFix': [
    'std_msgs/Header header',
    'NavSatStatus status',
    'float64 latitude',
    'float64 longitude',
    'float64 altitude',
    'float64[9] position_covariance',
    'uint8 COVARIANCE_TYPE_UNKNOWN = 0',
    'uint8 COVARIANCE_TYPE_APPROXIMATED = 1',
    'uint8 COVARIANCE_TYPE_DIAGONAL_KNOWN = 2',
    'uint8 COVARIANCE_TYPE_KNOWN = 3',
    'uint8 position_covariance_type',
    '',
  ].join('\n'),
  'can_msgs/Frame': [
    'std_msgs/Header header',
    'uint32 id',
    'bool is_rtr',
    'bool is_extended',
    'bool is_error',
    'uint8 dlc',
    'uint8[8] data',
    '',
  ].join('\n'),
};

/** Dependencies in the order rosbag2 appends them (depth-first, first use). */
const dependencies: Readonly<Record<string, readonly string[]>> = {
  'std_msgs/Header': ['builtin_interfaces/Time'],
  'sensor_msgs/CompressedImage': ['std_msgs/Header'],
  'sensor_msgs/Image': ['std_msgs/Header'],
  'sensor_msgs/PointCloud2': ['std_msgs/Header', 'sensor_msgs/PointField'],
  'radar_msgs/RadarScan': ['std_msgs/Header', 'radar_msgs/RadarReturn'],
  'sensor_msgs/Imu': ['std_msgs/Header', 'geometry_msgs/Quaternion', 'geometry_msgs/Vector3'],
  'sensor_msgs/NavSatFix': ['std_msgs/Header', 'sensor_msgs/NavSatStatus'],
  'can_msgs/Frame': ['std_msgs/Header'],
};

/** The ROS 2 message types the generator writes, by MCAP schema name. */
export const ros2SchemaNames = [
  'sensor_msgs/msg/CompressedImage',
  'sensor_msgs/msg/Image',
  'sensor_msgs/msg/PointCloud2',
  'radar_msgs/msg/RadarScan',
  'sensor_msgs/msg/Imu',
  'sensor_msgs/msg/NavSatFix',
  'can_msgs/msg/Frame',
] as const;

export type Ros2SchemaName = (typeof ros2SchemaNames)[number];

const separator = `${'='.repeat(80)}\n`;

function shortName(schemaName: string): string {
  return schemaName.replace('/msg/', '/');
}

function collect(type: string, seen: string[]): void {
  for (const dependency of dependencies[type] ?? []) {
    if (seen.includes(dependency)) continue;
    seen.push(dependency);
    collect(dependency, seen);
  }
}

/** The full `ros2msg` schema text of a message type, dependencies included. */
export function ros2SchemaText(schemaName: Ros2SchemaName): string {
  const root = shortName(schemaName);
  const rootText = definitions[root];
  if (rootText === undefined) throw new RangeError(`no definition for ${schemaName}`);
  const seen: string[] = [];
  collect(root, seen);
  let text = rootText;
  for (const dependency of seen) {
    text += `\n${separator}MSG: ${dependency}\n${definitions[dependency] ?? ''}`;
  }
  return text;
}

/** A CDR serializer for one message type, built from the same schema text written to the file. */
export function ros2Writer(schemaName: Ros2SchemaName): MessageWriter {
  return new MessageWriter(parse(ros2SchemaText(schemaName), { ros2: true }));
}
