//! Representative values for one condition key.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::language::condition::value::{format_unix_seconds, parse_decimal, parse_instant, parse_ipnet};
use crate::language::condition::{Condition, Operator, ValueType};

use super::strings::{MatchKind, StringPattern, fill, fresh_char, representative_strings};

/// The values a diff tries for one condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValues {
    /// The key as a policy first wrote it.
    pub key: String,
    /// What to send for the key: `None` is the key absent, `Some(values)`
    /// the key with those values (one, or two for keys used with
    /// `ForAnyValue:` / `ForAllValues:`). Absent comes first.
    pub choices: Vec<Option<Vec<String>>>,
    /// Whether the values represent every way the key's conditions can turn
    /// out (false when a budget or a value out of range cut the search short).
    pub exact: bool,
}

/// Up to this many values, a multi-valued key is sent every set of them.
const MAX_SUBSET: usize = 6;
/// Beyond that, pairs of the first this many values.
const MAX_PAIRED: usize = 12;

/// The values for one key, from every condition that tests it and the
/// values the catalog lists for it.
pub(crate) fn key_values(key: &str, conditions: &[&Condition], catalog_values: &[String]) -> KeyValues {
    let mut singles: Vec<String> = Vec::new();
    let mut exact = true;
    let push = |v: String, singles: &mut Vec<String>| {
        if !singles.contains(&v) {
            singles.push(v);
        }
    };
    let of_type = |t: ValueType| conditions.iter().filter(move |c| c.operator().value_type() == t);

    // Strings: every literal, the catalog's values, the patterns filled, then
    // one value for each remaining way the string conditions can turn out.
    let patterns: Vec<StringPattern> = of_type(ValueType::String)
        .flat_map(|c| {
            let kind = match c.operator() {
                Operator::StringLike | Operator::StringNotLike => MatchKind::Glob,
                Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase => MatchKind::ExactIgnoreCase,
                _ => MatchKind::Exact,
            };
            c.values().iter().map(move |v| StringPattern::new(v, kind))
        })
        .collect();
    if !patterns.is_empty() {
        let literals: Vec<String> =
            patterns.iter().filter(|p| p.kind != MatchKind::Glob).map(|p| p.text.clone()).collect();
        let fresh = fresh_char(&patterns);
        let filler: String = std::iter::repeat_n(fresh, 3).collect();
        let mut prefer: Vec<String> = catalog_values.to_vec();
        for p in patterns.iter().filter(|p| p.kind == MatchKind::Glob) {
            prefer.push(fill(&p.text, &filler, fresh));
            prefer.push(fill(&p.text, "", fresh));
        }
        prefer.push(filler);
        let r = representative_strings(&patterns, &literals, &prefer, 20_000);
        exact &= r.exact;
        for s in r.strings {
            push(s, &mut singles);
        }
    } else {
        for v in catalog_values {
            push(v.clone(), &mut singles);
        }
    }

    // Numbers: each boundary, and the nearest values on either side.
    let numbers: Vec<&str> = of_type(ValueType::Number).flat_map(|c| c.values().iter().map(String::as_str)).collect();
    if !numbers.is_empty() {
        let (values, ok) = number_values(&numbers);
        exact &= ok;
        for v in values {
            push(v, &mut singles);
        }
    }

    // Dates: each boundary as written, and a second before and after.
    let dates: Vec<&str> = of_type(ValueType::Date).flat_map(|c| c.values().iter().map(String::as_str)).collect();
    if !dates.is_empty() {
        let (values, ok) = date_values(&dates);
        exact &= ok;
        for v in values {
            push(v, &mut singles);
        }
    }

    // Addresses: the first and last of each block, and the addresses just outside.
    let nets: Vec<&str> = of_type(ValueType::Ip).flat_map(|c| c.values().iter().map(String::as_str)).collect();
    if !nets.is_empty() {
        for v in ip_values(&nets) {
            push(v, &mut singles);
        }
    }

    if of_type(ValueType::Bool).next().is_some() {
        push("true".to_owned(), &mut singles);
        push("false".to_owned(), &mut singles);
    }

    // A value of the wrong type for the typed operators (fail-closed rules).
    let typed = conditions.iter().any(|c| c.operator().value_type() != ValueType::String);
    if typed && !singles.iter().any(|s| is_malformed_for_all(s, conditions)) {
        push("not-a-value".to_owned(), &mut singles);
    }

    // Values of one type cover that type's conditions; a key tested with
    // operators of several types is covered type by type only.
    let mut types: Vec<ValueType> = conditions.iter().map(|c| c.operator().value_type()).collect();
    types.dedup();
    types.sort_by_key(|t| t.describe());
    types.dedup();
    exact &= types.len() <= 1;

    let mut choices: Vec<Option<Vec<String>>> = vec![None];
    choices.extend(singles.iter().map(|s| Some(vec![s.clone()])));
    if conditions.iter().any(|c| c.qualifier().is_some()) {
        // `ForAnyValue:` / `ForAllValues:` see the set of values sent: every
        // set of two or more when there are few values, pairs otherwise.
        if singles.len() <= MAX_SUBSET {
            for mask in 1u32..(1 << singles.len()) {
                if mask.count_ones() >= 2 {
                    let set: Vec<String> = singles
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, v)| v.clone())
                        .collect();
                    choices.push(Some(set));
                }
            }
        } else {
            exact = false;
            let head: Vec<&String> = singles.iter().take(MAX_PAIRED).collect();
            for (i, a) in head.iter().enumerate() {
                for b in head.iter().skip(i + 1) {
                    choices.push(Some(vec![(*a).clone(), (*b).clone()]));
                }
            }
        }
    }
    KeyValues { key: key.to_owned(), choices, exact }
}

