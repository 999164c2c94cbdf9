// The last few thousand rung decisions that are final (continue or prune), so a worker that
// asks again for a decided (trial, attempt, step) is answered without a transaction or the rule.
import type { RungDecision } from "../../../protocol/early-stopping.ts";

interface Decided {
  relayId: string;
  decision: RungDecision;
}

export class RecentDecisions {
  private readonly byKey = new Map<string, Decided>();

  constructor(private readonly capacity = 4096) {}

  /** The decision for this key, if the same relay's attempt got it. */
  get(key: string, relayId: string): RungDecision | undefined {
    const d = this.byKey.get(key);
    return d && d.relayId === relayId ? d.decision : undefined;
  }

  remember(key: string, relayId: string, decision: RungDecision): void {
    this.byKey.delete(key);
    this.byKey.set(key, { relayId, decision });
    // A Map iterates in insertion order: the first key is the oldest.
    if (this.byKey.size > this.capacity) this.byKey.delete(this.byKey.keys().next().value!);
  }

  get size(): number {
    return this.byKey.size;
  }
}
