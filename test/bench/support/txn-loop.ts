/**
 * The bench's transactional relays' commit loop: records that arrive while a transaction runs go out
 * together in the next one, with their input offsets, as the runner's lanes do. One transaction at a time.
 */
export interface Arrived<R> {
  partition: number;
  record: R;
}

export function txnLoop<R>(commit: (records: R[], lastPerPartition: R[]) => Promise<void>): (arrived: Arrived<R>[]) => void {
  let pending: Arrived<R>[] = [];
  let running = false;
  const next = async () => {
    running = true;
    while (pending.length) {
      const batch = pending;
      pending = [];
      const last = new Map<number, R>();
      for (const a of batch) last.set(a.partition, a.record);
      await commit(
        batch.map((a) => a.record),
        [...last.values()],
      );
    }
    running = false;
  };
  return (arrived) => {
    pending.push(...arrived);
    if (!running)
      next().catch((e: unknown) => {
        console.error(e);
        process.exit(1);
      });
  };
}
