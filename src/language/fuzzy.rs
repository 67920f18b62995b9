//! "Did you mean" suggestions by edit distance.

/// The Levenshtein distance between two strings, counted in characters.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = Vec::with_capacity(b.len() + 1);
        row.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev.get(j).copied().unwrap_or(usize::MAX).saturating_add(usize::from(ca != *cb));
            let delete = prev.get(j + 1).copied().unwrap_or(usize::MAX).saturating_add(1);
            let insert = row.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            row.push(substitute.min(delete).min(insert));
        }
        prev = row;
    }
    prev.last().copied().unwrap_or(0)
}

/// The closest candidate to `input`, if it is close enough to be a likely
/// misspelling: case-insensitive equality, or an edit distance of at most a
/// third of the candidate's length (and at least 1).
pub(crate) fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let trimmed = input.trim();
    let lower = trimmed.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = if candidate.eq_ignore_ascii_case(trimmed) {
            0
        } else {
            levenshtein(&lower, &candidate.to_ascii_lowercase()).max(1)
        };
        let limit = (candidate.chars().count() / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("Alow", "Allow"), 1);
        assert_eq!(levenshtein("abc", ""), 3);
    }

    #[test]
    fn suggestions() {
        let effects = ["Allow", "Deny"];
        assert_eq!(suggest("Alow", effects), Some("Allow"));
        assert_eq!(suggest("allow ", effects), Some("Allow"));
        assert_eq!(suggest("DENY", effects), Some("Deny"));
        assert_eq!(suggest("Permit", effects), None);
        let ops = ["StringEquals", "StringLike", "IpAddress"];
        assert_eq!(suggest("StringEqual", ops), Some("StringEquals"));
        assert_eq!(suggest("IPAddress", ops), Some("IpAddress"));
        assert_eq!(suggest("Null", ops), None);
    }
}
