/**
 * SIGTERM and SIGINT for `imagectl serve`, caught from the first step of start-up on. Installed
 * only once the daemon ran, a signal during start-up (store open and migrations, a replica's
 * registration, the listener, the first listing) took Node's default action: exit 143 with
 * daemon.json and a replica's registration left behind. Now start-up stops at once, undoes what
 * it did, and the process exits 0 as after a running daemon's shutdown. The step running when the
 * signal came is abandoned, not awaited (a store that does not answer must not hold the exit);
 * what it was writing is one transaction, which the exit rolls back.
 */

/** Thrown by `during` when a signal arrived: start-up unwinds and the command ends normally. */
export class StartupStoppedError extends Error {
  constructor(readonly signal: string) {
    super(`${signal} received during start-up`);
    this.name = "StartupStoppedError";
  }
}

export interface ShutdownSignals {
  /** Resolves with the signal's name when the first one arrives. */
  readonly received: Promise<string>;
  /** `step`'s value; StartupStoppedError as soon as a signal has arrived, even mid-step. */
  during<T>(step: Promise<T>): Promise<T>;
  /** Throws StartupStoppedError if a signal has arrived (between synchronous steps). */
  check(): void;
  /** Removes the handlers (a second signal then takes the default action: an impatient ^C works). */
  dispose(): void;
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

export function catchShutdownSignals(log: (line: string) => void): ShutdownSignals {
  let got: string | undefined;
  let resolve: (signal: string) => void = () => {};
  const received = new Promise<string>((r) => {
    resolve = r;
  });
  const handlers = SIGNALS.map((sig) => {
    const handler = () => {
      got = sig;
      log(`${sig} received, stopping`);
      dispose();
      resolve(sig);
    };
    process.once(sig, handler);
    return [sig, handler] as const;
  });
  function dispose(): void {
    for (const [sig, handler] of handlers) process.removeListener(sig, handler);
  }
  return {
    received,
    dispose,
    check() {
      if (got) throw new StartupStoppedError(got);
    },
    async during<T>(step: Promise<T>): Promise<T> {
      if (got) throw new StartupStoppedError(got);
      // An abandoned step may still fail later: that failure is of no interest any more.
      step.catch(() => {});
      const won = await Promise.race([
        step.then((value) => ({ value })),
        received.then((signal) => ({ signal })),
      ]);
      if ("signal" in won) throw new StartupStoppedError(won.signal);
      return won.value;
    },
  };
}
