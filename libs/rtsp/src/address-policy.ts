/**
 * Which network addresses the RTSP client may connect to. Operators choose RTSP URLs, so without a policy ingest can be
 * pointed at internal services (a port scanner and banner grabber, SSRF). The address is checked after name
 * resolution and before any packet is sent: IP literals directly, host names in the socket's DNS lookup (so a name
 * cannot resolve to a denied address later than the check).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * In an allow or deny list, the networks this machine is attached to: its interfaces' subnets. Inside a container
 * these are the container's networks (the compose network, whose subnet Docker chooses, and the host as its gateway),
 * so `deny: ['attached']` keeps cameras off the other services without knowing the subnet.
 */
export const ATTACHED_NETWORKS = 'attached';

export interface AddressPolicyOptions {
  /** CIDRs connections may go to (or `attached`); empty: every address not denied. */
  allow?: readonly string[];
  /** CIDRs connections may never go to, or `attached` (wins over `allow`). */
  deny?: readonly string[];
}

/** The subnets of this machine's network interfaces (`10.1.2.3/24`: the interface's address and prefix). */
export function attachedNetworks(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] {
  return Object.values(interfaces)
    .flatMap((addresses) => addresses ?? [])
    .flatMap((a) => (a.cidr ? [a.cidr] : []));
}

const expand = (cidrs: readonly string[]) => cidrs.flatMap((cidr) => (cidr.trim() === ATTACHED_NETWORKS ? attachedNetworks() : [cidr]));

export class AddressPolicy {
  private readonly allowList?: BlockList;
  private readonly denyList = new BlockList();

  constructor(options: AddressPolicyOptions) {
    if (options.allow?.length) {
      this.allowList = new BlockList();
      for (const cidr of expand(options.allow)) addSubnet(this.allowList, cidr);
    }
    for (const cidr of expand(options.deny ?? [])) addSubnet(this.denyList, cidr);
  }

  allows(address: string): boolean {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.denyList.check(address, family)) return false;
    return !this.allowList || this.allowList.check(address, family);
  }

  /** A socket `lookup` that fails with EADDRNOTALLOWED for a name resolving to a refused address. */
  lookup(): LookupFunction {
    return (hostname: string, options: LookupOptions, callback: (...args: never[]) => void) => {
      const reply = callback as unknown as (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return reply(err, '', undefined);
        const allowed = addresses.filter((a) => this.allows(a.address));
        if (!allowed.length)
          return reply(
            Object.assign(new Error(`${hostname} resolves to an address that is not allowed`), { code: 'EADDRNOTALLOWED' }),
            '',
            undefined,
          );
        if (options.all) return reply(null, allowed);
        reply(null, allowed[0]!.address, allowed[0]!.family);
      });
    };
  }
}

/** Parses `10.0.0.0/8`, `fe80::/10` or a single address. */
export function parseSubnet(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = cidr.trim().split('/');
  const version = isIP(address);
  if (!version) throw new Error(`not an IP network: "${cidr}"`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`bad prefix length in "${cidr}"`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function addSubnet(list: BlockList, cidr: string): void {
  const { address, prefix, family } = parseSubnet(cidr);
  list.addSubnet(address, prefix, family);
}
