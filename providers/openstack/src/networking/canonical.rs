//! The canonical forms Neutron stores security group rule fields in: a configuration that says
//! the same thing another way (`2001:DB8::/32`, `TCP`, `icmp` on IPv6, ports 1-65535) must not
//! plan a replacement of a rule that already matches it.

use std::net::IpAddr;

/// A prefix as Neutron stores it (netaddr's spelling): the address as given, IPv6 in its
/// compressed lowercase form, a bare address as a /32 or /128. Host bits are kept (Neutron
/// reports the network beside it, as `normalized_cidr`). `None` for text that is not a prefix
/// (the service rejects it).
pub fn cidr(text: &str) -> Option<String> {
    let (address, length) = match text.split_once('/') {
        Some((address, length)) => (address, Some(length)),
        None => (text, None),
    };
    let address: IpAddr = address.trim().parse().ok()?;
    let bits = if address.is_ipv4() { 32 } else { 128 };
    let length: u32 = match length {
        Some(length) => length.trim().parse().ok().filter(|l| *l <= bits)?,
        None => bits,
    };
    Some(format!("{address}/{length}"))
}

/// A protocol as Neutron stores it for `ethertype`: lowercase, `""` for any (`any`), and the
/// legacy IPv6 ICMP names and number (`icmp`, `icmpv6`, `1`) as `ipv6-icmp` and `58`.
pub fn protocol(text: &str, ethertype: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let ipv6 = ethertype.eq_ignore_ascii_case("IPv6");
    match lower.as_str() {
        "any" => String::new(),
        "icmp" | "icmpv6" if ipv6 => "ipv6-icmp".into(),
        "1" if ipv6 => "58".into(),
        _ => lower,
    }
}

/// A port range as Neutron stores it: the whole range (1 to 65535) as none (0, 0).
pub fn port_range(min: i64, max: i64) -> (i64, i64) {
    if (min, max) == (1, 65535) {
        (0, 0)
    } else {
        (min, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_spelled_as_netaddr_spells_them() {
        assert_eq!(cidr("2001:DB8::/32").as_deref(), Some("2001:db8::/32"));
        assert_eq!(
            cidr("2001:0db8:0000::1/48").as_deref(),
            Some("2001:db8::1/48")
        );
        assert_eq!(cidr("10.20.0.5/16").as_deref(), Some("10.20.0.5/16"));
        assert_eq!(cidr("192.0.2.7").as_deref(), Some("192.0.2.7/32"));
        assert_eq!(cidr("::1").as_deref(), Some("::1/128"));
        assert_eq!(cidr("0.0.0.0/0").as_deref(), Some("0.0.0.0/0"));
        assert_eq!(cidr("::/0").as_deref(), Some("::/0"));
        assert_eq!(cidr("10.0.0.0/33"), None);
        assert_eq!(cidr("not a prefix"), None);
    }

    #[test]
    fn protocols_follow_neutrons_spelling() {
        assert_eq!(protocol("TCP", "IPv4"), "tcp");
        assert_eq!(protocol("any", "IPv4"), "");
        assert_eq!(protocol("icmp", "IPv4"), "icmp");
        assert_eq!(protocol("icmp", "IPv6"), "ipv6-icmp");
        assert_eq!(protocol("icmpv6", "ipv6"), "ipv6-icmp");
        assert_eq!(protocol("1", "IPv6"), "58");
        assert_eq!(protocol("6", "IPv6"), "6");
    }

    #[test]
    fn the_whole_port_range_is_no_range() {
        assert_eq!(port_range(1, 65535), (0, 0));
        assert_eq!(port_range(22, 22), (22, 22));
        assert_eq!(port_range(0, 0), (0, 0));
    }
}
