//! Percent-encoding as both signatures canonicalize it (RFC 3986: every
//! byte but `A-Z a-z 0-9 - _ . ~` becomes `%XX`, upper-case), and strict
//! decoding of query strings and form bodies.
//!
//! Decoding reads `application/x-www-form-urlencoded` (`+` is a space, as
//! the V1 SDK's `urlencode` and every form body write it); a `%` not
//! followed by two hex digits, or bytes that are not UTF-8 once decoded, are
//! refused rather than repaired, since a repaired parameter is not the one
//! the client signed.

use std::borrow::{Borrow, Cow};
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

/// Writes `text` RFC 3986-encoded twice, as the V1 string-to-sign holds
/// each name and value: in one pass, since the first encoding leaves
/// unreserved bytes and turns every other into `%XX`, whose `%` the second
/// encodes as `%25`.
pub(crate) fn write_encoded_twice(out: &mut (impl Sink + ?Sized), text: &str) {
    for piece in utf8_percent_encode(text, ENCODED) {
        // A piece is a run of unreserved bytes, or one `%XX` (a `%` of the
        // text is encoded too, as `%25`).
        match piece.strip_prefix('%') {
            Some(digits) => {
                out.put("%25");
                out.put(digits);
            }
            None => out.put(piece),
        }
    }
}

/// `name=value` pairs in the order they came, borrowed from the request
/// where they needed no decoding.
pub(crate) type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Appends the pairs of a query string or form body to `pairs`, refusing
/// more than `limit` pairs in all. Empty segments (`a=1&&b=2`) are skipped;
/// a segment without `=` is a name with an empty value.
pub(crate) fn parse_pairs<'a>(raw: &'a [u8], limit: usize, pairs: &mut Pairs<'a>) -> Result<(), AuthError> {
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
            return Err(AuthError::InvalidParameter { name: name.into_owned() });
        };
        if pairs.len() >= limit {
            return Err(AuthError::TooLarge { what: "parameters", limit });
        }
        pairs.push((name, value));
    }
    Ok(())
}

/// Moves `pairs` into `map` (of `String`s, or of text still borrowed),
/// refusing a name already there.
pub(crate) fn insert_all<'a, T>(map: &mut BTreeMap<T, T>, pairs: Pairs<'a>) -> Result<(), AuthError>
where
    T: From<Cow<'a, str>> + Borrow<str> + Ord,
{
    insert_all_apart(map, &BTreeMap::new(), pairs)
}

/// Moves `pairs` into `map`, refusing a name already there or in `other`.
pub(crate) fn insert_all_apart<'a, T>(
    map: &mut BTreeMap<T, T>,
    other: &BTreeMap<T, T>,
    pairs: Pairs<'a>,
) -> Result<(), AuthError>
where
    T: From<Cow<'a, str>> + Borrow<str> + Ord,
{
    for (name, value) in pairs {
        if other.contains_key(name.as_ref()) {
            return Err(AuthError::DuplicateParameter { name: name.into_owned() });
        }
        match map.entry(T::from(name)) {
            Entry::Vacant(entry) => {
                entry.insert(T::from(value));
            }
            Entry::Occupied(entry) => {
                return Err(AuthError::DuplicateParameter { name: entry.key().borrow().to_owned() });
            }
        }
    }
    Ok(())
}

