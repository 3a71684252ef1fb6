/** A bounded set that forgets its oldest members: remembers recent transaction ids for idempotency. */
export class RecentSet {
  private readonly items = new Set<string>();

  constructor(private readonly limit: number) {}

  add(id: string): void {
    this.items.add(id);
    if (this.items.size > this.limit) this.items.delete(this.items.values().next().value as string);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }
}
