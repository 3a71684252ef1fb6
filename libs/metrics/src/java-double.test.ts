import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaDouble } from './java-double.js';

test('prints doubles as Java\'s Double.toString does', () => {
  const cases: [number, string][] = [
    [0, '0.0'],
    [-0, '-0.0'],
    [100, '100.0'],
    [12.5, '12.5'],
    [1 / 3 * 100, '33.33333333333333'],
    [0.001, '0.001'],
    [0.0005, '5.0E-4'],
    [1.25e-5, '1.25E-5'],
    [9999999, '9999999.0'],
    [1e7, '1.0E7'],
    [12345678.9, '1.23456789E7'],
    [Number.MAX_VALUE, '1.7976931348623157E308'],
    [-2.5, '-2.5'],
    [Number.NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ];
  for (const [n, s] of cases) assert.equal(javaDouble(n), s, String(n));
});
