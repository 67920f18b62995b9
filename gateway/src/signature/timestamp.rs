//! The one timestamp format both signatures use: UTC, to the second,
//! `yyyy-MM-ddTHH:mm:ssZ` (`2026-11-22T12:20:36Z`), as the SDKs send it in
//! `x-acs-date` (V3) and `Timestamp` (V1).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Reads `yyyy-MM-ddTHH:mm:ssZ`, and nothing else: no fraction, no offset
/// but `Z`, no lowercase `t` or `z`, a real calendar date and time of day.
///
/// ```
/// use ramguard_gateway::signature::parse_timestamp;
///
/// let at = parse_timestamp("2026-11-22T12:20:36Z").ok_or("unreadable")?;
/// assert_eq!(at.unix_timestamp(), 1_795_350_036);
/// assert!(parse_timestamp("2026-02-30T00:00:00Z").is_none());
/// assert!(parse_timestamp("2026-11-22T12:20:36.000Z").is_none());
/// # Ok::<(), &str>(())
/// ```
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 20 {
        return None;
    }
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'Z')];
    if !separators.iter().all(|&(at, byte)| bytes.get(at) == Some(&byte)) {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u16> {
        bytes
            .get(from..to)?
            .iter()
            .try_fold(0_u16, |sum, &digit| digit.is_ascii_digit().then(|| sum * 10 + u16::from(digit - b'0')))
    };
    let year = i32::from(number(0, 4)?);
    let month = Month::try_from(u8::try_from(number(5, 7)?).ok()?).ok()?;
    let day = u8::try_from(number(8, 10)?).ok()?;
    let hour = u8::try_from(number(11, 13)?).ok()?;
    let minute = u8::try_from(number(14, 16)?).ok()?;
    let second = u8::try_from(number(17, 19)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Writes `at` as `yyyy-MM-ddTHH:mm:ssZ` in UTC, dropping any fraction of a
/// second; the inverse of [`parse_timestamp`] for years 0 to 9999.
///
/// ```
/// use ramguard_gateway::signature::{format_timestamp, parse_timestamp};
///
/// let at = time::OffsetDateTime::from_unix_timestamp(1_795_350_036)?;
/// assert_eq!(format_timestamp(at), "2026-11-22T12:20:36Z");
/// assert_eq!(parse_timestamp(&format_timestamp(at)), Some(at));
/// # Ok::<(), time::error::ComponentRange>(())
/// ```
pub fn format_timestamp(at: OffsetDateTime) -> String {
    // Seconds since the epoch are the same in every offset, and reading them
    // back gives the same instant in UTC.
    let utc = OffsetDateTime::from_unix_timestamp(at.unix_timestamp()).unwrap_or(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sdk_format_only() {
        let at = parse_timestamp("2016-02-23T12:46:24Z").unwrap();
        assert_eq!(at.unix_timestamp(), 1_456_231_584);
        for bad in [
            "",
            "2016-02-23T12:46:24",
            "2016-02-23 12:46:24Z",
            "2016-02-23t12:46:24Z",
            "2016-02-23T12:46:24z",
            "2016-02-23T12:46:24+00:00",
            "2016-13-23T12:46:24Z",
            "2016-02-23T24:00:00Z",
            "2016-02-23T12:60:00Z",
            "+016-02-23T12:46:24Z",
            "2016-02-2３T12:46:2Z",
            "２016-02-23T12:46:24Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
        assert!(parse_timestamp("2016-02-29T00:00:00Z").is_some());
        assert!(parse_timestamp("2015-02-29T00:00:00Z").is_none());
    }

    #[test]
    fn writes_utc() {
        let at = OffsetDateTime::from_unix_timestamp(1_456_231_584).unwrap();
        let east = at.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
        assert_eq!(format_timestamp(east), "2016-02-23T12:46:24Z");
    }
}
