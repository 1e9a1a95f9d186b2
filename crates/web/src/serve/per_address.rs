//! How many connections each client address holds, so that one address
//! cannot take every slot.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

pub(crate) struct PerAddress {
    max: usize,
    /// Trusted proxies carry many clients' connections: no cap for them.
    exempt: Vec<IpAddr>,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in its address's count, given back on drop.
pub(crate) struct AddressSlot {
    table: Arc<PerAddress>,
    key: Option<IpAddr>,
}

/// The unit a cap applies to: an IPv4 address, or an IPv6 /64, since one
/// IPv6 client usually holds a whole /64 and could rotate through it.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

impl PerAddress {
    pub(crate) fn new(max: usize, exempt: Vec<IpAddr>) -> Arc<Self> {
        Arc::new(PerAddress { max: max.max(1), exempt, open: Mutex::new(HashMap::new()) })
    }

    /// A slot for one more connection from `ip`, or `None` if that address
    /// already holds its share.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        if self.exempt.contains(&ip) {
            return Some(AddressSlot { table: self.clone(), key: None });
        }
        let key = key(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot { table: self.clone(), key: Some(key) })
    }

    #[cfg(test)]
    fn held(&self, ip: IpAddr) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).get(&key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut open = self.table.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_share_and_gets_it_back() {
        let table = PerAddress::new(2, vec!["10.0.0.9".parse().unwrap()]);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = table.admit(a).unwrap();
        let _second = table.admit(a).unwrap();
        assert!(table.admit(a).is_none());
        assert!(table.admit(b).is_some(), "another address is not affected");
        drop(first);
        assert!(table.admit(a).is_some());
        let proxy: IpAddr = "10.0.0.9".parse().unwrap();
        let many: Vec<_> = (0..10).map(|_| table.admit(proxy).unwrap()).collect();
        assert_eq!(many.len(), 10, "a trusted proxy is not capped");
    }

    #[test]
    fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let table = PerAddress::new(1, Vec::new());
        let _x = table.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(table.admit("2001:db8:1:2::ffff".parse().unwrap()).is_none());
        assert!(table.admit("2001:db8:1:3::1".parse().unwrap()).is_some());
        let _v4 = table.admit("192.0.2.1".parse().unwrap()).unwrap();
        assert!(table.admit("::ffff:192.0.2.1".parse().unwrap()).is_none());
        assert_eq!(table.held("192.0.2.1".parse().unwrap()), 1);
    }

    #[test]
    fn counts_are_dropped_when_empty() {
        let table = PerAddress::new(3, Vec::new());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        drop(table.admit(ip));
        assert_eq!(table.held(ip), 0);
        assert!(table.open.lock().unwrap().is_empty());
    }
}
