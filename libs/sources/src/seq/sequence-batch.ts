import type { SluiceEvent } from '@sluice/core';

/** Builds the events numbered [first, first + count): bodies are decimal strings, views of one buffer. */
export function sequenceBatch(first: number, count: number): SluiceEvent[] {
  const ends = new Array<number>(count);
  let text = '';
  for (let i = 0; i < count; i++) {
    text += first + i;
    ends[i] = text.length;
  }
  const slab = Buffer.from(text, 'latin1');
  const events = new Array<SluiceEvent>(count);
  for (let i = 0, start = 0; i < count; start = ends[i++]!) events[i] = { headers: {}, body: slab.subarray(start, ends[i]) };
  return events;
}
