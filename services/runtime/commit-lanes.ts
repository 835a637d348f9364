/**
 * Commits in flight by lane: one lane for the whole consumer, or one per partition when the
 * transport commits partitions independently. A lane runs one commit at a time; asking a busy lane
 * joins the commit it has in flight.
 */
export class CommitLanes<S> {
  private readonly inFlight = new Map<string, Promise<void>>();

  /**
   * `commit` commits what `states` have ready and says whether it committed anything; `landed` is
   * told so after each commit, to go on at once when more is ready.
   */
  constructor(
    private readonly commit: (states: S[]) => Promise<boolean>,
    private readonly landed: (didCommit: boolean) => void,
  ) {}

  /** The commit in flight in lane `key`, or a new one over the states `states()` gives now. */
  run(key: string, states: () => S[]): Promise<void> {
    let lane = this.inFlight.get(key);
    if (!lane) {
      lane = this.commit(states()).then((didCommit) => {
        this.inFlight.delete(key);
        this.landed(didCommit);
      });
      this.inFlight.set(key, lane);
    }
    return lane;
  }

  busy(key: string): boolean {
    return this.inFlight.has(key);
  }
}