fn is_malformed_for_all(s: &str, conditions: &[&Condition]) -> bool {
    conditions.iter().all(|c| c.operator().value_type() == ValueType::String || c.matches_any(s).is_err())
}

/// Decimal text scaled to an integer with `scale` fraction digits.
fn scaled(text: &str, scale: u32) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut value: i128 = 0;
    for c in int.chars() {
        value = value.checked_mul(10)?.checked_add(i128::from(c.to_digit(10)?))?;
    }
    let mut frac_chars = frac.chars();
    for _ in 0..scale {
        let d = frac_chars.next().map_or(Some(0), |c| c.to_digit(10))?;
        value = value.checked_mul(10)?.checked_add(i128::from(d))?;
    }
    Some(if negative { -value } else { value })
}

fn unscaled(value: i128, scale: u32) -> String {
    let negative = value < 0;
    let digits = value.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded =
        if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
    let split = padded.len() - scale;
    let (int, frac) = (padded.get(..split).unwrap_or("0"), padded.get(split..).unwrap_or(""));
    let frac = frac.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") }
}

/// Each boundary, and on either side the value one unit away (the unit is
/// the smallest decimal place the values use), or a tenth of a unit away
/// when a whole unit would reach the next boundary.
fn number_values(values: &[&str]) -> (Vec<String>, bool) {
    let places =
        values.iter().map(|v| v.split_once('.').map_or(0, |(_, f)| f.trim_end_matches('0').len())).max().unwrap_or(0);
    let Ok(places) = u32::try_from(places) else { return (Vec::new(), false) };
    let scale = places + 1;
    let mut exact = true;
    let mut bounds: Vec<i128> = Vec::new();
    for v in values {
        match parse_decimal(v).and_then(|_| scaled(v, scale)) {
            Some(n) => bounds.push(n),
            None => exact = false,
        }
    }
    bounds.sort_unstable();
    bounds.dedup();
    let unit = 10;
    let mut out = Vec::new();
    for (i, &b) in bounds.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| bounds.get(j)).copied();
        let next = bounds.get(i + 1).copied();
        out.push(b);
        let below = if prev.is_none_or(|p| b.saturating_sub(unit) > p) { b.saturating_sub(unit) } else { b - 1 };
        let above = if next.is_none_or(|n| b.saturating_add(unit) < n) { b.saturating_add(unit) } else { b + 1 };
        out.push(below);
        out.push(above);
    }
    (out.into_iter().map(|n| unscaled(n, scale)).collect(), exact)
}

