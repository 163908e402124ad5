//! Blazar, OpenStack's reservation service: leases that reserve capacity ahead of time. On
//! Chameleon a lease of `flavor:instance` reservations gives a private flavor that servers boot
//! with; Terraform's OpenStack provider has no resource for it.

mod date;
mod lease;

pub use lease::Lease;
