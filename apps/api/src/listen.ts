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
