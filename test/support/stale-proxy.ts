// A TCP proxy that forgets a connection once it has sat idle for `idleMs`, as a NAT, firewall or load balancer
// does, without telling either side: the client's next request on that connection is answered with a reset.
import net from 'node:net';

export interface StaleProxy {
  port: number;
  /** Connections reset because the client reused them after the idle limit. */
  resets: () => number;
  close: () => Promise<void>;
}

export async function startStaleProxy(target: { host: string; port: number }, idleMs: number): Promise<StaleProxy> {
  let resets = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    open.add(client).add(upstream);
    let last = Date.now();
    let dropped = false;
    client.on('data', (chunk: Buffer) => {
      if (dropped) return;
      if (Date.now() - last >= idleMs) {
        dropped = true;
        resets++;
        upstream.destroy();
        client.resetAndDestroy();
        return;
      }
      last = Date.now();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      last = Date.now();
      client.write(chunk);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    resets: () => resets,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
