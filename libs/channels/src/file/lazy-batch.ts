import { frameBatch, type BatchFraming, type StoredBatch } from '@sluice/core';

/** A stored batch whose framing is computed only if someone asks for it. */
export class LazyBatch implements StoredBatch {
  private framed: BatchFraming | undefined;

  constructor(
    readonly bytes: Buffer,
    framing?: BatchFraming,
  ) {
    this.framed = framing;
  }

  get framing(): BatchFraming {
    return (this.framed ??= frameBatch(this.bytes));
  }
}
