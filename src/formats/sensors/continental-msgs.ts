import { parse } from '@foxglove/rosmsg';
import type { MessageDefinitions } from './ros-yaml.js';

/**
 * The `continental_msgs` ROS 2 messages the radar decoders produce, with their `.msg`
 * definitions (from the public `continental_msgs` package) so decoded lists can be rendered as
 * ROS YAML or serialized to CDR. Field names are the ROS ones.
 */

/** `builtin_interfaces/Time`. */
export interface RosTime {
  sec: number;
  nanosec: number;
}

/** `std_msgs/Header`. */
export interface RosHeader {
  stamp: RosTime;
  frame_id: string;
}

/** `geometry_msgs/Point` and `geometry_msgs/Vector3`. */
export interface RosVector3 {
  x: number;
  y: number;
  z: number;
}

export interface ContinentalArs548Detection {
  azimuth_angle: number;
  azimuth_angle_std: number;
  invalid_distance: boolean;
  invalid_distance_std: boolean;
  invalid_azimuth: boolean;
  invalid_azimuth_std: boolean;
  invalid_elevation: boolean;
  invalid_elevation_std: boolean;
  invalid_range_rate: boolean;
  invalid_range_rate_std: boolean;
  elevation_angle: number;
  elevation_angle_std: number;
  range: number;
  range_std: number;
  range_rate: number;
  range_rate_std: number;
  rcs: number;
  measurement_id: number;
  raw_positive_predictive_value: number;
  classification: number;
  raw_multi_target_probability: number;
  object_id: number;
  raw_ambiguity_flag: number;
}

export interface ContinentalArs548DetectionList {
  header: RosHeader;
  stamp_sync_status: number;
  origin_pos: RosVector3;
  origin_pitch: number;
  origin_pitch_std: number;
  origin_yaw: number;
  origin_yaw_std: number;
  ambiguity_free_velocity_min: number;
  ambiguity_free_velocity_max: number;
  alignment_azimuth_correction: number;
  alignment_elevation_correction: number;
  alignment_status: number;
  detections: ContinentalArs548Detection[];
}

export interface ContinentalArs548Object {
  object_id: number;
  age: number;
  status_measurement: number;
  status_movement: number;
  position_reference: number;
  position: RosVector3;
  position_std: RosVector3;
  position_covariance_xy: number;
  orientation: number;
  orientation_std: number;
  raw_existence_probability: number;
  raw_classification_car: number;
  raw_classification_truck: number;
  raw_classification_motorcycle: number;
  raw_classification_bicycle: number;
  raw_classification_pedestrian: number;
  raw_classification_animal: number;
  raw_classification_hazard: number;
  raw_classification_unknown: number;
  absolute_velocity: RosVector3;
  absolute_velocity_std: RosVector3;
  absolute_velocity_covariance_xy: number;
  relative_velocity: RosVector3;
  relative_velocity_std: RosVector3;
  relative_velocity_covariance_xy: number;
  absolute_acceleration: RosVector3;
  absolute_acceleration_std: RosVector3;
  absolute_acceleration_covariance_xy: number;
  relative_acceleration: RosVector3;
  relative_acceleration_std: RosVector3;
  relative_acceleration_covariance_xy: number;
  orientation_rate_mean: number;
  orientation_rate_std: number;
  shape_length_edge_mean: number;
  shape_width_edge_mean: number;
}

export interface ContinentalArs548ObjectList {
  header: RosHeader;
  stamp_sync_status: number;
  objects: ContinentalArs548Object[];
}

export interface ContinentalSrr520Detection {
  range: number;
  azimuth_angle: number;
  range_rate: number;
  rcs: number;
  pdh00: number;
  pdh01: number;
  pdh02: number;
  pdh03: number;
  pdh04: number;
  pdh05: number;
  snr: number;
}

