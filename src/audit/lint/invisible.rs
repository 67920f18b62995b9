//! Characters that make a name read as another (RG210): whitespace at either
//! end, invisible characters, and non-ASCII lookalikes of ASCII characters.
//!
//! Action names, condition key names and the structural fields of an ARN are
//! ASCII words, so a character of these kinds in them is never what the
//! author meant, and RAM compares them exactly: `"acs:SourceIp "` is another
//! key than `acs:SourceIp`, always absent from requests.
//!
//! - **Whitespace** is Unicode's `White_Space` (space, tab, line breaks,
//!   U+00A0 no-break space, U+3000 ideographic space, ...).
//! - **Invisible** characters are Unicode's `Default_Ignorable_Code_Point`
//!   (U+200B zero-width space, U+200C/U+200D zero-width (non-)joiner, U+2060
//!   word joiner, U+FEFF byte order mark, U+00AD soft hyphen, the bidi
//!   controls U+200E/U+200F, U+202A–U+202E and U+2066–U+2069, U+3164 Hangul
//!   filler, variation selectors, ...): the characters the skeleton of
//!   UTS #39 drops.
//! - A **lookalike** is a non-ASCII character whose compatibility form
//!   (NFKC: fullwidth `Ａ`, long s `ſ`, mathematical letters) or UTS #39
//!   confusable prototype (Cyrillic `е`, Greek `Ο`, ...) is ASCII.

use unicode_normalization::UnicodeNormalization;

use crate::operations::catalog::Catalog;

/// What is odd about one character.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Odd {
    /// Whitespace.
    Space,
    /// A default-ignorable character.
    Invisible,
    /// A non-ASCII character that stands for this ASCII text.
    Lookalike(String),
}

/// Whether UTS #39 drops the character from skeletons (it is
/// `Default_Ignorable_Code_Point`).
fn is_invisible(c: char) -> bool {
    let mut buf = [0u8; 4];
    unicode_security::skeleton(c.encode_utf8(&mut buf)).next().is_none()
}

/// The ASCII text a non-ASCII, visible character looks like, if any.
fn lookalike(c: char) -> Option<String> {
    let mut buf = [0u8; 4];
    let text: &str = c.encode_utf8(&mut buf);
    let compat: String = text.nfkc().collect();
    if !compat.is_empty() && compat.is_ascii() && !compat.chars().all(char::is_whitespace) {
        return Some(compat);
    }
    let prototype: String = unicode_security::skeleton(text).collect();
    if prototype.is_empty() || !prototype.is_ascii() || prototype == text {
        return None;
    }
    // UTS #39 folds `I` into `l`: a capital letter that looks like `l` is an `I`.
    if prototype == "l" && c.is_uppercase() {
        return Some("I".to_owned());
    }
    Some(prototype)
}

fn classify(c: char) -> Option<Odd> {
    if c.is_whitespace() {
        return Some(Odd::Space);
    }
    if c.is_control() {
        return Some(Odd::Invisible);
    }
    if c.is_ascii() {
        return None;
    }
    if is_invisible(c) {
        return Some(Odd::Invisible);
    }
    lookalike(c).map(Odd::Lookalike)
}

/// Invisible characters that are flagged inside resource names too: they
/// have no part in any word (unlike the zero-width joiners of Persian and
/// Indic text, or the variation selectors of emoji), and bidi controls change
/// the order in which a reviewer sees the text.
fn never_in_text(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A readable name for the characters met most often.
fn char_name(c: char) -> Option<&'static str> {
    Some(match c {
        ' ' => "a space",
        '\t' => "a tab",
        '\n' | '\r' => "a line break",
        '\u{00A0}' => "a no-break space",
        '\u{00AD}' => "a soft hyphen",
        '\u{200B}' => "a zero-width space",
        '\u{200C}' => "a zero-width non-joiner",
        '\u{200D}' => "a zero-width joiner",
        '\u{200E}' | '\u{200F}' => "a bidi mark",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "a bidi control",
        '\u{2060}' => "a word joiner",
        '\u{3000}' => "an ideographic space",
        '\u{FEFF}' => "a byte order mark",
        _ => return None,
    })
}

