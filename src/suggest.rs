//! "Did you mean ...?" hints for misspelt names.

/// ` Did you mean "x"?` for the candidate closest to `name`, or an empty string when none is
/// close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    // The distance costs length x length in time and memory: a name longer than any written
    // by hand gets no hint (a 30,000-character one took 7 GB).
    if name.len() > MAX_NAME {
        return String::new();
    }
    let close_enough = |c: &str| (name.len().max(c.len()) / 3).max(1);
    let chars = name.chars().count();
    let best = candidates
        .into_iter()
        // Lengths further apart than the distance allowed cannot be close enough.
        .filter(|c| c.len() <= MAX_NAME && chars.abs_diff(c.chars().count()) <= close_enough(c))
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= close_enough(c))
        .min();
    match best {
        Some((_, c)) => format!(" Did you mean {c:?}?"),
        None => String::new(),
    }
}

/// The longest name (in bytes) compared for a hint.
const MAX_NAME: usize = 256;

/// Edit distance over characters where a swap of two neighbours counts as one edit
/// (optimal string alignment), so "tpye" is one edit from "type".
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("tpye", ["type", "default"]),
            " Did you mean \"type\"?"
        );
        assert_eq!(did_you_mean("zzz", ["type", "default"]), "");
        let long = "x".repeat(30_000);
        assert_eq!(
            did_you_mean(&long, [long.as_str()]),
            "",
            "no hint, no 7 GB matrix"
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
