/**
 * The policy evaluation pool: ImagePolicy selections run in worker threads, so that one slow
 * policy (a pattern that costs 0.3 ms per tag over 100,000 tags) never holds the daemon's event
 * loop, where every other object's schedule, the HTTP listener and SIGTERM are served.
 *
 * Workers are started on first use and kept (a start costs ~50 ms; a job on a warm worker costs
 * the copy of its tags), at most `size` at a time; jobs beyond that wait in line. Each job has a
 * time limit: the worker stops itself at the limit between two tags (src/policy/deadline.ts) and
 * answers; if it has not answered `graceMs` later (one match stuck, or the copy of a huge list),
 * it is terminated (V8 interrupts even a running regexp) and the job fails the same way. Idle
 * workers do not keep the process alive.
 */
import { Worker } from "node:worker_threads";
import {
  deadlineMessage,
  type EvaluationRequest,
  type EvaluationResult,
  evaluatePolicy,
} from "../policy/index.js";
import type { PolicyJob, PolicyJobReply } from "./policy-worker.js";

/** How a policy evaluation is run: in a pool (the daemon, `run`), or in the caller's thread. */
export type PolicyEvaluator = (
  request: EvaluationRequest,
  tags: readonly string[],
) => Promise<EvaluationResult>;

/**
 * An evaluation in the caller's thread, for one-shot CLI commands (`create`, `reconcile` without a
 * daemon): nothing else waits on their loop, and the time limit still holds between tags.
 */
export const evaluateInThread: PolicyEvaluator = async (request, tags) => evaluatePolicy(request, tags);

/** The pool was closed (the process is stopping) before the job finished. */
export class PolicyPoolClosedError extends Error {
  override name = "PolicyPoolClosedError";
  constructor() {
    super("policy evaluation pool closed: the process is stopping");
  }
}

/** A worker died without answering (out of memory, a bug): the job fails with this. */
export class PolicyWorkerError extends Error {
  override name = "PolicyWorkerError";
}

export interface PolicyPoolOptions {
  /** The worker's entry script (see src/cli/policy-worker-file.ts), or its code when `eval`. */
  script: URL | string;
  /** `script` is code to run (an unbuilt checkout loads the TS entry through tsx this way). */
  eval?: boolean;
  /** Workers at most (default 2). */
  size?: number;
  /** How long past its limit a worker may take to answer before it is terminated (default 1000 ms). */
  graceMs?: number;
  /**
   * Tag lists of at most this many characters in all are evaluated in the caller's thread (default
   * INLINE_MAX_CHARS; 0: never).
   */
  inlineMaxChars?: number;
}

/**
 * Below this many characters of tags, a selection runs in the caller's thread: even a pattern
 * that backtracks on every tag (~0.3 ms per 30-character tag with V8's linear fallback) then holds
 * the loop ~150 ms at worst, under its time limit still, while the copy to a worker and the
 * workers themselves (~50 ms and ~30 MB each to start) cost every small policy: with them, `run
 * --once` over 1,000 repositories of 100 tags took 2.3 s instead of 1.6 s, at 159 MB instead of
 * 91 MB. Larger lists, and any single long tag, go to a worker.
 */
export const INLINE_MAX_CHARS = 16 * 1024;

interface Job {
  id: number;
  message: PolicyJob;
  total: number;
  resolve(result: EvaluationResult): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  startedAt: number;
}