/// `U+200B`.
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// How a character is shown in a message: visible characters as themselves,
/// the others as a JSON escape.
fn shown(c: char) -> String {
    if c == ' ' || classify(c).is_none_or(|o| matches!(o, Odd::Lookalike(_))) {
        c.to_string()
    } else {
        format!("\\u{:04x}", u32::from(c))
    }
}

/// A string with its invisible characters and whitespace other than spaces
/// written as JSON escapes, so that a message shows them.
pub(super) fn display(s: &str) -> String {
    s.chars().map(shown).collect()
}

/// `a`, `a and b`, `a, b and c`.
pub(super) fn and_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.concat(),
    }
}

/// What was found in one string, and its folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Oddity {
    /// What is wrong: "ends with a space (U+0020)", "has `е` (U+0435), which
    /// looks like `e`".
    pub(super) problems: Vec<String>,
    /// The string trimmed of whitespace and invisible characters at its ends,
    /// with the flagged characters inside removed or replaced by the ASCII
    /// they look like.
    pub(super) folded: String,
}

/// Which part of a string is an ASCII word (checked for every kind of odd
/// character) and which is free text (checked for whitespace and invisible
/// characters at the ends of the whole string, and characters that never
/// belong in text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// An action name or pattern: all of it.
    Action,
    /// A condition key: all of it, but the tag name of a tag key
    /// (`acs:ResourceTag/<name>`, `ecs:tag/<name>`) is free text.
    Key,
    /// A resource: `acs:<service>:<region>:<account>:<type>` is structural;
    /// what follows the resource type's `/` is the resource's own name.
    Resource,
}

/// How many characters of `chars` (read as their ASCII lookalikes) are the
/// structural part.
fn structural_len(chars: &[char], shape: Shape) -> usize {
    let ascii = |c: char| match classify(c) {
        Some(Odd::Lookalike(s)) => s.chars().next().unwrap_or(c),
        _ => c,
    };
    match shape {
        Shape::Action => chars.len(),
        Shape::Key => {
            let folded: String = chars.iter().map(|&c| ascii(c).to_ascii_lowercase()).collect();
            let Some(slash) = chars.iter().position(|&c| ascii(c) == '/') else { return chars.len() };
            let tag = folded
                .split_once(':')
                .is_some_and(|(_, rest)| ["tag/", "resourcetag/", "requesttag/"].iter().any(|p| rest.starts_with(p)));
            if tag { slash + 1 } else { chars.len() }
        }
        Shape::Resource => {
            let mut colons = 0;
            for (i, &c) in chars.iter().enumerate() {
                let a = ascii(c);
                if colons < 4 && a == ':' {
                    colons += 1;
                } else if colons == 4 && a == '/' {
                    return i;
                }
            }
            chars.len()
        }
    }
}

