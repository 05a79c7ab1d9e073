import { describe, expect, it } from 'vitest';
import { isBlockedAddress } from '../../endpoints/blocked-address.js';

describe('isBlockedAddress', () => {
  it('blocks private, loopback, link-local and non-unicast IPv4', () => {
    for (const ip of ['10.1.2.3', '127.0.0.1', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255']) {
      expect(isBlockedAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '172.15.255.255', '172.32.0.1', '100.63.255.255', '93.184.216.34']) expect(isBlockedAddress(ip), ip).toBe(false);
  });

  it('blocks IPv6 loopback, unique-local and link-local, and judges embedded IPv4 by its own ranges', () => {
    for (const ip of ['::1', '::', 'fe80::1', 'fd12::1', 'ff02::1', '::ffff:10.0.0.1', '::ffff:a00:1', '[::ffff:127.0.0.1]', '64:ff9b::a9fe:a9fe', '2002:c0a8:101::1', 'fe80::1%eth0']) {
      expect(isBlockedAddress(ip), ip).toBe(true);
    }
    for (const ip of ['2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1']) expect(isBlockedAddress(ip), ip).toBe(false);
  });

  it('blocks what is not an address at all', () => {
    expect(isBlockedAddress('example.com')).toBe(true);
  });
});
