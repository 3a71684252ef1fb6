import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { encodeBatch, textEvent } from '@sluice/core';
import { createAvroClient } from './avro-client.js';
import { createAvroServer } from './avro-server.js';
import { decodeRequest, decodeResponse, encodeRequestBuffers, encodeResponseBuffers } from './call-codec.js';
import { encodeFrame } from './netty-framing.js';
import { AVRO_SOURCE_PROTOCOL, AVRO_SOURCE_PROTOCOL_HASH, AVRO_SOURCE_PROTOCOL_TEXT, md5 } from './protocol.js';
import { framesOf } from './testing/capture.js';
import { memoryLogger } from '@sluice/testkit';
import { RawConnection } from './testing/raw-connection.js';
import { startScriptedPeer } from './testing/scripted-peer.js';

/** A protocol text that differs from Flume's (doc, Status order, optionally the event schema). */
function foreignProtocol(options: { symbols?: string[]; headerValues?: string } = {}): string {
  const p = JSON.parse(JSON.stringify(AVRO_SOURCE_PROTOCOL)) as {
    doc?: string;
    types: { name: string; symbols?: string[]; fields?: { name: string; type: unknown }[] }[];
  };
  delete p.doc;
  if (options.symbols) p.types[0]!.symbols = options.symbols;
  if (options.headerValues) p.types[1]!.fields![0]!.type = { type: 'map', values: options.headerValues };
  return JSON.stringify(p);
}

const batch = encodeBatch([textEvent('hi', { h: 'v' })]);
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

async function server() {
  const got: Buffer[] = [];
  const s = createAvroServer({
    host: '127.0.0.1',
    port: 0,
    logger: memoryLogger().logger,
    onAppendBatch: async (b) => {
      got.push(b);
      return 'OK';
    },
  });
  const { port } = await s.listen();
  closers.push(() => s.close());
  return { s, port, got };
}

function request(serial: number, text: string, withText: boolean, serverHash: Buffer, headerless = false): Buffer {
  const hs = { clientHash: md5(text), clientProtocol: withText ? text : null, serverHash, meta: null };
  return encodeFrame(serial, encodeRequestBuffers(headerless ? null : hs, 'appendBatch', batch));
}

async function reply(conn: RawConnection): Promise<ReturnType<typeof framesOf>[number]> {
  const head = await conn.read(8);
  const count = head.readInt32BE(4);
  const parts: Buffer[] = [head];
  for (let i = 0; i < count; i++) {
    const len = await conn.read(4);
    parts.push(len, await conn.read(len.readInt32BE(0)));
  }
  return framesOf(Buffer.concat(parts))[0]!;
}

describe('server handshake with clients whose protocol is not byte-identical to Flume’s', () => {
  test('unknown hash → NONE; resend with the text → BOTH; Status sent by name in the client’s enum order', async () => {
    const { port, got } = await server();
    const text = foreignProtocol({ symbols: ['UNKNOWN', 'FAILED', 'OK'] });
    const conn = await RawConnection.open(port);
    conn.write(request(1, text, false, AVRO_SOURCE_PROTOCOL_HASH));
    const none = decodeResponse((await reply(conn)).frame.payload, true);
    assert.equal(none.handshake!.match, 'NONE');
    assert.equal(none.handshake!.serverProtocol, AVRO_SOURCE_PROTOCOL_TEXT);
    assert.equal(got.length, 0);
    conn.write(request(2, text, true, AVRO_SOURCE_PROTOCOL_HASH));
    const both = decodeResponse((await reply(conn)).frame.payload, true);
    assert.equal(both.handshake!.match, 'BOTH');
    assert.deepEqual(both.body, { kind: 'result', statusIndex: 2 }, 'OK is the third symbol for this client');
    conn.write(request(3, text, false, AVRO_SOURCE_PROTOCOL_HASH, true));
    assert.deepEqual(decodeResponse((await reply(conn)).frame.payload, false).body, { kind: 'result', statusIndex: 2 });
    assert.equal(got.length, 2);
    assert.ok(got[0]!.equals(batch), 'compatible layout: still passed through');
    conn.destroy();
  });

  test('a client that expects another server protocol gets CLIENT with ours', async () => {
    const { port } = await server();
    const text = foreignProtocol();
    const conn = await RawConnection.open(port);
    conn.write(request(1, text, true, md5('some other server')));
    const res = decodeResponse((await reply(conn)).frame.payload, true);
    assert.equal(res.handshake!.match, 'CLIENT');
    assert.equal(res.handshake!.serverProtocol, AVRO_SOURCE_PROTOCOL_TEXT);
    assert.ok(res.handshake!.serverHash!.equals(AVRO_SOURCE_PROTOCOL_HASH));
    assert.deepEqual(res.body, { kind: 'result', statusIndex: 0 });
    conn.destroy();
  });

  test('a different event layout is answered with an error (no schema resolution), a bad protocol closes', async () => {
    const { port, got, s } = await server();
    const text = foreignProtocol({ headerValues: 'int' });
    const conn = await RawConnection.open(port);
    conn.write(request(1, text, true, AVRO_SOURCE_PROTOCOL_HASH));
    const res = decodeResponse((await reply(conn)).frame.payload, true);
    assert.equal(res.body.kind, 'error');
    assert.match((res.body as { message: string }).message, /schema resolution is not supported/);
    assert.equal(got.length, 0);
    conn.destroy();

    const bad = await RawConnection.open(port);
    bad.write(request(1, '{"protocol": 42', true, AVRO_SOURCE_PROTOCOL_HASH));
    await bad.closed;
    assert.equal(s.counters.framesRejected, 1);
  });
});

