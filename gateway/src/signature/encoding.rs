//! Percent-encoding as both signatures canonicalize it (RFC 3986: every
//! byte but `A-Z a-z 0-9 - _ . ~` becomes `%XX`, upper-case), and strict
//! decoding of query strings and form bodies.
//!
//! Decoding reads `application/x-www-form-urlencoded` (`+` is a space, as
//! the V1 SDK's `urlencode` and every form body write it); a `%` not
//! followed by two hex digits, or bytes that are not UTF-8 once decoded, are
//! refused rather than repaired, since a repaired parameter is not the one
//! the client signed.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::error::AuthError;

/// The bytes RFC 3986 leaves unencoded are letters, digits and `-_.~`.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Where canonical text is written: a `String` that holds it, or a hash
/// that only digests it (what verification needs: no allocation, one pass).
pub(crate) trait Sink {
    /// Appends `text`.
    fn put(&mut self, text: &str);
}

impl Sink for String {
    fn put(&mut self, text: &str) {
        self.push_str(text);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, text: &str) {
        self.update(text.as_bytes());
    }
}

/// Appends `text`, RFC 3986-encoded, to `out`.
pub(crate) fn push_encoded(out: &mut String, text: &str) {
    write_encoded(out, text);
}

/// Writes `text`, RFC 3986-encoded, to `out`.
pub(crate) fn write_encoded(out: &mut (impl Sink + ?Sized), text: &str) {
    for piece in utf8_percent_encode(text, ENCODED) {
        out.put(piece);
    }
}

/// `name=value` pairs in the order they came.
pub(crate) type Pairs = Vec<(String, String)>;

/// Appends the pairs of a query string or form body to `pairs`, refusing
/// more than `limit` pairs in all. Empty segments (`a=1&&b=2`) are skipped;
/// a segment without `=` is a name with an empty value.
pub(crate) fn parse_pairs(raw: &[u8], limit: usize, pairs: &mut Pairs) -> Result<(), AuthError> {
    for segment in raw.split(|&byte| byte == b'&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.iter().position(|&byte| byte == b'=') {
            Some(at) => (segment.get(..at).unwrap_or_default(), segment.get(at + 1..).unwrap_or_default()),
            None => (segment, &[][..]),
        };
        let name = decode(name).filter(|name| !name.is_empty()).ok_or(AuthError::MalformedParameters)?;
        let Some(value) = decode(value) else {
            return Err(AuthError::InvalidParameter { name });
        };
        if pairs.len() >= limit {
            return Err(AuthError::TooLarge { what: "parameters", limit });
        }
        pairs.push((name, value));
    }
    Ok(())
}

/// Moves `pairs` into `map`, refusing a name already there.
pub(crate) fn insert_all(map: &mut BTreeMap<String, String>, pairs: Pairs) -> Result<(), AuthError> {
    for (name, value) in pairs {
        match map.entry(name) {
            Entry::Vacant(entry) => {
                entry.insert(value);
            }
            Entry::Occupied(entry) => return Err(AuthError::DuplicateParameter { name: entry.key().clone() }),
        }
    }
    Ok(())
}

/// Moves `pairs` into `map`, refusing a name already there or in `other`.
pub(crate) fn insert_all_apart(
    map: &mut BTreeMap<String, String>,
    other: &BTreeMap<String, String>,
    pairs: Pairs,
) -> Result<(), AuthError> {
    for (name, value) in pairs {
        if other.contains_key(&name) {
            return Err(AuthError::DuplicateParameter { name });
        }
        match map.entry(name) {
            Entry::Vacant(entry) => {
                entry.insert(value);
            }
            Entry::Occupied(entry) => return Err(AuthError::DuplicateParameter { name: entry.key().clone() }),
        }
    }
    Ok(())
}