export class PolicyEvaluationPool {
  readonly #opts: Required<PolicyPoolOptions>;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: PolicyPoolOptions) {
    this.#opts = {
      script: opts.script,
      eval: opts.eval ?? false,
      size: Math.max(1, opts.size ?? 2),
      graceMs: opts.graceMs ?? 1000,
      inlineMaxChars: opts.inlineMaxChars ?? INLINE_MAX_CHARS,
    };
  }

  /** The pool as a PolicyEvaluator. */
  readonly evaluate: PolicyEvaluator = (request, tags) => {
    if (this.#closed) return Promise.reject(new PolicyPoolClosedError());
    if (fitsInline(tags, this.#opts.inlineMaxChars)) {
      try {
        return Promise.resolve(evaluatePolicy(request, tags));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<EvaluationResult>((resolve, reject) => {
      const id = this.#nextId++;
      this.#queue.push({
        id,
        message: { id, request, tags: packTags(tags) },
        total: tags.length,
        resolve,
        reject,
      });
      this.#dispatch();
    });
  };

  /** Workers running now (for tests and the bench). */
  get workerCount(): number {
    return this.#slots.size;
  }

  /** Terminates every worker; queued and running jobs fail with PolicyPoolClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new PolicyPoolClosedError());
    const stopping: Promise<number>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.job?.reject(new PolicyPoolClosedError());
      slot.job = undefined;
      stopping.push(slot.worker.terminate());
    }
    this.#slots.clear();
    await Promise.allSettled(stopping);
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = this.#idleSlot();
      if (!slot) return;
      const job = this.#queue.shift() as Job;
      slot.job = job;
      slot.startedAt = performance.now();
      slot.worker.ref();
      const limitMs = job.message.request.limitMs;
      if (limitMs !== undefined)
        slot.timer = setTimeout(() => this.#overrun(slot, job, limitMs), limitMs + this.#opts.graceMs);
      slot.worker.postMessage(job.message);
    }
  }

  #idleSlot(): Slot | undefined {
    for (const slot of this.#slots) if (!slot.job) return slot;
    if (this.#slots.size >= this.#opts.size) return undefined;
    const worker = new Worker(this.#opts.script, { eval: this.#opts.eval });
    const slot: Slot = { worker, job: undefined, timer: undefined, startedAt: 0 };
    worker.on("message", (reply: PolicyJobReply) => this.#answered(slot, reply));
    worker.on("error", (err) => this.#lost(slot, err.message));
    worker.on("exit", (code) => this.#lost(slot, `exited with code ${code}`));
    this.#slots.add(slot);
    return slot;
  }

  #answered(slot: Slot, reply: PolicyJobReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    this.#release(slot);
    if ("crash" in reply) job.reject(new PolicyWorkerError(`policy evaluation failed: ${reply.crash}`));
    else job.resolve(reply.result);
    this.#dispatch();
  }

  /** The worker did not answer within its limit and grace: stop it, fail the job as over time. */
  #overrun(slot: Slot, job: Job, limitMs: number): void {
    if (slot.job !== job) return;
    const elapsedMs = performance.now() - slot.startedAt;
    this.#forget(slot);
    void slot.worker.terminate();
    const pattern = job.message.request.filterTags?.pattern || undefined;
    const message = deadlineMessage({ limitMs, elapsedMs, pattern, read: undefined, total: job.total });
    job.resolve({ ok: false, failure: { kind: "deadline", message, elapsedMs, limitMs, counts: undefined } });
    this.#dispatch();
  }

  /** The worker failed to start or died: its job fails, and a later job starts a new worker. */
  #lost(slot: Slot, why: string): void {
    if (!this.#slots.has(slot)) return;
    const job = slot.job;
    this.#forget(slot);
    job?.reject(new PolicyWorkerError(`policy evaluation worker stopped: ${why}`));
    if (!this.#closed) this.#dispatch();
  }

  #release(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    slot.worker.unref();
  }

  #forget(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = undefined;
    this.#slots.delete(slot);
  }
}

function fitsInline(tags: readonly string[], maxChars: number): boolean {
  let chars = 0;
  for (const tag of tags) {
    chars += tag.length;
    if (chars > maxChars) return false;
  }
  return true;
}

/**
 * Tags joined by "\n" when none holds one: a worker copies one string of 3 MB faster than an
 * array of 100,000 strings, and splitting it again costs less than the difference.
 */
function packTags(tags: readonly string[]): PolicyJob["tags"] {
  if (tags.length === 0) return tags;
  for (const tag of tags) if (tag.includes("\n")) return tags;
  return tags.join("\n");
}
