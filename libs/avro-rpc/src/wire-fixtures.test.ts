import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { decodeBatch, encodeBatch, frameBatch, SluiceError, textEvent } from '@sluice/core';
import { createAvroClient } from './avro-client.js';
import { createAvroServer, type AppendContext } from './avro-server.js';
import { decodeRequest, decodeResponse } from './call-codec.js';
import { encodeFrame } from './netty-framing.js';
import { AVRO_SOURCE_PROTOCOL_HASH, AVRO_SOURCE_PROTOCOL_TEXT, type Status } from './protocol.js';
import { framesOf, loadCapture, streamOf, type CaptureChunk } from './testing/capture.js';
import { memoryLogger } from '@sluice/testkit';
import { RawConnection } from './testing/raw-connection.js';
import { startScriptedPeer, type ScriptedPeer } from './testing/scripted-peer.js';

/*
 * Wire tests against real bytes captured between Apache Flume 1.11.0's own client
 * (NettyAvroRpcClient) and its AvroSource (see fixtures/README.md). Both directions are decoded,
 * then reproduced byte for byte by this library's server (fed the client's captured bytes) and
 * client (talking to a stand-in that plays back the server's captured bytes). Serial numbers
 * start at 1 on every connection, as Java's do.
 */

const real = loadCapture('cap-real');
const raw = loadCapture('cap-raw');
const big = loadCapture('cap-big');
const deflated = loadCapture('cap-deflate');
const OWN_HASH = '86aadae2c45474c0fe93ffd0f2350a65';

const hex = (b: Buffer): string => b.toString('hex');
const SYNC_MARKER = Buffer.from('0000ffff', 'hex');

/** The requests and responses of one captured connection, decoded with the handshake tracked. */
function decodeConversation(chunks: readonly CaptureChunk[], conn: number) {
  const requests = framesOf(streamOf(chunks, conn, 'c2s'));
  const responses = framesOf(streamOf(chunks, conn, 's2c'));
  assert.equal(requests.length, responses.length);
  let connected = false;
  return requests.map((req, i) => {
    const res = responses[i]!;
    assert.equal(res.frame.serial, req.frame.serial, 'the server echoes the serial');
    const request = decodeRequest(req.frame.payload, !connected);
    const response = decodeResponse(res.frame.payload, !connected);
    if (response.handshake && response.handshake.match !== 'NONE') connected = true;
    return { req, res, request, response };
  });
}