/// One form-encoded component, decoded, if it is well formed and UTF-8.
fn decode(raw: &[u8]) -> Option<String> {
    if !raw.iter().any(|&byte| byte == b'%' || byte == b'+') {
        // Nothing to decode (most names and values): the bytes as they are.
        return std::str::from_utf8(raw).ok().map(str::to_owned);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().copied();
    while let Some(byte) = bytes.next() {
        out.push(match byte {
            b'+' => b' ',
            b'%' => {
                let high = hex_digit(bytes.next()?)?;
                let low = hex_digit(bytes.next()?)?;
                (high << 4) | low
            }
            other => other,
        });
    }
    String::from_utf8(out).ok()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|digit| u8::try_from(digit).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(text: &str) -> String {
        let mut out = String::new();
        push_encoded(&mut out, text);
        out
    }

    fn parsed(raw: &str) -> Result<Pairs, AuthError> {
        let mut pairs = Vec::new();
        parse_pairs(raw.as_bytes(), 100, &mut pairs).map(|()| pairs)
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn encodes_as_rfc_3986() {
        assert_eq!(encoded("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(encoded("a b*c+d/e:f="), "a%20b%2Ac%2Bd%2Fe%3Af%3D");
        assert_eq!(encoded("中"), "%E4%B8%AD");
        assert_eq!(encoded("2026-11-22T12:20:52Z"), "2026-11-22T12%3A20%3A52Z");
    }

    #[test]
    fn decodes_forms_strictly() {
        assert_eq!(
            parsed("a=1&b=&c&&d=x+y%2Bz").unwrap(),
            [pair("a", "1"), pair("b", ""), pair("c", ""), pair("d", "x y+z")]
        );
        assert_eq!(parsed("k=%E4%b8%ad").unwrap(), [pair("k", "中")]);
        assert_eq!(parsed("k=a=b").unwrap(), [pair("k", "a=b")]);
        assert_eq!(parsed("").unwrap(), []);
        assert_eq!(parsed("k=%zz"), Err(AuthError::InvalidParameter { name: "k".into() }));
        assert_eq!(parsed("k=%4"), Err(AuthError::InvalidParameter { name: "k".into() }));
        assert_eq!(parsed("k=%ff"), Err(AuthError::InvalidParameter { name: "k".into() }));
        assert_eq!(parsed("=v"), Err(AuthError::MalformedParameters));
        assert_eq!(parsed("%ff=v"), Err(AuthError::MalformedParameters));
    }

    #[test]
    fn counts_pairs_against_the_limit() {
        let mut pairs = Vec::new();
        assert!(parse_pairs(b"a=1&b=2", 2, &mut pairs).is_ok());
        assert_eq!(parse_pairs(b"c=3", 2, &mut pairs), Err(AuthError::TooLarge { what: "parameters", limit: 2 }));
    }

    #[test]
    fn refuses_a_name_twice() {
        let mut map = BTreeMap::new();
        insert_all(&mut map, vec![pair("a", "1")]).unwrap();
        assert_eq!(
            insert_all(&mut map, vec![pair("b", "2"), pair("a", "1")]),
            Err(AuthError::DuplicateParameter { name: "a".into() })
        );
    }

    #[test]
    fn refuses_a_name_of_the_other_map_or_twice() {
        let query = BTreeMap::from([pair("a", "1")]);
        let mut body = BTreeMap::new();
        assert_eq!(
            insert_all_apart(&mut body, &query, vec![pair("b", "2"), pair("a", "3")]),
            Err(AuthError::DuplicateParameter { name: "a".into() })
        );
        let mut body = BTreeMap::new();
        assert_eq!(
            insert_all_apart(&mut body, &query, vec![pair("b", "2"), pair("c", ""), pair("b", "4")]),
            Err(AuthError::DuplicateParameter { name: "b".into() })
        );
        let mut body = BTreeMap::new();
        insert_all_apart(&mut body, &query, vec![pair("b", "2"), pair("c", "")]).unwrap();
        assert_eq!(body, BTreeMap::from([pair("b", "2"), pair("c", "")]));
        assert_eq!(query, BTreeMap::from([pair("a", "1")]));
    }
}
