// A TCP proxy in front of PostgreSQL that a test can cut: every connection dropped and new ones
// refused, as in a database outage or a network partition, then restored.
import net from "node:net";

/**
 * How new connections fare while cut: "drop" accepts and closes them at once (a load balancer
 * with no healthy server behind it); "refuse" stops listening, so they are refused (ECONNREFUSED),
 * as when PostgreSQL itself is down.
 */
type CutMode = "drop" | "refuse";

export interface TcpProxy {
  port: number;
  /** Drops every open connection and turns new ones away until restore(). */
  cut(mode?: CutMode): void;
  /** Serves again (on the same port). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let down = false;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    if (down) return void client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once("error", end).once("close", end);
    upstream.once("error", end).once("close", end);
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut(mode: CutMode = "drop") {
      down = true;
      if (mode === "refuse") server.close();
      for (const socket of sockets) socket.destroy();
    },
    async restore() {
      down = false;
      if (!server.listening) await listen(port);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  };
}