describe('client handshake', () => {
  test('CLIENT: the client maps the status through the server’s enum and reuses the learned hash', async () => {
    const serverText = foreignProtocol({ symbols: ['FAILED', 'OK', 'UNKNOWN'] });
    const serverHash = md5(serverText);
    const peer = await startScriptedPeer({
      reply: (n, frame) => {
        const handshake = n === 0 ? { match: 'CLIENT' as const, serverProtocol: serverText, serverHash, meta: null } : null;
        return encodeFrame(frame.serial, encodeResponseBuffers(handshake, { kind: 'result', statusIndex: 1 }));
      },
    });
    closers.push(() => peer.close());
    const client = createAvroClient({ host: '127.0.0.1', port: peer.port, requestTimeoutMs: 3000 });
    assert.equal(await client.appendBatch(batch), 'OK', 'index 1 is OK in the server’s enum');
    assert.equal(await client.appendBatch(batch), 'OK');
    client.reconnect();
    assert.equal(await client.appendBatch(batch), 'OK');
    await client.close();
    const first = decodeRequest(peer.connections[0]!.frames[0]!.payload, true);
    assert.ok(first.handshake!.serverHash.equals(AVRO_SOURCE_PROTOCOL_HASH));
    const later = decodeRequest(peer.connections[1]!.frames[0]!.payload, true);
    assert.ok(later.handshake!.serverHash.equals(serverHash), 'the learned server hash is sent on the next connection');
    assert.equal(later.handshake!.clientProtocol, null);
  });

  test('a server that answers NONE twice breaks the protocol: rejected, connection dropped', async () => {
    const none = { match: 'NONE' as const, serverProtocol: AVRO_SOURCE_PROTOCOL_TEXT, serverHash: AVRO_SOURCE_PROTOCOL_HASH, meta: null };
    const peer = await startScriptedPeer({ reply: (_n, frame) => encodeFrame(frame.serial, encodeResponseBuffers(none, { kind: 'none' })) });
    closers.push(() => peer.close());
    const client = createAvroClient({ host: '127.0.0.1', port: peer.port, requestTimeoutMs: 3000 });
    await assert.rejects(client.appendBatch(batch), { code: 'SLUICE_ERR_PROTOCOL' });
    assert.equal(client.connected, false);
    await client.close();
  });

  test('a reply with a serial that matches no request is a protocol error', async () => {
    const peer = await startScriptedPeer({
      reply: (_n, frame) =>
        encodeFrame(frame.serial + 40, encodeResponseBuffers({ match: 'BOTH', serverProtocol: null, serverHash: null, meta: null }, { kind: 'result', statusIndex: 0 })),
    });
    closers.push(() => peer.close());
    const client = createAvroClient({ host: '127.0.0.1', port: peer.port, requestTimeoutMs: 3000 });
    await assert.rejects(client.appendBatch(batch), { code: 'SLUICE_ERR_PROTOCOL' });
    await client.close();
  });
});
