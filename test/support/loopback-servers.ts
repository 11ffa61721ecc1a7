import type { Server, Socket } from "node:net";

/** The servers a test file starts on 127.0.0.1, with their open sockets, all closed by closeAll(). */
export interface LoopbackServers {
  /** A socket the test opened itself (a relay's upstream, say), destroyed by closeAll(). */
  trackSocket(socket: Socket): void;
  /** Listens on a free 127.0.0.1 port, tracking the server and the sockets it accepts; returns the port. */
  listen(server: Server): Promise<number>;
  /** Destroys every tracked socket and closes every tracked server. */
  closeAll(): Promise<void>;
}

export function loopbackServers(): LoopbackServers {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const trackSocket = (s: Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  return {
    trackSocket,
    async listen(server) {
      servers.push(server);
      server.on("connection", trackSocket);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return (server.address() as { port: number }).port;
    },
    async closeAll() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
