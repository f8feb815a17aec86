/**
 * One account's transaction nonces, handed out one sender at a time. Each send used to ask the
 * node for the `pending` count on its own, so two sends in flight together (a registration and a
 * submission, two submissions, a replacement racing a new answer) could take the same nonce and
 * one failed with `nonce has already been used`. Here the next nonce is max(the last one handed
 * out + 1, the node's pending count): the local count covers sends the node has not indexed yet,
 * the node's count covers transactions this key sent from elsewhere.
 */
export class NonceSequence {
  #next: number | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #pendingCount: () => Promise<number>;

  constructor(pendingCount: () => Promise<number>) {
    this.#pendingCount = pendingCount;
  }

  /**
   * Runs `broadcast(nonce)` with the next nonce once every earlier caller's broadcast has
   * settled. When it resolves the nonce counts as used; when it throws the nonce is offered again
   * (the node's pending count still decides, should the send have reached it after all).
   */
  use<T>(broadcast: (nonce: number) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const onChain = await this.#pendingCount();
      const nonce = this.#next === null ? onChain : Math.max(this.#next, onChain);
      const out = await broadcast(nonce);
      this.#next = nonce + 1;
      return out;
    };
    const p = this.#tail.then(run, run);
    this.#tail = p.catch(() => undefined);
    return p;
  }
}
