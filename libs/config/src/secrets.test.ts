import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretKey, maskSecrets, SECRET_MASK } from './secrets.js';

describe('isSecretKey', () => {
  it('is true for keys ending in password, passwd, secret or token, any case', () => {
    for (const key of ['keystore-password', 'truststore-password', 'kafka.producer.ssl.key.password', 'PASSWORD', 'db.passwd', 'clientSecret', 'api.TOKEN', 'a1.sources.r1.keystore-password']) {
      assert.equal(isSecretKey(key), true, key);
    }
  });

  it('is true for keys containing credential and for Kafka SASL JAAS configs', () => {
    for (const key of ['credentials-file', 'aws.Credential.profile', 'kafka.producer.sasl.jaas.config', 'kafka.consumer.sasl.jaas.config', 'kafka.sasl.jaas.config', 'a1.sinks.k1.kafka.producer.sasl.jaas.config']) {
      assert.equal(isSecretKey(key), true, key);
    }
  });

  it('is false for other keys, including ones that only mention a secret', () => {
    for (const key of ['keystore', 'keystore-type', 'password-file', 'tokens.max', 'secretKeyRef', 'sasl.mechanism', 'kafka.producer.sasl.mechanism', 'capacity']) {
      assert.equal(isSecretKey(key), false, key);
    }
  });
});

describe('maskSecrets', () => {
  it('masks secret values that are set and keeps empty ones empty', () => {
    const masked = maskSecrets({ keystore: '/etc/sluice/server.p12', 'keystore-password': 'hunter2', 'truststore-password': '', port: 4141 });
    assert.deepEqual(masked, { keystore: '/etc/sluice/server.p12', 'keystore-password': SECRET_MASK, 'truststore-password': '', port: 4141 });
    assert.equal(SECRET_MASK, '******');
  });

  it('keeps the key order and leaves its argument alone', () => {
    const props = { b: '1', 'api-token': 'abc', a: '2' };
    assert.deepEqual(Object.keys(maskSecrets(props)), ['b', 'api-token', 'a']);
    assert.equal(props['api-token'], 'abc');
  });
});
