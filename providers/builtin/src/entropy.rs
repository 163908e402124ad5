//! Randomness from the operating system's CSPRNG (`getrandom`), as Terraform's random provider
//! uses Go's `crypto/rand`. A failing generator is a diagnostic, never a panic.

use ggplan_sdk::{Diagnostic, Diagnostics};

fn failure(error: getrandom::Error) -> Diagnostics {
    Diagnostic::error(
        "The system's random number generator failed",
        format!(
            "{error}. ggplan reads randomness from the operating system; check that the \
             process may use getrandom(2) or /dev/urandom."
        ),
    )
    .into()
}

/// `count` random bytes.
pub(crate) fn bytes(count: usize) -> Result<Vec<u8>, Diagnostics> {
    let mut buffer = vec![0; count];
    getrandom::fill(&mut buffer).map_err(failure)?;
    Ok(buffer)
}

/// A uniformly distributed index below `bound` (which must be positive).
pub(crate) fn below(bound: usize) -> Result<usize, Diagnostics> {
    let bound = bound as u64;
    // Rejection sampling: accept only draws below the largest multiple of `bound`, so every
    // residue is equally likely (a plain `% bound` would favour the small ones).
    let limit = u64::MAX - u64::MAX % bound;
    loop {
        let draw = getrandom::u64().map_err(failure)?;
        if draw < limit {
            return Ok((draw % bound) as usize);
        }
    }
}

/// Shuffles `items` uniformly (Fisher-Yates).
pub(crate) fn shuffle<T>(items: &mut [T]) -> Result<(), Diagnostics> {
    for i in (1..items.len()).rev() {
        items.swap(i, below(i + 1)?);
    }
    Ok(())
}

/// A random (version 4) UUID in its hyphenated text form.
pub(crate) fn uuid_v4() -> Result<String, Diagnostics> {
    let mut random = [0; 16];
    getrandom::fill(&mut random).map_err(failure)?;
    Ok(uuid::Builder::from_random_bytes(random)
        .into_uuid()
        .hyphenated()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_reaches_every_value() {
        let mut seen = [false; 7];
        for _ in 0..1000 {
            seen[below(7).unwrap()] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(below(1).unwrap(), 0);
    }

    #[test]
    fn shuffle_keeps_the_elements() {
        let mut items: Vec<u32> = (0..50).collect();
        shuffle(&mut items).unwrap();
        let mut sorted = items.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        // 50! orders: the identity after a fair shuffle means the shuffle did nothing.
        assert_ne!(items, sorted);
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid_v4().unwrap();
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_ne!(id, uuid_v4().unwrap());
    }
}
