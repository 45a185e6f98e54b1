import { describe, expect, it } from 'vitest';
import { AddressPolicy, attachedNetworks, parseSubnet } from './address-policy.js';

describe('AddressPolicy', () => {
  it('denies denied networks, allows only allowed ones when a list is given', () => {
    const policy = new AddressPolicy({ allow: ['10.0.0.0/8', 'fd00::/8'], deny: ['10.9.0.0/16'] });
    expect(policy.allows('10.1.2.3')).toBe(true);
    expect(policy.allows('10.9.0.1')).toBe(false);
    expect(policy.allows('192.168.1.10')).toBe(false);
    expect(policy.allows('fd00::5')).toBe(true);
    const denyOnly = new AddressPolicy({ deny: ['127.0.0.0/8', '169.254.0.0/16', '::1/128', 'fe80::/10'] });
    expect(['127.0.0.1', '169.254.169.254', '::1', 'fe80::1'].map((a) => denyOnly.allows(a))).toEqual([false, false, false, false]);
    expect(denyOnly.allows('192.0.2.10')).toBe(true);
  });

  it('refuses malformed networks', () => {
    expect(parseSubnet('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseSubnet('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'camera.local/24', '', '10.0.0.0/x']) expect(() => parseSubnet(bad), bad).toThrow();
  });

  it("reads `attached` as the subnets of the interfaces, e.g. a container's compose network and its gateway", () => {
    const container = {
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: '127.0.0.1/8' }],
      eth0: [
        { address: '172.18.0.5', netmask: '255.255.0.0', family: 'IPv4', mac: '', internal: false, cidr: '172.18.0.5/16' },
        { address: 'fd00::5', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '', internal: false, cidr: 'fd00::5/64', scopeid: 0 },
      ],
    } as const;
    const networks = attachedNetworks(container as unknown as Parameters<typeof attachedNetworks>[0]);
    expect(networks).toEqual(['127.0.0.1/8', '172.18.0.5/16', 'fd00::5/64']);
    const policy = new AddressPolicy({ deny: networks });
    // The gateway (the Docker host) and other containers of the network are refused; a camera LAN is not.
    expect(['172.18.0.1', '172.18.3.7', 'fd00::1', '127.0.0.1'].map((a) => policy.allows(a))).toEqual([false, false, false, false]);
    expect(policy.allows('192.168.1.64')).toBe(true);
    // In a policy's list the keyword stands for this machine's own interfaces.
    expect(new AddressPolicy({ deny: ['attached'] }).allows('127.0.0.1')).toBe(false);
  });
});