describe('decoding the captures', () => {
  test('section A: handshake BOTH on the first call only, status OK, append and appendBatch', () => {
    const c1 = decodeConversation(real, 1);
    assert.equal(c1.length, 2);
    const [first, second] = c1;
    assert.equal(first!.req.frame.serial, 1);
    assert.equal(second!.req.frame.serial, 2);
    assert.deepEqual(first!.req.frame.bufferLengths, [48, 34]);
    assert.deepEqual(first!.res.frame.bufferLengths, [4, 1, 2]);
    assert.deepEqual(second!.req.frame.bufferLengths, [13, 34]);
    assert.deepEqual(second!.res.frame.bufferLengths, [0, 1, 2], 'an empty handshake buffer once connected');
    const hs = first!.request.handshake!;
    assert.equal(hex(hs.clientHash), OWN_HASH);
    assert.equal(hex(hs.serverHash), OWN_HASH);
    assert.equal(hs.clientProtocol, null);
    assert.deepEqual({ ...hs.meta }, {}, 'Java sends an empty map, not null');
    assert.equal(first!.response.handshake!.match, 'BOTH');
    assert.equal(second!.request.handshake, null);
    for (const { request, response } of c1) {
      assert.equal(request.message, 'appendBatch');
      assert.deepEqual(response.body, { kind: 'result', statusIndex: 0 });
    }
    const events = [...decodeBatch(first!.request.params), ...decodeBatch(second!.request.params)];
    assert.deepEqual(
      events.map((e) => [e.headers['seq'], e.body.toString()]),
      [0, 1, 2, 3].map((i) => [String(i), `event ${i}`]),
    );

    const [again] = decodeConversation(real, 2);
    assert.equal(hex(again!.req.raw), hex(first!.req.raw), 'a new connection starts over at serial 1 with a handshake');

    const [single] = decodeConversation(real, 3);
    assert.equal(single!.request.message, 'append');
    assert.equal(frameBatch(Buffer.concat([Buffer.from([2]), single!.request.params, Buffer.from([0])])).starts.length, 1);
  });

  test('section B: NONE then resend with the protocol text; unknown message → Avro error', () => {
    const [none, resend] = decodeConversation(raw, 1);
    assert.equal(none!.response.handshake!.match, 'NONE');
    assert.equal(none!.response.body.kind, 'none', 'on NONE the call is not executed');
    assert.deepEqual(none!.res.frame.bufferLengths, [1356]);
    assert.equal(none!.response.handshake!.serverProtocol, AVRO_SOURCE_PROTOCOL_TEXT);
    assert.equal(hex(none!.response.handshake!.serverHash!), OWN_HASH);
    assert.equal(resend!.req.frame.serial, 2);
    assert.equal(resend!.request.handshake!.clientProtocol, AVRO_SOURCE_PROTOCOL_TEXT);
    assert.equal(resend!.response.handshake!.match, 'BOTH');
    assert.deepEqual(resend!.response.body, { kind: 'result', statusIndex: 0 });

    const [unknown] = decodeConversation(raw, 2);
    assert.equal(unknown!.req.frame.serial, 7);
    assert.equal(unknown!.request.message, 'noSuchMessage');
    assert.deepEqual(unknown!.res.frame.bufferLengths, [4, 1, 79]);
    assert.deepEqual(unknown!.response.body, {
      kind: 'error',
      message: 'org.apache.avro.AvroRuntimeException: No such remote message: noSuchMessage',
    });
  });

  test('section C: large requests are cut into 8 KiB buffers after the head buffer', () => {
    const [thousand] = decodeConversation(big, 1);
    assert.deepEqual(thousand!.req.frame.bufferLengths, [48, 8192, 8192, 3399]);
    assert.equal(frameBatch(thousand!.request.params).starts.length, 1000);
    const [large] = decodeConversation(big, 2);
    assert.deepEqual(large!.req.frame.bufferLengths, [48, 8192, 8192, 1642]);
    const events = decodeBatch(large!.request.params);
    assert.deepEqual(
      events.map((e) => e.body.length),
      [9001, 9001],
    );
    assert.equal(thousand!.response.handshake!.match, 'BOTH');
  });

  test('deflate: each direction is one zlib stream whose sync-flushed pieces are whole frames', () => {
    const c2s = deflated.filter((c) => c.dir === 'c2s').map((c) => c.bytes);
    const s2c = deflated.filter((c) => c.dir === 's2c').map((c) => c.bytes);
    assert.equal(hex(c2s[0]!.subarray(0, 2)), '789c', 'zlib header, default level');
    for (const piece of [...c2s.slice(0, 2), ...s2c]) assert.equal(hex(piece.subarray(-4)), '0000ffff', 'Z_SYNC_FLUSH marker');
    const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    const plainFrames = framesOf(streamOf(real, 1, 'c2s'));
    assert.equal(hex(zlib.inflateSync(c2s[0]!, sync)), hex(plainFrames[0]!.raw), 'the first piece is the first frame');
    assert.equal(hex(zlib.inflateSync(Buffer.concat(c2s))), hex(streamOf(real, 1, 'c2s')), 'the client finished its stream');
    assert.equal(hex(zlib.inflateSync(Buffer.concat(s2c), sync)), hex(streamOf(real, 1, 's2c')));
  });
});

/** A server whose handler records what it was handed and answers `status`. */
async function serverFor(status: Status, compression: 'none' | 'deflate' = 'none') {
  const handed: { batch: Buffer; context: AppendContext }[] = [];
  const log = memoryLogger();
  const server = createAvroServer({
    host: '127.0.0.1',
    port: 0,
    compression,
    logger: log.logger,
    onAppendBatch: async (batch, context) => {
      handed.push({ batch, context });
      return status;
    },
  });
  const { port } = await server.listen();
  return { server, port, handed, log };
}

