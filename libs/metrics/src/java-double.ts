/**
 * A number as Java's `Double.toString` prints it, which is how Flume's JSON shows a double
 * attribute (`ChannelFillPercentage`): `0.0`, `12.5`, `5.0E-4`, `1.7976931348623157E308`.
 * Decimal notation for magnitudes in [1e-3, 1e7), computerized scientific notation otherwise,
 * always at least one digit after the point. The digits are JavaScript's shortest round-trip
 * ones, which is what Java 19+ prints and what older JDKs print for ordinary values.
 */
export function javaDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n); // decimal notation in this range
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}
