import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkValue, describeFormat, type FormatSpec, parseValue } from './formats.js';

function ok(spec: FormatSpec, raw: string): unknown {
  const r = parseValue(spec, raw);
  assert.ok(r.ok, `expected ${JSON.stringify(raw)} to be accepted as ${JSON.stringify(spec.format)}`);
  return r.value;
}

function refused(spec: FormatSpec, raw: string): string {
  const r = parseValue(spec, raw);
  assert.ok(!r.ok, `expected ${JSON.stringify(raw)} to be refused as ${JSON.stringify(spec.format)}`);
  return r.expected;
}

describe('int', () => {
  const int: FormatSpec = { format: 'int' };

  it('accepts decimal integers with an optional sign', () => {
    assert.equal(ok(int, '10'), 10);
    assert.equal(ok(int, '+7'), 7);
    assert.equal(ok(int, '-42'), -42);
    assert.equal(ok(int, '007'), 7);
    assert.equal(ok(int, String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  });

  it('refuses what convict would guess at', () => {
    for (const raw of ['10abc', '1.5', '1e3', '0x10', '', ' ', '1 000', 'ten', '+', '--1']) {
      assert.equal(refused(int, raw), 'an integer', raw);
    }
  });

  it('refuses integers beyond Number.MAX_SAFE_INTEGER', () => {
    refused(int, '9007199254740992');
    refused(int, '-9007199254740992');
  });

  it('applies min and max and says so', () => {
    const bounded: FormatSpec = { format: 'int', min: 1, max: 100 };
    assert.equal(ok(bounded, '1'), 1);
    assert.equal(ok(bounded, '100'), 100);
    assert.equal(refused(bounded, '0'), 'an integer from 1 to 100');
    assert.equal(refused(bounded, '101'), 'an integer from 1 to 100');
    assert.equal(refused({ format: 'int', min: 1 }, '-3'), 'an integer of at least 1');
    assert.equal(refused({ format: 'int', max: 5 }, '6'), 'an integer of at most 5');
  });

  it('round-trips every safe integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const r = parseValue(int, String(n));
        return r.ok && r.value === n;
      }),
      { numRuns: 200 },
    );
  });
});

describe('bool', () => {
  const bool: FormatSpec = { format: 'bool' };
  it('accepts true and false in any case', () => {
    assert.equal(ok(bool, 'true'), true);
    assert.equal(ok(bool, 'TRUE'), true);
    assert.equal(ok(bool, 'False'), false);
  });
  it('refuses anything else (Flume reads it as false)', () => {
    for (const raw of ['yes', 'no', '1', '0', 'on', 'truee', '']) assert.equal(refused(bool, raw), 'true or false', raw);
  });
});

describe('port', () => {
  const port: FormatSpec = { format: 'port' };
  it('accepts 0..65535', () => {
    assert.equal(ok(port, '0'), 0);
    assert.equal(ok(port, '4141'), 4141);
    assert.equal(ok(port, '65535'), 65535);
  });
  it('refuses out-of-range and non-integer ports', () => {
    for (const raw of ['65536', '-1', '80a', '1.5', 'http']) assert.equal(refused(port, raw), 'a port number from 0 to 65535', raw);
  });
  it('narrows the range with min/max', () => {
    assert.equal(refused({ format: 'port', min: 1024 }, '80'), 'a port number from 1024 to 65535');
  });
});

describe('host', () => {
  const host: FormatSpec = { format: 'host' };
  it('accepts names and addresses', () => {
    for (const raw of ['localhost', '0.0.0.0', '::1', 'collector-1.example.org']) assert.equal(ok(host, raw), raw);
  });
  it('refuses empty text and whitespace', () => {
    for (const raw of ['', 'a b', 'host\tname']) refused(host, raw);
  });
});

describe('string', () => {
  it('accepts any text as is', () => {
    assert.equal(ok({ format: 'string' }, 'tail -F /var/log/x | grep "a b"'), 'tail -F /var/log/x | grep "a b"');
  });
});

describe('lists', () => {
  it('list-ws splits on whitespace runs and drops empties (commas are not separators)', () => {
    assert.deepEqual(ok({ format: 'list-ws' }, 'c1  c2\tc3,c4'), ['c1', 'c2', 'c3,c4']);
    assert.deepEqual(ok({ format: 'list-ws' }, ' c1 '), ['c1']);
  });
  it('list-comma splits on commas, trims and drops empties', () => {
    assert.deepEqual(ok({ format: 'list-comma' }, '/a, /b ,,/c d,'), ['/a', '/b', '/c d']);
  });
});

describe('enum', () => {
  const e: FormatSpec = { format: ['DEFAULT', 'rolltime'] };
  it('matches case-insensitively and returns the listed spelling', () => {
    assert.equal(ok(e, 'default'), 'DEFAULT');
    assert.equal(ok(e, 'ROLLTIME'), 'rolltime');
  });
  it('refuses other values, listing the allowed ones', () => {
    assert.equal(refused(e, 'hourly'), 'one of DEFAULT, rolltime (any case)');
  });
});

describe('checkValue', () => {
  it('checks typed values, as convict and the registry use it', () => {
    assert.equal(checkValue({ format: 'int', min: 1 }, 5), undefined);
    assert.equal(checkValue({ format: 'int', min: 1 }, 0), describeFormat({ format: 'int', min: 1 }));
    assert.equal(checkValue({ format: 'int' }, 1.5), 'an integer');
    assert.equal(checkValue({ format: 'int' }, '5'), 'an integer');
    assert.equal(checkValue({ format: 'bool' }, 'true'), 'true or false');
    assert.equal(checkValue({ format: 'list-ws' }, ['a']), undefined);
    assert.equal(checkValue({ format: 'list-ws' }, 'a'), 'a whitespace-separated list');
    assert.equal(checkValue({ format: ['A', 'B'] }, 'a'), 'one of A, B (any case)');
    assert.equal(checkValue({ format: 'port' }, 70000), 'a port number from 0 to 65535');
  });
});
