import ipaddr from 'ipaddr.js';

/**
 * API_CLIENTS: addresses and CIDR networks allowed to call the API; empty means anyone.
 * On AWS the gateway's resource policy enforces the same list before any Lambda runs.
 */
export function isAllowedClient(allowList: readonly string[], sourceIp: string): boolean {
  if (allowList.length === 0) return true;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(sourceIp);
  } catch {
    return false;
  }
  return allowList.some((entry) => {
    try {
      if (entry.includes('/')) {
        const [network, prefix] = ipaddr.parseCIDR(entry);
        const candidate = network.kind() === 'ipv6' && address.kind() === 'ipv4' ? (address as ipaddr.IPv4).toIPv4MappedAddress() : address;
        return candidate.kind() === network.kind() && candidate.match([network, prefix]);
      }
      return ipaddr.process(entry).toString() === address.toString();
    } catch {
      return false;
    }
  });
}

export function isValidAllowListEntry(entry: string): boolean {
  try {
    if (entry.includes('/')) ipaddr.parseCIDR(entry);
    else ipaddr.parse(entry);
    return true;
  } catch {
    return false;
  }
}
