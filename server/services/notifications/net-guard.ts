/**
 * Outbound HTTP for notifications with an SSRF guard: every address a host resolves to must be public, checked in
 * the connection's own lookup (so the address checked is the address connected to: no DNS-rebinding gap), unless
 * the operator allows private networks (NOTIFY_ALLOW_PRIVATE_NETWORKS=true: tests, a receiver on the LAN).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(network, prefix, 'ipv6');

/** True when `address` (an IPv4 or IPv6 literal) is private, loopback, link-local or otherwise not a public host. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  return blocked.check(address, 'ipv6');
}

/** A lookup that fails unless every address of the host is public. */
export function guardedLookup(resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (list.length === 0 || bad) {
        return callback(new BlockedAddressError(`${hostname} resolves to a private or loopback address (${bad?.address ?? 'none'}); refused`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

export interface PostResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** At most 4 KiB of the answer (for error messages and Telegram's retry_after). */
  body: string;
}

export interface PostOptions {
  allowPrivateNetworks: boolean;
  timeoutMs?: number;
  /** Tests: a resolver of their own. */
  resolve?: typeof dnsLookup;
}

/** Throws BlockedAddressError when `url` may not be called; literal addresses are checked here, names at connect. */
export function checkUrlAllowed(url: URL, allowPrivateNetworks: boolean): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new BlockedAddressError(`${url.protocol} URLs are not allowed`);
  if (allowPrivateNetworks) return;
  if (url.protocol !== 'https:') throw new BlockedAddressError('only https:// URLs are allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isPrivateAddress(host)) throw new BlockedAddressError(`${host} is a private or loopback address; refused`);
  if (host === 'localhost' || host.endsWith('.localhost')) throw new BlockedAddressError(`${host} is a loopback name; refused`);
}

/** POSTs `body` to `url`; resolves with the answer (any status), rejects on a refused address, a network error or the timeout. */
export function postGuarded(url: URL, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult> {
  checkUrlAllowed(url, options.allowPrivateNetworks);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), ...headers },
        timeout: options.timeoutMs ?? 10_000,
        ...(options.allowPrivateNetworks ? {} : { lookup: guardedLookup(options.resolve) }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < 4096) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, 4096) }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
