import { createHash } from 'node:crypto';
import * as avro from 'avsc';

/**
 * Flume's `AvroSourceProtocol` as the Java side knows it: the compact JSON that Avro's
 * `Protocol.toString()` prints for flume.avdl. The IDL attaches the file's licence comment as the
 * protocol `doc`, so the doc is part of the text and of its MD5. Peers recognise each other by that
 * MD5 in the handshake, so this text must stay byte-identical (a test checks the hash).
 */
const FLUME_AVDL_DOC =
  '* Licensed to the Apache Software Foundation (ASF) under one\n' +
  ' * or more contributor license agreements.  See the NOTICE file\n' +
  ' * distributed with this work for additional information\n' +
  ' * regarding copyright ownership.  The ASF licenses this file\n' +
  ' * to you under the Apache License, Version 2.0 (the\n' +
  ' * "License"); you may not use this file except in compliance\n' +
  ' * with the License.  You may obtain a copy of the License at\n' +
  ' *\n' +
  ' * http://www.apache.org/licenses/LICENSE-2.0\n' +
  ' *\n' +
  ' * Unless required by applicable law or agreed to in writing,\n' +
  ' * software distributed under the License is distributed on an\n' +
  ' * "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY\n' +
  ' * KIND, either express or implied.  See the License for the\n' +
  ' * specific language governing permissions and limitations\n' +
  ' * under the License.';

/** The protocol as a JSON value (key order matters: it is serialised as is). */
export const AVRO_SOURCE_PROTOCOL = {
  protocol: 'AvroSourceProtocol',
  namespace: 'org.apache.flume.source.avro',
  doc: FLUME_AVDL_DOC,
  types: [
    { type: 'enum', name: 'Status', symbols: ['OK', 'FAILED', 'UNKNOWN'] },
    {
      type: 'record',
      name: 'AvroFlumeEvent',
      fields: [
        { name: 'headers', type: { type: 'map', values: 'string' } },
        { name: 'body', type: 'bytes' },
      ],
    },
  ],
  messages: {
    append: { request: [{ name: 'event', type: 'AvroFlumeEvent' }], response: 'Status' },
    appendBatch: {
      request: [{ name: 'events', type: { type: 'array', items: 'AvroFlumeEvent' } }],
      response: 'Status',
    },
  },
} as const;

/** The exact protocol text sent in a handshake (1334 bytes of UTF-8). */
export const AVRO_SOURCE_PROTOCOL_TEXT: string = JSON.stringify(AVRO_SOURCE_PROTOCOL);

/** MD5 of {@link AVRO_SOURCE_PROTOCOL_TEXT}: `86aadae2c45474c0fe93ffd0f2350a65`. */
export const AVRO_SOURCE_PROTOCOL_HASH: Buffer = md5(AVRO_SOURCE_PROTOCOL_TEXT);

/** Flume's reply to a call; the client treats anything but OK as a failed delivery. */
export type Status = 'OK' | 'FAILED' | 'UNKNOWN';

/** Status symbols in the order of the protocol's enum (the wire carries the index). */
export const STATUS_SYMBOLS: readonly Status[] = ['OK', 'FAILED', 'UNKNOWN'];

/** The two messages of AvroSourceProtocol. */
export type MessageName = 'append' | 'appendBatch';

export function md5(text: string | Buffer): Buffer {
  return createHash('md5').update(text).digest();
}

/** Avro IPC's handshake records (namespace org.apache.avro.ipc), as avsc types. */
const MD5_SCHEMA = { type: 'fixed', name: 'MD5', namespace: 'org.apache.avro.ipc', size: 16 } as const;

export const HANDSHAKE_REQUEST_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeRequest',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'clientHash', type: MD5_SCHEMA },
    { name: 'clientProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: 'MD5' },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
} as unknown as avro.Schema, { wrapUnions: false });

export const HANDSHAKE_RESPONSE_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeResponse',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'match', type: { type: 'enum', name: 'HandshakeMatch', symbols: ['BOTH', 'CLIENT', 'NONE'] } },
    { name: 'serverProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: ['null', MD5_SCHEMA] },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
} as unknown as avro.Schema, { wrapUnions: false });

export type HandshakeMatch = 'BOTH' | 'CLIENT' | 'NONE';

export interface HandshakeRequest {
  clientHash: Buffer;
  clientProtocol: string | null;
  serverHash: Buffer;
  meta: Record<string, Buffer> | null;
}

export interface HandshakeResponse {
  match: HandshakeMatch;
  serverProtocol: string | null;
  serverHash: Buffer | null;
  meta: Record<string, Buffer> | null;
}

export const STRING_TYPE = avro.Type.forSchema('string');
