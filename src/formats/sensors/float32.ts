/**
 * Single-precision arithmetic as C++ does it. The reference decoders compute in `float`, and a
 * cloud only matches theirs bit for bit when every intermediate is rounded to float32 exactly
 * where theirs is: `f32(a * b)` is one float multiplication, a plain `a * b` a double one.
 */

/** Rounds to the nearest float32 (one C++ `float` operation or conversion). */
export const f32 = Math.fround;

/** C `std::round` on a non-negative value: halves round away from zero. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** `a - floor(a / m) * m` in double, as the reference normalizes angles to [0, m). */
export function normalizeAngle(angle: number, max: number): number {
  return angle - Math.floor(angle / max) * max;
}
