//! Who the client is. Behind a reverse proxy (which every HTTPS deployment has) the TCP peer
//! is the proxy, so limits keyed by the peer would lump every client together. The operator
//! lists the proxies' addresses (`--trusted-proxies`, single addresses or CIDR ranges); only
//! from those peers are `Forwarded: for=…` (RFC 7239) or, when absent, `X-Forwarded-For`
//! honoured, read from the right and skipping further trusted hops, so a client cannot
//! choose its own address by sending the header itself. From any other peer the headers are
//! ignored.
//!
//! [`bucket`] is the key limits use: an IPv4 address as is, an IPv6 address by its /64 (one
//! customer line usually gets a whole /64, so per-address limits would be free to evade).
//!
//! The hook is in [`crate::listen`]: every request's `ConnectInfo<SocketAddr>` carries the
//! client address found here, so handlers keep taking the client from `ConnectInfo`.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use axum::http::HeaderMap;

/// An address range: `addr/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Net {
    type Err = String;

    /// `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    fn from_str(s: &str) -> Result<Net, String> {
        let s = s.trim();
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: prefix must be 0-{max}"))?
        };
        Ok(Net { addr, prefix })
    }
}

impl Net {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl Net {
    /// The range as a block keeps it (issue 25, `crate::blocks`): an IPv4-mapped address as
    /// IPv4, an IPv6 range at most a /64 (sessions know a client by its [`bucket`], as the
    /// rate limits do), the host bits cleared.
    pub fn for_block(self) -> Net {
        let (addr, prefix) = match self.addr {
            IpAddr::V6(a) if self.prefix >= 96 && a.to_ipv4_mapped().is_some() => {
                (canonical(self.addr), self.prefix - 96)
            }
            IpAddr::V6(_) => (self.addr, self.prefix.min(64)),
            v4 => (v4, self.prefix),
        };
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4(
                (u32::from(a) & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)).into(),
            ),
            IpAddr::V6(a) => IpAddr::V6(
                (u128::from(a) & u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0))
                    .into(),
            ),
        };
        Net { addr, prefix }
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

/// The key a per-client limit counts under: IPv4 as is, IPv6 by its /64.
pub fn bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(
            u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
        )),
        v4 => v4,
    }
}

fn trusted(ip: IpAddr, proxies: &[Net]) -> bool {
    proxies.iter().any(|n| n.contains(ip))
}

/// One `for=` / X-Forwarded-For element: `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:80"`,
/// `2001:db8::1`. `None` for `unknown`, obfuscated names and garbage.
fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The chain of addresses the proxies reported, nearest client first. `None` when the
/// headers are absent or any element is not an address (then the peer is used).
fn forwarded_chain(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let fwd: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !fwd.is_empty() {
        let mut out = Vec::new();
        for elem in fwd.iter().flat_map(|v| v.split(',')) {
            let f = elem
                .split(';')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))?;
            out.push(parse_node(f.1)?);
        }
        return Some(out);
    }
    let xff: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if xff.is_empty() {
        return None;
    }
    xff.iter()
        .flat_map(|v| v.split(','))
        .map(parse_node)
        .collect()
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy; then the rightmost
/// forwarded address that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: &[Net]) -> IpAddr {
    if proxies.is_empty() || !trusted(peer, proxies) {
        return peer;
    }
    let Some(chain) = forwarded_chain(headers) else {
        return peer;
    };
    let mut client = peer;
    for ip in chain.into_iter().rev() {
        client = canonical(ip);
        if !trusted(client, proxies) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ranges_are_kept_canonical() {
        let b = |s: &str| s.parse::<Net>().unwrap().for_block().to_string();
        assert_eq!(b("203.0.113.7"), "203.0.113.7/32");
        assert_eq!(b("203.0.113.7/24"), "203.0.113.0/24");
        assert_eq!(b("::ffff:203.0.113.7"), "203.0.113.7/32");
        assert_eq!(b("2001:db8::1"), "2001:db8::/64");
        assert_eq!(b("2001:db8:1:2::/48"), "2001:db8:1::/48");
        let n: Net = b("2001:db8::1").parse().unwrap();
        assert!(n.contains(bucket("2001:db8::99".parse().unwrap())));
        assert!(!n.contains(bucket("2001:db8:0:1::1".parse().unwrap())));
    }

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        m
    }

    #[test]
    fn headers_count_only_from_trusted_proxies() {
        let proxies: Vec<Net> = vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let xff = h(&[("x-forwarded-for", "198.51.100.7, 10.9.9.9")]);
        assert_eq!(
            client_ip(proxy, &xff, &proxies),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(stranger, &xff, &proxies), stranger, "not a proxy");
        assert_eq!(client_ip(proxy, &xff, &[]), proxy, "no proxies configured");
        // A client prepending its own header cannot pick the address the proxy saw.
        let spoof = h(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]);
        assert_eq!(
            client_ip(proxy, &spoof, &proxies),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let fwd = h(&[(
            "forwarded",
            "for=\"[2001:db8::1]:443\";proto=https, for=10.2.2.2",
        )]);
        assert_eq!(
            client_ip(proxy, &fwd, &proxies),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        let junk = h(&[("x-forwarded-for", "nonsense")]);
        assert_eq!(client_ip(proxy, &junk, &proxies), proxy);
        assert_eq!(client_ip(proxy, &h(&[]), &proxies), proxy);
    }

    #[test]
    fn ranges_and_buckets() {
        let n: Net = "192.168.0.0/16".parse().unwrap();
        assert!(n.contains("192.168.5.5".parse().unwrap()));
        assert!(n.contains("::ffff:192.168.5.5".parse().unwrap()));
        assert!(!n.contains("192.169.0.1".parse().unwrap()));
        assert!("0.0.0.0/0"
            .parse::<Net>()
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Net>().is_err());
        assert!("example.com".parse::<Net>().is_err());
        assert_eq!(
            bucket("2001:db8:1:2:aaaa::1".parse().unwrap()),
            bucket("2001:db8:1:2:bbbb::2".parse().unwrap())
        );
        assert_ne!(
            bucket("2001:db8:1:2::1".parse().unwrap()),
            bucket("2001:db8:1:3::1".parse().unwrap())
        );
        assert_eq!(
            bucket("1.2.3.4".parse().unwrap()),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
    }
}
