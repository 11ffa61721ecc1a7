/**
 * Server-sent events for the dashboard: while at least one page listens, the store's change feed
 * is read every `pollMs` and each batch of object changes becomes one `change` event (kind,
 * namespace, name, type: never a spec, a status or a secret). The page then fetches itself again.
 * Nobody listening costs nothing: the poll timer runs only while a stream is open.
 */
import type { ServerResponse } from "node:http";
import type { Store } from "../store/index.js";

export interface LiveOptions {
  pollMs?: number;
  /** A comment line this often keeps proxies and the listener's idle timeout from closing the stream. */
  keepAliveMs?: number;
  /** Streams open at once; more are answered 503. */
  maxClients?: number;
}

/** Changes sent in one event at most; a bigger batch says only that much changed. */
const MAX_CHANGES_PER_EVENT = 100;

export class DashboardLive {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private since: number | undefined;
  private polling = false;
  private readonly pollMs: number;
  private readonly keepAliveMs: number;
  readonly maxClients: number;

  constructor(
    private readonly store: Store,
    opts: LiveOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 500;
    this.keepAliveMs = opts.keepAliveMs ?? 15_000;
    this.maxClients = opts.maxClients ?? 100;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over `res` as an event stream until the client goes or close() is called. */
  async attach(res: ServerResponse): Promise<boolean> {
    if (this.clients.size >= this.maxClients) return false;
    if (this.since === undefined) this.since = await this.store.currentResourceVersion();
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      connection: "keep-alive",
    });
    res.write("retry: 2000\n\n");
    this.clients.add(res);
    res.on("close", () => this.detach(res));
    this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    this.keepAlive ??= setInterval(() => this.send(": keep-alive\n\n"), this.keepAliveMs);
    return true;
  }

  private detach(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stopTimers();
  }

  private stopTimers(): void {
    clearInterval(this.timer);
    clearInterval(this.keepAlive);
    this.timer = undefined;
    this.keepAlive = undefined;
    // The next listener starts from the store's current version, not from a stale one.
    this.since = undefined;
  }

  private send(text: string): void {
    for (const c of this.clients) c.write(text);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.since === undefined) return;
    this.polling = true;
    try {
      const feed = await this.store.changesSince(this.since, 1000);
      this.since = feed.resourceVersion;
      if (feed.changed.length === 0 && !feed.expired) return;
      const changes = feed.changed.slice(0, MAX_CHANGES_PER_EVENT).map((c) => ({
        kind: c.kind,
        namespace: c.namespace,
        name: c.name,
        type: c.type,
      }));
      const more = feed.expired || feed.changed.length > MAX_CHANGES_PER_EVENT;
      this.send(`event: change\ndata: ${JSON.stringify({ changes, more })}\n\n`);
    } catch {
      // The store is checked by /readyz; a missed poll is retried on the next tick.
    } finally {
      this.polling = false;
    }
  }

  /** Ends every stream (the listener is closing). */
  close(): void {
    for (const c of [...this.clients]) c.end();
    this.clients.clear();
    this.stopTimers();
  }
}