describe('the server reproduces AvroSource bytes', () => {
  const servers: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  async function replay(chunks: readonly CaptureChunk[], conn: number, status: Status = 'OK') {
    const s = await serverFor(status);
    servers.push(s.server);
    const socket = await RawConnection.open(s.port);
    const requests = framesOf(streamOf(chunks, conn, 'c2s'));
    const responses: Buffer[] = [];
    const expected = framesOf(streamOf(chunks, conn, 's2c'));
    for (let i = 0; i < requests.length; i++) {
      socket.write(requests[i]!.raw);
      responses.push(await socket.read(expected[i]!.raw.length));
    }
    socket.destroy();
    return { responses, expected: expected.map((e) => e.raw), handed: s.handed, requests, server: s.server };
  }

  test('handshake BOTH, then calls without handshake; the batch bytes are handed over untouched', async () => {
    const r = await replay(real, 1);
    assert.deepEqual(r.responses.map(hex), r.expected.map(hex));
    assert.equal(r.handed.length, 2);
    for (let i = 0; i < 2; i++) {
      const params = decodeRequest(r.requests[i]!.frame.payload, i === 0).params;
      assert.equal(hex(r.handed[i]!.batch), hex(params), 'pass-through: the exact parameter bytes');
      assert.equal(r.handed[i]!.context.message, 'appendBatch');
      assert.equal(r.handed[i]!.context.framing.starts.length, 2);
    }
  });

  test('append is handed over as a batch of one', async () => {
    const r = await replay(real, 3);
    assert.deepEqual(r.responses.map(hex), r.expected.map(hex));
    assert.equal(r.handed.length, 1);
    assert.equal(r.handed[0]!.context.message, 'append');
    const [event] = decodeBatch(r.handed[0]!.batch);
    assert.deepEqual([event!.headers['seq'], event!.body.toString()], ['0', 'event 0']);
  });

  test('an unknown client hash gets NONE with the protocol, the call is not run, the resend gets BOTH', async () => {
    const s = await serverFor('OK');
    servers.push(s.server);
    const socket = await RawConnection.open(s.port);
    const [q1, q2] = framesOf(streamOf(raw, 1, 'c2s'));
    const [a1, a2] = framesOf(streamOf(raw, 1, 's2c'));
    socket.write(q1!.raw);
    assert.equal(hex(await socket.read(a1!.raw.length)), hex(a1!.raw));
    assert.equal(s.handed.length, 0, 'the call was not executed on NONE');
    socket.write(q2!.raw);
    assert.equal(hex(await socket.read(a2!.raw.length)), hex(a2!.raw));
    assert.equal(s.handed.length, 1);
    socket.destroy();
  });

  test('an unknown message is answered with the Avro error Java sends, serial echoed', async () => {
    const r = await replay(raw, 2);
    assert.deepEqual(r.responses.map(hex), r.expected.map(hex));
    assert.equal(r.handed.length, 0);
    assert.equal(r.server.counters.errorResponses, 1);
  });

  test('FAILED from the handler is sent as status index 1 (byte 02)', async () => {
    const r = await replay(real, 2, 'FAILED');
    const expected = Buffer.from(r.expected[0]!);
    expected[expected.length - 1] = 0x02;
    assert.equal(hex(r.responses[0]!), hex(expected));
    assert.equal(hex(r.responses[0]!.subarray(-2)), '0002', 'error flag false, then index 1');
  });

  test('large batches in 8 KiB buffers are reassembled into the parameter bytes', async () => {
    for (const conn of [1, 2]) {
      const r = await replay(big, conn);
      assert.deepEqual(r.responses.map(hex), r.expected.map(hex));
      assert.equal(hex(r.handed[0]!.batch), hex(decodeRequest(r.requests[0]!.frame.payload, true).params));
    }
  });

  test('deflate: the server inflates Java’s stream and answers in one sync-flushed zlib stream', async () => {
    const s = await serverFor('OK', 'deflate');
    servers.push(s.server);
    const socket = await RawConnection.open(s.port);
    const pieces = deflated.filter((c) => c.dir === 'c2s').map((c) => c.bytes);
    const want = streamOf(real, 1, 's2c');
    const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    let got = Buffer.alloc(0);
    const readUntilInflated = async (n: number): Promise<void> => {
      const flushed = (): boolean => got.length > 4 && got.subarray(-4).equals(SYNC_MARKER);
      for (let i = 0; i < 200 && !(flushed() && zlib.inflateSync(got, sync).length >= n); i++) {
        got = Buffer.concat([got, await socket.read(1)]);
      }
    };
    socket.write(pieces[0]!);
    await readUntilInflated(27);
    assert.equal(hex(got.subarray(0, 2)), '789c');
    assert.equal(hex(got.subarray(-4)), '0000ffff', 'the reply is sync-flushed');
    assert.equal(hex(zlib.inflateSync(got, sync)), hex(want.subarray(0, 27)));
    socket.write(pieces[1]!);
    await readUntilInflated(want.length);
    assert.equal(hex(zlib.inflateSync(got, sync)), hex(want));
    socket.write(pieces[2]!); // Java's client finishes its zlib stream, then closes the socket
    socket.end();
    await socket.closed;
    assert.equal(s.handed.length, 2);
    assert.equal(s.server.counters.framesRejected, 0);
  });
});