export interface ContinentalSrr520DetectionList {
  header: RosHeader;
  internal_time_stamp_usec: number;
  global_time_stamp_sync_status: number;
  signal_status: number;
  sequence_counter: number;
  cycle_counter: number;
  v_ambiguous: number;
  max_range: number;
  detections: ContinentalSrr520Detection[];
}

export interface ContinentalSrr520Object {
  object_id: number;
  dist_x: number;
  dist_y: number;
  v_abs_x: number;
  v_abs_y: number;
  a_abs_x: number;
  a_abs_y: number;
  dist_x_std: number;
  dist_y_std: number;
  v_abs_x_std: number;
  v_abs_y_std: number;
  a_abs_x_std: number;
  a_abs_y_std: number;
  box_length: number;
  box_width: number;
  orientation: number;
  rcs: number;
  score: number;
  life_cycles: number;
  box_valid: number;
  object_status: number;
}

export interface ContinentalSrr520ObjectList {
  header: RosHeader;
  internal_time_stamp_usec: number;
  global_time_stamp_sync_status: number;
  signal_status: number;
  sequence_counter: number;
  cycle_counter: number;
  ego_vx: number;
  ego_yaw_rate: number;
  motion_type: number;
  objects: ContinentalSrr520Object[];
}

const separator =
  '\n================================================================================\n';

const dependencies: Record<string, string> = {
  'std_msgs/Header': 'builtin_interfaces/Time stamp\nstring frame_id',
  'geometry_msgs/Point': 'float64 x\nfloat64 y\nfloat64 z',
  'geometry_msgs/Vector3': 'float64 x\nfloat64 y\nfloat64 z',
  'continental_msgs/ContinentalArs548Detection': `float32 azimuth_angle
float32 azimuth_angle_std
bool invalid_distance
bool invalid_distance_std
bool invalid_azimuth
bool invalid_azimuth_std
bool invalid_elevation
bool invalid_elevation_std
bool invalid_range_rate
bool invalid_range_rate_std
float32 elevation_angle
float32 elevation_angle_std
float32 range
float32 range_std
float32 range_rate
float32 range_rate_std
int8 rcs
uint16 measurement_id
uint8 raw_positive_predictive_value
uint8 classification
uint8 raw_multi_target_probability
uint16 object_id
uint8 raw_ambiguity_flag`,
  'continental_msgs/ContinentalArs548Object': `uint32 object_id
uint16 age
uint8 status_measurement
uint8 status_movement
uint8 position_reference
geometry_msgs/Point position
geometry_msgs/Vector3 position_std
float32 position_covariance_xy
float32 orientation
float32 orientation_std
float32 raw_existence_probability
uint8 raw_classification_car
uint8 raw_classification_truck
uint8 raw_classification_motorcycle
uint8 raw_classification_bicycle
uint8 raw_classification_pedestrian
uint8 raw_classification_animal
uint8 raw_classification_hazard
uint8 raw_classification_unknown
geometry_msgs/Vector3 absolute_velocity
geometry_msgs/Vector3 absolute_velocity_std
float32 absolute_velocity_covariance_xy
geometry_msgs/Vector3 relative_velocity
geometry_msgs/Vector3 relative_velocity_std
float32 relative_velocity_covariance_xy
geometry_msgs/Vector3 absolute_acceleration
geometry_msgs/Vector3 absolute_acceleration_std
float32 absolute_acceleration_covariance_xy
geometry_msgs/Vector3 relative_acceleration
geometry_msgs/Vector3 relative_acceleration_std
float32 relative_acceleration_covariance_xy
float32 orientation_rate_mean
float32 orientation_rate_std
float32 shape_length_edge_mean
float32 shape_width_edge_mean`,
  'continental_msgs/ContinentalSrr520Detection': `float32 range
float32 azimuth_angle
float32 range_rate
float32 rcs
uint8 pdh00
uint8 pdh01
uint8 pdh02
uint8 pdh03
uint8 pdh04
uint8 pdh05
float32 snr`,
  'continental_msgs/ContinentalSrr520Object': `uint8 object_id
float32 dist_x
float32 dist_y
float32 v_abs_x
float32 v_abs_y
float32 a_abs_x
float32 a_abs_y
float32 dist_x_std
float32 dist_y_std
float32 v_abs_x_std
float32 v_abs_y_std
float32 a_abs_x_std
float32 a_abs_y_std
float32 box_length
float32 box_width
float32 orientation
float32 rcs
float32 score
uint16 life_cycles
uint8 box_valid
uint8 object_status`,
};