/// What is odd in `s`, read as `shape`; `None` when nothing is.
pub(super) fn inspect(s: &str, shape: Shape) -> Option<Oddity> {
    let chars: Vec<char> = s.chars().collect();
    let structural = structural_len(&chars, shape);
    // What may be trimmed from the ends: whitespace and control characters,
    // and invisible characters unless they may belong to a name's last word.
    let edge = |i: usize, c: char| {
        c.is_whitespace() || c.is_control() || (is_invisible(c) && (i < structural || never_in_text(c)))
    };
    let start = chars.iter().enumerate().position(|(i, &c)| !edge(i, c)).unwrap_or(chars.len());
    let end = chars.iter().enumerate().rposition(|(i, &c)| !edge(i, c)).map_or(start, |i| i + 1).max(start);
    let mut problems = Vec::new();
    let mut inside = Vec::new();
    let mut folded = String::new();
    let describe_edge = |c: char| {
        let kind = if c.is_whitespace() { "a whitespace character" } else { "an invisible character" };
        char_name(c).map_or_else(|| format!("{kind} ({})", code_point(c)), |n| format!("{n} ({})", code_point(c)))
    };
    if let Some(&c) = chars.first().filter(|_| start > 0) {
        problems.push(format!("starts with {}", describe_edge(c)));
    }
    if let Some(&c) = chars.last().filter(|_| end < chars.len()) {
        problems.push(format!("ends with {}", describe_edge(c)));
    }
    for (i, &c) in chars.iter().enumerate().take(end).skip(start) {
        let inside_word = i < structural;
        match classify(c) {
            Some(Odd::Invisible) if inside_word || never_in_text(c) => {
                let name = char_name(c).map_or_else(|| "an invisible character".to_owned(), str::to_owned);
                inside.push(format!("{name} ({}) after `{}`", code_point(c), display(&folded)));
            }
            Some(Odd::Space) if inside_word && c != ' ' => {
                let name = char_name(c).map_or_else(|| "a whitespace character".to_owned(), str::to_owned);
                inside.push(format!("{name} ({}) after `{}`", code_point(c), display(&folded)));
                folded.push(' ');
            }
            Some(Odd::Lookalike(ascii)) if inside_word => {
                inside.push(format!("`{c}` ({}, which looks like `{ascii}`)", code_point(c)));
                folded.push_str(&ascii);
            }
            _ => folded.push(c),
        }
    }
    if inside.len() > 3 {
        let more = inside.len() - 2;
        inside.truncate(2);
        inside.push(format!("{more} more such characters"));
    }
    if !inside.is_empty() {
        problems.push(format!("has {}", and_list(&inside)));
    }
    if problems.is_empty() {
        return None;
    }
    Some(Oddity { problems, folded })
}

/// Whether `folded` (an ASCII folding) is `candidate` but for case, or
/// for the characters UTS #39 reads as one (`I` and `l`, `0` and `O`).
pub(super) fn same_name(folded: &str, candidate: &str) -> bool {
    if folded.eq_ignore_ascii_case(candidate) {
        return true;
    }
    let skeleton = |s: &str| unicode_security::skeleton(s).collect::<String>().to_lowercase();
    skeleton(folded) == skeleton(candidate)
}

/// The catalog action a folded action stands for, if it is one.
pub(super) fn known_action<'c>(catalog: &'c Catalog, folded: &str) -> Option<&'c str> {
    catalog.operations().iter().map(|op| op.action.as_str()).find(|a| same_name(folded, a))
}

