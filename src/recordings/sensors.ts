/** What a channel carries, as far as a perception engineer cares. */
export const sensors = ['camera', 'lidar', 'radar', 'can', 'gnss', 'imu', 'pose', 'other'] as const;
export type Sensor = (typeof sensors)[number];

/**
 * Schema names per sensor, without package separators, so that the ROS 1 (`sensor_msgs/Image`),
 * ROS 2 (`sensor_msgs/msg/Image`) and foxglove (`foxglove.CompressedImage`) spellings all match.
 */
const bySchema: Readonly<Record<string, Sensor>> = {
  'sensor_msgs/image': 'camera',
  'sensor_msgs/compressedimage': 'camera',
  'sensor_msgs/camerainfo': 'camera',
  'foxglove/compressedimage': 'camera',
  'foxglove/rawimage': 'camera',
  'foxglove/compressedvideo': 'camera',
  'foxglove/cameracalibration': 'camera',
  'sensor_msgs/pointcloud2': 'lidar',
  'sensor_msgs/pointcloud': 'lidar',
  'sensor_msgs/laserscan': 'lidar',
  'foxglove/pointcloud': 'lidar',
  'foxglove/laserscan': 'lidar',
  'velodyne_msgs/velodynescan': 'lidar',
  'pandar_msgs/pandarscan': 'lidar',
  'ouster_msgs/packetmsg': 'lidar',
  'radar_msgs/radarscan': 'radar',
  'radar_msgs/radartracks': 'radar',
  'continental_msgs/continentalars548detectionlist': 'radar',
  'continental_msgs/continentalars548objectlist': 'radar',
  'continental_msgs/continentalsrr520detectionlist': 'radar',
  'continental_msgs/continentalsrr520objectlist': 'radar',
  'can_msgs/frame': 'can',
  'mdf4/can_dataframe': 'can',
  'mdf4/canfd_dataframe': 'can',
  'sensor_msgs/navsatfix': 'gnss',
  'gps_msgs/gpsfix': 'gnss',
  'foxglove/locationfix': 'gnss',
  'sensor_msgs/imu': 'imu',
  'nav_msgs/odometry': 'pose',
  'geometry_msgs/posestamped': 'pose',
  'geometry_msgs/posewithcovariancestamped': 'pose',
  'geometry_msgs/twiststamped': 'pose',
  'tf2_msgs/tfmessage': 'pose',
  'tf/tfmessage': 'pose',
  'foxglove/frametransform': 'pose',
  'foxglove/frametransforms': 'pose',
  'foxglove/posesinframe': 'pose',
};

/** Topic words for channels whose schema is generic (packets, bytes, JSON): first match wins. */
const byTopic: readonly (readonly [RegExp, Sensor])[] = [
  [/(^|[/_.-])(radar|ars\d+|srr\d+)([/_.-]|$)/, 'radar'],
  [/(^|[/_.-])(lidar|velodyne|hesai|pandar|ouster|points|pointcloud|laser)([/_.-]|$)/, 'lidar'],
  [/(^|[/_.-])(camera|cam\d*|image|images|video)([/_.-]|$)/, 'camera'],
  [/(^|[/_.-])(can\d*|canbus|can_rx|can_tx)([/_.-]|$)/, 'can'],
  [/(^|[/_.-])(gnss|gps|navsat|fix)([/_.-]|$)/, 'gnss'],
  [/(^|[/_.-])imu([/_.-]|$)/, 'imu'],
  [/(^|[/_.-])(odom|odometry|pose|tf|tf_static|localization|ego)([/_.-]|$)/, 'pose'],
];

/** `sensor_msgs/msg/Image` → `sensor_msgs/image`; `foxglove.PointCloud` → `foxglove/pointcloud`. */
function normalizeSchema(schemaName: string): string {
  return schemaName.toLowerCase().replace(/\./g, '/').replace('/msg/', '/');
}

/** The sensor a channel comes from, by its schema, then by its topic. */
export function classifySensor(topic: string, schemaName: string): Sensor {
  const schema = bySchema[normalizeSchema(schemaName)];
  if (schema !== undefined) return schema;
  const lowerTopic = topic.toLowerCase();
  for (const [pattern, sensor] of byTopic) if (pattern.test(lowerTopic)) return sensor;
  return 'other';
}
