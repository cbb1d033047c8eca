import { createServer } from 'node:net';

/** Listens on `port` at `host`; rejects with the server's error (a Node `ErrnoException`). */
export type Listen = (port: number, host: string) => Promise<unknown>;

/** What listening on '::' fails with on a host without IPv6 (no IPv6 in the kernel, or IPv6 disabled). */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL']);

/**
 * Listens on every address, as Node (and so Express) listens by default: IPv6 and IPv4 on '::', or
 * IPv4 alone on '0.0.0.0' on a host without IPv6. Fastify would listen on localhost alone. Any other
 * error (the port in use, no permission) is the caller's. Returns the host it listens on.
 */
export async function listenOnEveryAddress(listen: Listen, port: number): Promise<string> {
  try {
    await listen(port, '::');
    return '::';
  } catch (error) {
    if (!NO_IPV6.has((error as NodeJS.ErrnoException | undefined)?.code ?? '')) throw error;
    await listen(port, '0.0.0.0');
    return '0.0.0.0';
  }
}

/**
 * The host that listens on every address here: '::' on a host with IPv6, '0.0.0.0' on one without,
 * found by binding a throwaway server on a free port. The api then listens once, on that host: Nest
 * logs a failed listen as an error, which on a host without IPv6 (a container with it disabled)
 * would read as a failed start before the fallback succeeded.
 */
export function everyAddressHost(): Promise<string> {
  const probe: Listen = (port, host) =>
    new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject).listen(port, host, () => server.close(() => resolve(undefined)));
    });
  return listenOnEveryAddress(probe, 0);
}