const roots: Record<ContinentalMessageName, { text: string; uses: string[] }> = {
  'continental_msgs/msg/ContinentalArs548DetectionList': {
    text: `std_msgs/Header header
uint8 stamp_sync_status
geometry_msgs/Point origin_pos
float32 origin_pitch
float32 origin_pitch_std
float32 origin_yaw
float32 origin_yaw_std
float32 ambiguity_free_velocity_min
float32 ambiguity_free_velocity_max
float32 alignment_azimuth_correction
float32 alignment_elevation_correction
uint8 alignment_status
continental_msgs/ContinentalArs548Detection[] detections`,
    uses: ['std_msgs/Header', 'geometry_msgs/Point', 'continental_msgs/ContinentalArs548Detection'],
  },
  'continental_msgs/msg/ContinentalArs548ObjectList': {
    text: `std_msgs/Header header
uint8 stamp_sync_status
continental_msgs/ContinentalArs548Object[] objects`,
    uses: [
      'std_msgs/Header',
      'continental_msgs/ContinentalArs548Object',
      'geometry_msgs/Point',
      'geometry_msgs/Vector3',
    ],
  },
  'continental_msgs/msg/ContinentalSrr520DetectionList': {
    text: `std_msgs/Header header
uint32 internal_time_stamp_usec
uint8 global_time_stamp_sync_status
uint8 signal_status
uint8 sequence_counter
uint32 cycle_counter
float32 v_ambiguous
float32 max_range
continental_msgs/ContinentalSrr520Detection[] detections`,
    uses: ['std_msgs/Header', 'continental_msgs/ContinentalSrr520Detection'],
  },
  'continental_msgs/msg/ContinentalSrr520ObjectList': {
    text: `std_msgs/Header header
uint32 internal_time_stamp_usec
uint8 global_time_stamp_sync_status
uint8 signal_status
uint8 sequence_counter
uint32 cycle_counter
float32 ego_vx
float32 ego_yaw_rate
uint8 motion_type
continental_msgs/ContinentalSrr520Object[] objects`,
    uses: ['std_msgs/Header', 'continental_msgs/ContinentalSrr520Object'],
  },
};

/** Schema names of the radar list messages. */
export type ContinentalMessageName =
  | 'continental_msgs/msg/ContinentalArs548DetectionList'
  | 'continental_msgs/msg/ContinentalArs548ObjectList'
  | 'continental_msgs/msg/ContinentalSrr520DetectionList'
  | 'continental_msgs/msg/ContinentalSrr520ObjectList';

/** The full `.msg` text (root and dependencies) of a radar list message. */
export function continentalMessageDefinition(name: ContinentalMessageName): string {
  const root = roots[name];
  return [
    root.text,
    ...root.uses.map((dependency) => `MSG: ${dependency}\n${dependencies[dependency] ?? ''}`),
  ].join(separator);
}

const parsed = new Map<ContinentalMessageName, MessageDefinitions>();

/** The parsed definitions of a radar list message, for `toRosYaml` or a CDR writer. */
export function continentalMessageDefinitions(name: ContinentalMessageName): MessageDefinitions {
  let definitions = parsed.get(name);
  if (!definitions) {
    definitions = parse(continentalMessageDefinition(name), { ros2: true });
    parsed.set(name, definitions);
  }
  return definitions;
}