/// The help of an RG001 "invalid action format" whose action has whitespace
/// at an end, an invisible character or a lookalike in its service code
/// (RAM rejects those; RG210 would report the others).
pub(super) fn invalid_action_help(found: &str, catalog: &Catalog) -> Option<String> {
    let odd = inspect(found, Shape::Action)?;
    let fix = match known_action(catalog, &odd.folded) {
        Some(a) => format!("did you mean `{a}`?"),
        None => format!("write `{}`", odd.folded),
    };
    Some(format!("the action {}: {fix}", and_list(&odd.problems)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(s: &str, shape: Shape) -> Option<String> {
        inspect(s, shape).map(|o| o.folded)
    }

    #[test]
    fn whitespace_at_the_ends_is_found_whatever_it_is() {
        for s in [
            "acs:SourceIp ",
            " acs:SourceIp",
            "acs:SourceIp\t",
            "acs:SourceIp\n",
            "acs:SourceIp\u{a0}",
            "\u{3000}acs:SourceIp",
        ] {
            assert_eq!(folded(s, Shape::Key).as_deref(), Some("acs:SourceIp"), "{s:?}");
        }
        assert_eq!(inspect("acs:SourceIp ", Shape::Key).unwrap().problems, ["ends with a space (U+0020)"]);
        assert_eq!(
            inspect("\u{feff}vpc:X", Shape::Action).unwrap().problems,
            ["starts with a byte order mark (U+FEFF)"]
        );
    }

    #[test]
    fn invisible_characters_are_found_and_dropped() {
        for c in
            ['\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}', '\u{202e}', '\u{2066}', '\u{3164}']
        {
            let s = format!("vpc:Delete{c}VpnConnection");
            assert_eq!(folded(&s, Shape::Action).as_deref(), Some("vpc:DeleteVpnConnection"), "{c:?}");
        }
        let o = inspect("vpc:Delete\u{200b}VpnConnection", Shape::Action).unwrap();
        assert_eq!(o.problems, ["has a zero-width space (U+200B) after `vpc:Delete`"]);
    }

    #[test]
    fn lookalikes_fold_to_the_ascii_they_look_like() {
        let cases = [
            ("acs:Sоurce\u{406}p", "acs:SourceIp"), // Cyrillic о, Cyrillic І
            ("vpc:DeleteVpnConn\u{435}ction", "vpc:DeleteVpnConnection"), // Cyrillic е
            ("acs:\u{17f}ourceIp", "acs:sourceIp"), // long s
            ("\u{ff56}\u{ff50}\u{ff43}:Delete*", "vpc:Delete*"), // fullwidth
            ("acs:MFAPres\u{3b5}nt", "acs:MFAPres\u{3b5}nt"), // Greek ε is not confusable with e
            ("acs:\u{3a1}rincipalARN", "acs:PrincipalARN"), // Greek Ρ
            ("v\u{440}c:X", "vpc:X"),               // Cyrillic р
            ("acs:\u{405}ourceVpc", "acs:SourceVpc"), // Cyrillic Ѕ
        ];
        for (s, want) in cases {
            match folded(s, Shape::Key) {
                Some(f) => assert_eq!(f, want, "{s}"),
                None => assert_eq!(s, want, "{s} should be flagged"),
            }
        }
        assert!(same_name("acs:SourceIp", "ACS:SOURCEIP"));
        assert!(same_name("acs:Sourcelp", "acs:SourceIp"));
        assert!(!same_name("acs:SourceVpc", "acs:SourceIp"));
    }

    #[test]
    fn ascii_and_legitimate_text_are_left_alone() {
        assert_eq!(inspect("acs:SourceIp", Shape::Key), None);
        assert_eq!(inspect("ecs: CreateInstance", Shape::Action), None);
        // Tag names and resource names are free text.
        assert_eq!(inspect("acs:ResourceTag/环境", Shape::Key), None);
        assert_eq!(inspect("acs:ResourceTag/среда", Shape::Key), None);
        assert_eq!(inspect("acs:oss:*:1234567890123456:mybucket/报告/文件 1.txt", Shape::Resource), None);
        assert_eq!(inspect("acs:oss:*:*:bucket/Ρ\u{200d}x/café", Shape::Resource), None);
        assert_eq!(inspect("*", Shape::Resource), None);
    }

    #[test]
    fn resources_are_checked_in_their_structural_fields() {
        assert_eq!(
            folded("acs:v\u{440}c:*:*:vpnconnection/*", Shape::Resource).as_deref(),
            Some("acs:vpc:*:*:vpnconnection/*")
        );
        assert_eq!(
            folded("acs:vpc:*:*:vpnconn\u{435}ction/*", Shape::Resource).as_deref(),
            Some("acs:vpc:*:*:vpnconnection/*")
        );
        assert_eq!(
            folded("acs\u{ff1a}vpc:*:*:vpnconnection/*", Shape::Resource).as_deref(),
            Some("acs:vpc:*:*:vpnconnection/*")
        );
        assert_eq!(
            folded("acs:vpc:*:*:vpnconnection/* ", Shape::Resource).as_deref(),
            Some("acs:vpc:*:*:vpnconnection/*")
        );
        assert_eq!(folded("acs:oss:*:*:b/\u{202e}txt.exe", Shape::Resource).as_deref(), Some("acs:oss:*:*:b/txt.exe"));
        // A lookalike in a name is left alone.
        assert_eq!(inspect("acs:vpc:*:*:vpnconnection/vc\u{43e}-1", Shape::Resource), None);
        assert_eq!(folded("acs:ResourceТag/env", Shape::Key).as_deref(), Some("acs:ResourceTag/env"));
    }
}
