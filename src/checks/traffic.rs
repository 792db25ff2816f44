//! Who sent the requests a Gateway's access logs record: the downstream
//! remote address of every access log line of its pods, counted per
//! address (up to [`MAX_ADDRESSES`] distinct ones per Gateway; the rest only
//! counted). `net.external_traffic_absent` reads it against the cluster's
//! node addresses to tell traffic from inside the cluster from traffic that
//! came from outside it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Distinct client addresses kept per Gateway.
pub const MAX_ADDRESSES: usize = 4096;

/// The address Azure's load balancer probes (and other platform traffic)
/// come from.
pub const AZURE_PLATFORM: IpAddr = IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16));

/// A multiply-rotate hash for addresses: this runs once per access log
/// line, where SipHash's flood resistance buys nothing (the map is bounded).
#[derive(Default)]
pub struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Clients of one Gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Peers {
    /// Requests by client address.
    pub by_address: HashMap<IpAddr, u64, BuildHasherDefault<AddressHasher>>,
    /// Requests from addresses past [`MAX_ADDRESSES`].
    pub uncounted: u64,
}

/// Clients of every Gateway, keyed by `namespace/name` (few: a list, with
/// the last one used first in line, as consecutive lines share a Gateway).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    gateways: Vec<(String, Peers)>,
    last: usize,
}

impl Traffic {
    /// Counts one request to `gateway` from `address` (`ip:port`).
    pub fn add(&mut self, gateway: &str, address: &str) {
        let Ok(socket) = address.parse::<SocketAddr>() else {
            return;
        };
        if self
            .gateways
            .get(self.last)
            .is_none_or(|(g, _)| g != gateway)
        {
            self.last = match self.gateways.iter().position(|(g, _)| g == gateway) {
                Some(i) => i,
                None => {
                    self.gateways.push((gateway.to_string(), Peers::default()));
                    self.gateways.len() - 1
                }
            };
        }
        let peers = &mut self.gateways[self.last].1;
        let known = peers.by_address.len();
        match peers.by_address.get_mut(&socket.ip()) {
            Some(n) => *n += 1,
            None if known < MAX_ADDRESSES => {
                peers.by_address.insert(socket.ip(), 1);
            }
            None => peers.uncounted += 1,
        }
    }

    /// The clients of a Gateway, if its access logs were read.
    pub fn of(&self, gateway: &str) -> Option<&Peers> {
        self.gateways
            .iter()
            .find(|(g, _)| g == gateway)
            .map(|(_, p)| p)
    }
}

/// Addresses that do not route on the internet: private, shared (CGNAT,
/// which AKS overlay pod CIDRs may use), loopback, link-local, unique local.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_per_client_address() {
        let mut t = Traffic::default();
        t.add("shop/shop-gw", "10.244.1.5:40112");
        t.add("shop/shop-gw", "10.244.1.5:40113");
        t.add("shop/shop-gw", "[2001:db8::1]:443");
        t.add("shop/shop-gw", "not an address");
        let peers = t.of("shop/shop-gw").unwrap();
        assert_eq!(
            peers.by_address[&"10.244.1.5".parse::<IpAddr>().unwrap()],
            2
        );
        assert_eq!(peers.by_address.len(), 2);
        assert!(t.of("other/gw").is_none());
    }

    #[test]
    fn distinct_addresses_are_bounded() {
        let mut t = Traffic::default();
        for i in 0..(MAX_ADDRESSES as u32 + 10) {
            let ip = Ipv4Addr::from(0x0a00_0000 + i);
            t.add("a/gw", &format!("{ip}:80"));
        }
        let peers = t.of("a/gw").unwrap();
        assert_eq!(peers.by_address.len(), MAX_ADDRESSES);
        assert_eq!(peers.uncounted, 10);
    }

    #[test]
    fn private_ranges() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "127.0.0.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in [
            "20.1.2.3",
            "203.0.113.9",
            "100.128.0.1",
            "168.63.129.16",
            "2001:db8::1",
        ] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }
}