/// One form-encoded component, decoded, if it is well formed and UTF-8.
fn decode(raw: &[u8]) -> Option<Cow<'_, str>> {
    let is_escape = |&byte: &u8| byte == b'%' || byte == b'+';
    let Some(first) = raw.iter().position(is_escape) else {
        // Nothing to decode (most names and values): the bytes as they are.
        return std::str::from_utf8(raw).ok().map(Cow::Borrowed);
    };
    let mut out = Vec::with_capacity(raw.len());
    let (mut run, mut rest) = raw.split_at_checked(first)?;
    loop {
        out.extend_from_slice(run);
        rest = match rest {
            [] => break,
            [b'+', tail @ ..] => {
                out.push(b' ');
                tail
            }
            [b'%', high, low, tail @ ..] => {
                out.push((hex_digit(*high)? << 4) | hex_digit(*low)?);
                tail
            }
            _ => return None,
        };
        (run, rest) = rest.split_at_checked(rest.iter().position(is_escape).unwrap_or(rest.len()))?;
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// `N` bytes from `2 * N` hex digits, of either case, or `None`.
///
/// Without a branch per digit (a branch between letters and digits of a
/// random signature is mispredicted about every other time), so that
/// decoding costs next to nothing beside the hashing.
pub(crate) fn decode_hex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    /// A digit's value, or 256 for a byte that is not a hex digit.
    fn value(byte: u8) -> u16 {
        let digit = byte.wrapping_sub(b'0');
        // `| 0x20` makes `A-F` lower-case, and no other byte `a-f`.
        let letter = (byte | 0x20).wrapping_sub(b'a');
        let digit = if digit < 10 { u16::from(digit) } else { 256 };
        let letter = if letter < 6 { u16::from(letter) + 10 } else { 256 };
        digit.min(letter)
    }
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0; N];
    let mut invalid = 0;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let &[high, low] = pair else { return None };
        let (high, low) = (value(high), value(low));
        invalid |= high | low;
        *byte = u8::try_from(((high << 4) | low) & 0xff).unwrap_or_default();
    }
    (invalid < 256).then_some(out)
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(text: &str) -> String {
        let mut out = String::new();
        push_encoded(&mut out, text);
        out
    }

    fn parsed(raw: &str) -> Result<Pairs<'_>, AuthError> {
        let mut pairs = Vec::new();
        parse_pairs(raw.as_bytes(), 100, &mut pairs).map(|()| pairs)
    }

    fn pair(name: &str, value: &str) -> (Cow<'static, str>, Cow<'static, str>) {
        (Cow::Owned(name.to_owned()), Cow::Owned(value.to_owned()))
    }

    fn owned(name: &str, value: &str) -> (String, String) {
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
    fn decodes_hex_as_the_hex_crate_does() {
        let digest = "5dd105d3793d8ec57234c79309a68e464cd5fdcf544611350851f6415d164f93";
        assert_eq!(decode_hex::<32>(digest.as_bytes()).map(hex::encode), Some(digest.to_owned()));
        assert_eq!(decode_hex::<32>(digest.to_ascii_uppercase().as_bytes()).map(hex::encode), Some(digest.to_owned()));
        assert_eq!(decode_hex::<2>(b"aF09"), Some([0xaf, 0x09]));
        assert_eq!(decode_hex::<0>(b""), Some([]));
        for bad in
            [&b"aF0"[..], b"aF090", b"", b"aF0g", b"G0aa", b"@0aa", b"`0aa", b"/0aa", b":0aa", b"0 aa", b"\xff0aa"]
        {
            assert_eq!(decode_hex::<2>(bad), None, "{bad:?}");
        }
        // Every pair of bytes, against the hex crate.
        for high in 0..=u8::MAX {
            for low in 0..=u8::MAX {
                let text = [high, low];
                let expected = hex::decode(text).ok().and_then(|bytes| <[u8; 1]>::try_from(bytes).ok());
                assert_eq!(decode_hex::<1>(&text), expected, "{text:?}");
            }
        }
    }

    #[test]
    fn encodes_twice_in_one_pass() {
        for text in ["", "aZ09-_.~", "%", "%25", "a b*c+d/e:f=", "中文", "2026-11-22T12:20:52Z", "%E4 😀"] {
            let mut twice = String::new();
            write_encoded_twice(&mut twice, text);
            assert_eq!(twice, encoded(&encoded(text)), "{text}");
        }
    }

    #[test]
    fn decodes_forms_strictly() {
        assert_eq!(
            parsed("a=1&b=&c&&d=x+y%2Bz").unwrap(),
            [pair("a", "1"), pair("b", ""), pair("c", ""), pair("d", "x y+z")]
        );
        assert_eq!(parsed("k=%E4%b8%ad").unwrap(), [pair("k", "中")]);
        assert_eq!(parsed("k=a=b").unwrap(), [pair("k", "a=b")]);
        assert_eq!(parsed("k=++%41%42c+%2b").unwrap(), [pair("k", "  ABc +")]);
        assert_eq!(parsed("%41+%42=%e4%B8%ADx").unwrap(), [pair("A B", "中x")]);
        for bad in ["k=%", "k=a%", "k=a%4", "k=%%41", "k=%4g", "k=a+%"] {
            assert_eq!(parsed(bad), Err(AuthError::InvalidParameter { name: "k".into() }), "{bad}");
        }
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
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        insert_all(&mut map, vec![pair("a", "1")]).unwrap();
        assert_eq!(
            insert_all(&mut map, vec![pair("b", "2"), pair("a", "1")]),
            Err(AuthError::DuplicateParameter { name: "a".into() })
        );
        let mut borrowed: BTreeMap<Cow<'_, str>, Cow<'_, str>> = BTreeMap::new();
        assert_eq!(
            insert_all(&mut borrowed, parsed("a=1&b=2&a=3").unwrap()),
            Err(AuthError::DuplicateParameter { name: "a".into() })
        );
    }

    #[test]
    fn borrows_what_needs_no_decoding() {
        let pairs = parsed("RegionId=cn-hangzhou&Name=a+b&Empty=").unwrap();
        assert!(matches!(pairs[0], (Cow::Borrowed("RegionId"), Cow::Borrowed("cn-hangzhou"))));
        assert!(matches!(&pairs[1], (Cow::Borrowed("Name"), Cow::Owned(value)) if value == "a b"));
        assert!(matches!(pairs[2], (Cow::Borrowed("Empty"), Cow::Borrowed(""))));
    }

    #[test]
    fn refuses_a_name_of_the_other_map_or_twice() {
        let query = BTreeMap::from([owned("a", "1")]);
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
        assert_eq!(body, BTreeMap::from([owned("b", "2"), owned("c", "")]));
        assert_eq!(query, BTreeMap::from([owned("a", "1")]));
    }
}