describe('the client reproduces NettyAvroRpcClient bytes', () => {
  const peers: ScriptedPeer[] = [];
  after(async () => {
    for (const p of peers) await p.close();
  });

  async function peerReplying(replies: readonly Buffer[], inflate = false): Promise<ScriptedPeer> {
    const peer = await startScriptedPeer({ inflate, reply: (n) => replies[n] ?? null });
    peers.push(peer);
    return peer;
  }

  const paramsOf = (chunks: readonly CaptureChunk[], conn: number): Buffer[] =>
    decodeConversation(chunks, conn).map((x) => x.request.params);

  test('two appendBatch calls: handshake on the first, serials 1 and 2, identical bytes', async () => {
    const peer = await peerReplying(framesOf(streamOf(real, 1, 's2c')).map((f) => f.raw));
    const client = createAvroClient({ host: '127.0.0.1', port: peer.port });
    const [p1, p2] = paramsOf(real, 1);
    // The core codec encodes these events exactly as Java did.
    assert.equal(
      hex(encodeBatch([textEvent('event 0', { seq: '0' }), textEvent('event 1', { seq: '1' })])),
      hex(p1!),
    );
    assert.equal(await client.appendBatch(p1!), 'OK');
    assert.equal(await client.appendBatch(p2!), 'OK');
    await client.close();
    assert.equal(hex(Buffer.concat(peer.connections[0]!.raw)), hex(streamOf(real, 1, 'c2s')));
  });

  test('append sends the event as Java does', async () => {
    const peer = await peerReplying(framesOf(streamOf(real, 3, 's2c')).map((f) => f.raw));
    const client = createAvroClient({ host: '127.0.0.1', port: peer.port });
    assert.equal(await client.append(paramsOf(real, 3)[0]!), 'OK');
    await client.close();
    assert.equal(hex(Buffer.concat(peer.connections[0]!.raw)), hex(streamOf(real, 3, 'c2s')));
  });

  test('large batches are cut into buffers exactly as Java cuts them', async () => {
    for (const conn of [1, 2]) {
      const peer = await peerReplying(framesOf(streamOf(big, conn, 's2c')).map((f) => f.raw));
      const client = createAvroClient({ host: '127.0.0.1', port: peer.port });
      assert.equal(await client.appendBatch(paramsOf(big, conn)[0]!), 'OK');
      await client.close();
      assert.equal(hex(Buffer.concat(peer.connections[0]!.raw)), hex(streamOf(big, conn, 'c2s')));
    }
  });

  test('NONE: the client resends the call with its protocol text and the learned server hash', async () => {
    const [none, both] = framesOf(streamOf(raw, 1, 's2c')).map((f) => f.raw);
    const peer = await peerReplying([none!, both!]);
    const client = createAvroClient({ host: '127.0.0.1', port: peer.port });
    const [params] = paramsOf(raw, 1);
    assert.equal(await client.appendBatch(params!), 'OK');
    await client.close();
    const sent = framesOf(Buffer.concat(peer.connections[0]!.raw));
    assert.deepEqual(
      sent.map((f) => f.frame.serial),
      [1, 2],
    );
    // The captured resend came from a raw client with a made-up hash and a null handshake meta;
    // ours carries Flume's hash and an empty meta map (02 00), like Java's client. Apart from that
    // the frame is the captured one.
    const captured = framesOf(streamOf(raw, 1, 'c2s'))[1]!.raw;
    const madeUp = captured.subarray(12, 28);
    let expected = Buffer.concat([captured.subarray(0, 12), AVRO_SOURCE_PROTOCOL_HASH, captured.subarray(28)]);
    const metaAt = 12 + 16 + 1 + 2 + 1334 + 16;
    assert.equal(expected[metaAt], 0x00, 'null meta in the capture');
    expected = Buffer.concat([expected.subarray(0, metaAt), Buffer.from([2, 0]), expected.subarray(metaAt + 1)]);
    expected.writeInt32BE(captured.readInt32BE(8) + 1, 8);
    assert.notEqual(hex(madeUp), OWN_HASH);
    assert.equal(hex(sent[1]!.raw), hex(expected));
    const resent = decodeRequest(sent[1]!.frame.payload, true);
    assert.equal(resent.handshake!.clientProtocol, AVRO_SOURCE_PROTOCOL_TEXT);
    assert.equal(hex(resent.handshake!.serverHash), OWN_HASH);
  });

  test('FAILED resolves as a status, an Avro error rejects with its text', async () => {
    const ok = framesOf(streamOf(real, 2, 's2c'))[0]!.raw;
    const failed = Buffer.from(ok);
    failed[failed.length - 1] = 0x02;
    const error = Buffer.from(framesOf(streamOf(raw, 2, 's2c'))[0]!.raw);
    error.writeInt32BE(1, 0); // captured with serial 7; our client's first call is serial 1
    const [params] = paramsOf(real, 2);

    const failPeer = await peerReplying([failed]);
    const c1 = createAvroClient({ host: '127.0.0.1', port: failPeer.port });
    assert.equal(await c1.appendBatch(params!), 'FAILED');
    await c1.close();

    const errorPeer = await peerReplying([error]);
    const c2 = createAvroClient({ host: '127.0.0.1', port: errorPeer.port });
    await assert.rejects(c2.appendBatch(params!), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'SLUICE_ERR_DELIVERY');
      assert.match(err.message, /No such remote message: noSuchMessage/);
      return true;
    });
    await c2.close();
  });

  test('deflate: frames sync-flushed in one zlib stream, Java’s compressed replies understood, stream finished on close', async () => {
    const replies = deflated.filter((c) => c.dir === 's2c').map((c) => c.bytes);
    const peer = await peerReplying(replies, true);
    const client = createAvroClient({ host: '127.0.0.1', port: peer.port, compression: 'deflate', compressionLevel: 6 });
    const [p1, p2] = paramsOf(real, 1);
    assert.equal(await client.appendBatch(p1!), 'OK');
    const firstPiece = Buffer.concat(peer.connections[0]!.raw);
    assert.equal(hex(firstPiece.subarray(0, 2)), '789c');
    assert.equal(hex(firstPiece.subarray(-4)), '0000ffff', 'the first frame was sync-flushed');
    assert.equal(await client.appendBatch(p2!), 'OK');
    await client.close();
    const sent = Buffer.concat(peer.connections[0]!.raw);
    assert.equal(hex(Buffer.concat(peer.connections[0]!.plain)), hex(streamOf(real, 1, 'c2s')), 'the same frames as Java');
    assert.equal(hex(zlib.inflateSync(sent)), hex(streamOf(real, 1, 'c2s')), 'a finished zlib stream');
    const javaTail = deflated.filter((c) => c.dir === 'c2s').at(-1)!.bytes;
    assert.equal(hex(sent.subarray(-6)), hex(javaTail), 'same final block and Adler-32 as Java');
  });
});

test('the server answers with a handshake-only response to a ping (empty message name)', async (t) => {
  const s = await serverFor('OK');
  t.after(() => s.server.close());
  const socket = await RawConnection.open(s.port);
  const ping = Buffer.concat([Buffer.from(OWN_HASH + '00' + OWN_HASH + '0200' + '00' + '00', 'hex')]);
  socket.write(encodeFrame(1, [ping]));
  const reply = await socket.read(8 + 4 + 4);
  assert.equal(hex(reply), '00000001' + '00000001' + '00000004' + '00000000');
  socket.destroy();
  assert.equal(s.handed.length, 0);
});
