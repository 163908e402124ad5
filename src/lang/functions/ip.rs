//! IP network functions over CIDR prefixes, IPv4 and IPv6 alike (addresses held as `u128`).

use super::args::Args;
use super::{FunctionError, fail};
use ggplan_sdk::Value;
use std::net::{Ipv4Addr, Ipv6Addr};

type Result = std::result::Result<Value, FunctionError>;

/// A network: its first address and prefix length, in an address space of `bits` bits.
#[derive(Debug, Clone, Copy)]
struct Network {
    addr: u128,
    prefix: u32,
    bits: u32,
}

impl Network {
    fn parse(text: &str) -> std::result::Result<Network, String> {
        let invalid = || format!("invalid CIDR address: {text}");
        let (ip, len) = text.split_once('/').ok_or_else(invalid)?;
        let (addr, bits) = match parse_v4(ip) {
            Some(v4) => (u128::from(u32::from(v4)), 32),
            None => (
                u128::from(ip.parse::<Ipv6Addr>().map_err(|_| invalid())?),
                128,
            ),
        };
        let prefix: u32 = len
            .parse()
            .ok()
            .filter(|p| *p <= bits && !len.starts_with('+'))
            .ok_or_else(invalid)?;
        let network = Network { addr, prefix, bits };
        Ok(Network {
            addr: addr & network.mask(),
            ..network
        })
    }

    fn mask(&self) -> u128 {
        mask(self.bits, self.prefix)
    }

    /// How many addresses the network holds, as a power of two.
    fn host_bits(&self) -> u32 {
        self.bits - self.prefix
    }

    fn last(&self) -> u128 {
        self.addr | (!self.mask() & full(self.bits))
    }

    fn contains(&self, addr: u128) -> bool {
        addr & self.mask() == self.addr
    }

    fn address_text(&self, addr: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }

    fn text(&self) -> String {
        format!("{}/{}", self.address_text(self.addr), self.prefix)
    }
}

/// An IPv4 address; leading zeros are read as decimal, as Terraform reads them.
fn parse_v4(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u8> = text
        .split('.')
        .map(|p| {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                p.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    let octets: [u8; 4] = parts.try_into().ok()?;
    Some(Ipv4Addr::from(octets))
}

/// All ones in an address space of `bits` bits.
fn full(bits: u32) -> u128 {
    if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// The netmask of a `prefix`-bit network in an address space of `bits` bits.
fn mask(bits: u32, prefix: u32) -> u128 {
    let host = bits - prefix;
    let hosts = if host == 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    };
    full(bits) & !hosts
}

fn network(args: &Args, index: usize) -> std::result::Result<Network, FunctionError> {
    Network::parse(&args.string(index)?).or_else(|e| fail(format!("invalid CIDR expression: {e}")))
}

pub(super) fn cidrhost(args: Args) -> Result {
    let net = network(&args, 0)?;
    let hostnum = args.int(1)?;
    let size: i128 = if net.host_bits() >= 127 {
        i128::MAX
    } else {
        1i128 << net.host_bits()
    };
    let offset = if hostnum < 0 {
        size + i128::from(hostnum)
    } else {
        i128::from(hostnum)
    };
    if offset < 0 || offset >= size {
        // Terraform names the host number after counting a negative one from the end.
        let shown = if hostnum < 0 {
            offset
        } else {
            i128::from(hostnum)
        };
        return fail(format!(
            "prefix of {} does not accommodate a host numbered {shown}",
            net.prefix
        ));
    }
    Ok(Value::String(net.address_text(net.addr + offset as u128)))
}

pub(super) fn cidrnetmask(args: Args) -> Result {
    let net = network(&args, 0)?;
    if net.bits != 32 {
        return fail(format!(
            "IPv6 addresses cannot have a netmask: {}",
            args.string(0)?
        ));
    }
    Ok(Value::String(net.address_text(net.mask())))
}

pub(super) fn cidrsubnet(args: Args) -> Result {
    let net = network(&args, 0)?;
    let newbits = args.int(1)?;
    let netnum = args.int(2)?;
    let prefix = i64::from(net.prefix) + newbits;
    if newbits < 0 || prefix > i64::from(net.bits) {
        return fail(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            net.prefix
        ));
    }
    let prefix = prefix as u32;
    if netnum < 0 || (newbits < 64 && netnum >= 1i64 << newbits) {
        return fail(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        ));
    }
    let shift = net.bits - prefix;
    let addr = net.addr | ((netnum as u128).checked_shl(shift).unwrap_or(0));
    Ok(Value::String(
        Network {
            addr,
            prefix,
            bits: net.bits,
        }
        .text(),
    ))
}

pub(super) fn cidrsubnets(args: Args) -> Result {
    let net = network(&args, 0)?;
    let mut lengths = Vec::new();
    for i in 1..args.len() {
        let newbits = args.int(i)?;
        if newbits < 1 {
            return Err(args.error(i, "must extend prefix by at least one bit"));
        }
        let length = i64::from(net.prefix) + newbits;
        if length > i64::from(net.bits) {
            let protocol = if net.bits == 32 { "IPv4" } else { "IPv6" };
            return Err(args.error(
                i,
                format!("would extend prefix to {length} bits, which is too long for an {protocol} address"),
            ));
        }
        lengths.push(length as u32);
    }
    let Some(&first) = lengths.first() else {
        return Ok(Value::List(Vec::new()));
    };
    // Start just before the network, then take each next aligned subnet in turn.
    let mut current = Network {
        addr: net.addr.wrapping_sub(1) & full(net.bits) & mask(net.bits, first),
        prefix: first,
        bits: net.bits,
    };
    let mut out = Vec::new();
    for (i, &length) in lengths.iter().enumerate() {
        let widened = Network {
            addr: current.last() & mask(net.bits, length),
            prefix: length,
            bits: net.bits,
        };
        let start = widened.last().wrapping_add(1) & full(net.bits);
        if start == 0 || !net.contains(start) {
            return Err(args.error(
                i + 1,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {length} bits after {}",
                    current.text()
                ),
            ));
        }
        current = Network {
            addr: start,
            prefix: length,
            bits: net.bits,
        };
        out.push(Value::String(current.text()));
    }
    Ok(Value::List(out))
}