/// Each boundary as written, and the whole seconds just before and after it;
/// half a second after when two boundaries are a second apart.
fn date_values(values: &[&str]) -> (Vec<String>, bool) {
    let mut out: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
    let mut seconds: Vec<i64> = Vec::new();
    let mut fractional = false;
    for v in values {
        if let Some(t) = parse_instant(v) {
            let s = t.unix_seconds();
            seconds.push(s);
            fractional |= format_unix_seconds(s).and_then(|f| parse_instant(&f)) != Some(t);
        }
    }
    seconds.sort_unstable();
    seconds.dedup();
    for (i, &s) in seconds.iter().enumerate() {
        for d in [-1, 1, 2] {
            if let Some(t) = s.checked_add(d).and_then(format_unix_seconds) {
                out.push(t);
            }
        }
        if seconds.get(i + 1) == Some(&(s + 1))
            && let Some(t) = format_unix_seconds(s)
        {
            out.push(format!("{}.5Z", t.trim_end_matches('Z')));
        }
    }
    // Sub-second boundaries less than two seconds apart may hide a gap.
    let crowded = seconds.windows(2).any(|w| matches!(w, [a, b] if b - a < 2));
    (out, !(fractional && crowded))
}

/// For every block: the addresses just outside it first (they make the
/// readable counterexamples), then its first address, then its last; and
/// the lowest address of each family. Blocks are nested or disjoint, so
/// each region they carve out contains one of these. An IPv4-mapped address
/// (`::ffff:1.2.3.4`) is in the IPv4 blocks of its IPv4 address and in the
/// IPv6 blocks that hold it, so when an IPv6 block reaches the mapped range
/// the IPv4 addresses are tried in their mapped form too.
fn ip_values(values: &[&str]) -> Vec<String> {
    const MAPPED: (u128, u128) = (0xffff_0000_0000, 0xffff_ffff_ffff);
    let mut outside = Vec::new();
    let mut inside = Vec::new();
    let mut v4_values = vec![0];
    let mut reaches_mapped = false;
    for v in values {
        let Some(net) = parse_ipnet(v) else { continue };
        let text = net.to_string();
        let Some((addr, prefix)) = text.split_once('/') else { continue };
        let (Ok(addr), Ok(prefix)) = (addr.parse::<IpAddr>(), prefix.parse::<u32>()) else { continue };
        match addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
                let first = u32::from(a) & mask;
                let last = first | !mask;
                let v4 = |n: u32| Ipv4Addr::from(n).to_string();
                if let Some(n) = first.checked_sub(1) {
                    outside.push(v4(n));
                    v4_values.push(n);
                }
                if let Some(n) = last.checked_add(1) {
                    outside.push(v4(n));
                    v4_values.push(n);
                }
                inside.push(v4(first));
                inside.push(v4(last));
                v4_values.extend([first, last]);
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
                let first = u128::from(a) & mask;
                let last = first | !mask;
                reaches_mapped |= first <= MAPPED.1 && last >= MAPPED.0;
                let v6 = |n: u128| Ipv6Addr::from(n).to_string();
                if let Some(n) = first.checked_sub(1) {
                    outside.push(v6(n));
                }
                if let Some(n) = last.checked_add(1) {
                    outside.push(v6(n));
                }
                inside.push(v6(first));
                inside.push(v6(last));
            }
        }
    }
    outside.extend(inside);
    outside.push("0.0.0.0".to_owned());
    outside.push("::".to_owned());
    if reaches_mapped {
        outside.extend(v4_values.into_iter().map(|n| Ipv4Addr::from(n).to_ipv6_mapped().to_string()));
    }
    outside
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::condition::SetQualifier;

    fn cond(op: Operator, values: &[&str]) -> Condition {
        Condition::new(op, None, "k", values.iter().map(|s| (*s).to_owned()).collect()).unwrap()
    }

    fn singles(kv: &KeyValues) -> Vec<String> {
        kv.choices.iter().flatten().flatten().cloned().collect()
    }

    #[test]
    fn numbers_get_their_neighbours() {
        let c = cond(Operator::NumericLessThan, &["10", "11"]);
        let v = singles(&key_values("k", &[&c], &[]));
        for want in ["10", "9", "10.1", "11", "10.9", "12"] {
            assert!(v.contains(&want.to_owned()), "{want} in {v:?}");
        }
        let c = cond(Operator::NumericEquals, &["-0.25"]);
        let v = singles(&key_values("k", &[&c], &[]));
        for want in ["-0.25", "-0.26", "-0.24"] {
            assert!(v.contains(&want.to_owned()), "{want} in {v:?}");
        }
    }

    #[test]
    fn dates_get_the_seconds_around_them() {
        let c = cond(Operator::DateLessThan, &["2026-12-06T02:00:00+08:00"]);
        let v = singles(&key_values("k", &[&c], &[]));
        for want in ["2026-12-06T02:00:00+08:00", "2026-12-05T17:59:59Z", "2026-12-05T18:00:01Z"] {
            assert!(v.contains(&want.to_owned()), "{want} in {v:?}");
        }
    }

    #[test]
    fn addresses_get_the_edges_of_each_block() {
        let c = cond(Operator::IpAddress, &["10.0.0.0/8", "10.0.0.0/16"]);
        let v = singles(&key_values("k", &[&c], &[]));
        for want in ["9.255.255.255", "11.0.0.0", "10.1.0.0", "10.0.0.0", "10.255.255.255", "10.0.255.255"] {
            assert!(v.contains(&want.to_owned()), "{want} in {v:?}");
        }
        assert!(v.contains(&"not-a-value".to_owned()));
        assert!(!v.iter().any(|a| a.starts_with("::ffff:")), "no IPv6 block, no mapped address: {v:?}");
    }

    #[test]
    fn mapped_addresses_are_tried_when_an_ipv6_block_reaches_them() {
        let v4 = cond(Operator::IpAddress, &["10.0.0.0/8"]);
        for block in ["::/0", "::ffff:0:0/95", "::ffff:10.0.0.0/120"] {
            let v6 = cond(Operator::NotIpAddress, &[block]);
            let v = singles(&key_values("k", &[&v4, &v6], &[]));
            for want in ["::ffff:9.255.255.255", "::ffff:10.0.0.0", "::ffff:10.255.255.255", "::ffff:0.0.0.0"] {
                assert!(v.contains(&want.to_owned()), "{block}: {want} in {v:?}");
            }
        }
        let elsewhere = cond(Operator::NotIpAddress, &["2001:db8::/32"]);
        let v = singles(&key_values("k", &[&v4, &elsewhere], &[]));
        assert!(!v.iter().any(|a| a.starts_with("::ffff:")), "{v:?}");
    }

    #[test]
    fn strings_cover_literals_catalog_values_and_patterns() {
        let c = cond(Operator::StringLike, &["V*"]);
        let kv = key_values("InstanceType", &[&c], &["VPC".to_owned(), "VBR".to_owned()]);
        assert_eq!(kv.choices[0], None);
        let v = singles(&kv);
        assert_eq!(v[0], "VPC");
        assert!(v.iter().any(|s| !s.starts_with('V')));
    }

    #[test]
    fn set_qualified_keys_get_pairs() {
        let c =
            Condition::new(Operator::StringEquals, Some(SetQualifier::ForAllValues), "k", vec!["a".into()]).unwrap();
        let kv = key_values("k", &[&c], &[]);
        // Absent, `a`, a filler that is not `a`, and both at once.
        assert_eq!(kv.choices.len(), 4, "{kv:?}");
        assert_eq!(kv.choices[3].as_ref().map(Vec::len), Some(2));
        assert!(kv.exact);
    }
}
