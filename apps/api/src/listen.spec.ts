import { type AddressInfo, createServer, type Server } from 'node:net';
import { everyAddressHost, type Listen, listenOnEveryAddress } from './listen.js';

const failure = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

/** A listen that fails on the hosts given, with the code given, and records every call. */
function fakeListen(failures: Record<string, string>): Listen & { calls: [number, string][] } {
  const calls: [number, string][] = [];
  const listen = async (port: number, host: string) => {
    calls.push([port, host]);
    if (failures[host]) throw failure(failures[host]);
  };
  return Object.assign(listen, { calls });
}

describe('listening on every address', () => {
  it("listens on '::' when the host has IPv6, and tries nothing else", async () => {
    const listen = fakeListen({});
    await expect(listenOnEveryAddress(listen, 3000)).resolves.toBe('::');
    expect(listen.calls).toEqual([[3000, '::']]);
  });

  it.each(['EAFNOSUPPORT', 'EADDRNOTAVAIL'])("falls back to IPv4 on '0.0.0.0' when '::' fails with %s", async (code) => {
    const listen = fakeListen({ '::': code });
    await expect(listenOnEveryAddress(listen, 3000)).resolves.toBe('0.0.0.0');
    expect(listen.calls).toEqual([[3000, '::'], [3000, '0.0.0.0']]);
  });

  it.each(['EADDRINUSE', 'EACCES'])('rethrows %s from the first attempt without trying IPv4', async (code) => {
    const listen = fakeListen({ '::': code });
    await expect(listenOnEveryAddress(listen, 3000)).rejects.toMatchObject({ code });
    expect(listen.calls).toEqual([[3000, '::']]);
  });

  it('rethrows what the IPv4 attempt fails with', async () => {
    const listen = fakeListen({ '::': 'EAFNOSUPPORT', '0.0.0.0': 'EADDRINUSE' });
    await expect(listenOnEveryAddress(listen, 3000)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(listen.calls).toEqual([[3000, '::'], [3000, '0.0.0.0']]);
  });

  it('rethrows an error without a code', async () => {
    const odd = new Error('something else');
    await expect(listenOnEveryAddress(() => Promise.reject(odd), 3000)).rejects.toBe(odd);
  });

  it('passes on the EADDRINUSE of a real server on a port that a first one took', async () => {
    const servers: Server[] = [];
    const listen: Listen = (port, host) =>
      new Promise((resolve, reject) => {
        const server = createServer();
        servers.push(server);
        server.once('error', reject).listen(port, host, () => resolve(server));
      });
    try {
      await listenOnEveryAddress(listen, 0);
      const { port } = servers.find((s) => s.listening)!.address() as AddressInfo;
      await expect(listenOnEveryAddress(listen, port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await Promise.all(servers.filter((s) => s.listening).map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  it('finds the host to listen on by a throwaway server, which it closes', async () => {
    const host = await everyAddressHost();
    expect(['::', '0.0.0.0']).toContain(host);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
    expect((server.address() as AddressInfo).address).toBe(host);
    await new Promise((resolve) => server.close(resolve));
  });
});
