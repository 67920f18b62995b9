//! Typed condition values: decimals, instants, IP networks and booleans,
//! parsed from the strings that RAM policies and requests carry.

use std::cmp::Ordering;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use nom::branch::alt;
use nom::bytes::complete::{tag_no_case, take_while_m_n, take_while1};
use nom::character::complete::{char, one_of};
use nom::combinator::{all_consuming, map_res, opt, recognize};
use nom::{IResult, Parser};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// An exact decimal number (`-12.50`), compared without rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros.
    int: String,
    /// Fraction digits without trailing zeros.
    frac: String,
}

impl Decimal {
    fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.is_empty()
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(&other.int))
            .then_with(|| self.frac.cmp(&other.frac))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn digits(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_digit())(input)
}

fn decimal_parts(input: &str) -> IResult<&str, (Option<char>, &str, Option<&str>)> {
    all_consuming((opt(one_of("+-")), digits, opt(nom::sequence::preceded(char('.'), digits)))).parse(input)
}

/// Parses `[+-]digits[.digits]`.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let (_, (sign, int, frac)) = decimal_parts(s).ok()?;
    let mut d = Decimal {
        negative: sign == Some('-'),
        int: int.trim_start_matches('0').to_owned(),
        frac: frac.unwrap_or_default().trim_end_matches('0').to_owned(),
    };
    if d.is_zero() {
        d.negative = false;
    }
    Some(d)
}

/// A point in time, in nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(i128);

impl Instant {
    /// The instant of an offset date-time.
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        Self(dt.unix_timestamp_nanos())
    }

    /// Whole seconds since the Unix epoch (fractions dropped).
    pub fn unix_seconds(self) -> i64 {
        i64::try_from(self.0.div_euclid(1_000_000_000)).unwrap_or(i64::MAX)
    }
}

/// `2026-11-22T13:31:00Z` for a number of seconds since the Unix epoch.
pub fn format_unix_seconds(seconds: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

fn fixed_digits(n: usize) -> impl FnMut(&str) -> IResult<&str, u32> {
    move |input| map_res(take_while_m_n(n, n, |c: char| c.is_ascii_digit()), str::parse::<u32>).parse(input)
}

struct RawDateTime {
    year: u32,
    month: u32,
    day: u32,
    time: Option<(u32, u32, u32, u32, i32)>,
}

fn offset(input: &str) -> IResult<&str, i32> {
    alt((
        tag_no_case("z").map(|_| 0),
        map_res((one_of("+-"), fixed_digits(2), opt(char(':')), fixed_digits(2)), |(sign, h, _, m)| {
            if h > 23 || m > 59 {
                return Err("offset out of range");
            }
            let secs = i32::try_from(h * 3600 + m * 60).map_err(|_| "offset out of range")?;
            Ok(if sign == '-' { -secs } else { secs })
        }),
    ))
    .parse(input)
}

fn fraction_nanos(input: &str) -> IResult<&str, u32> {
    let (input, _) = char('.')(input)?;
    let (input, frac) = digits(input)?;
    let mut nanos = 0u32;
    for (i, c) in frac.chars().take(9).enumerate() {
        let digit = c.to_digit(10).unwrap_or(0);
        nanos += digit * 10u32.pow(8 - u32::try_from(i).unwrap_or(8));
    }
    Ok((input, nanos))
}

fn time_part(input: &str) -> IResult<&str, (u32, u32, u32, u32, i32)> {
    let (input, _) = one_of("Tt")(input)?;
    let (input, (h, _, m)) = (fixed_digits(2), char(':'), fixed_digits(2)).parse(input)?;
    let (input, secs) = opt((char(':'), fixed_digits(2), opt(fraction_nanos))).parse(input)?;
    let (input, off) = offset(input)?;
    let (s, nanos) = secs.map(|(_, s, n)| (s, n.unwrap_or(0))).unwrap_or((0, 0));
    Ok((input, (h, m, s, nanos, off)))
}

fn datetime(input: &str) -> IResult<&str, RawDateTime> {
    let (input, (year, _, month, _, day)) =
        (fixed_digits(4), char('-'), fixed_digits(2), char('-'), fixed_digits(2)).parse(input)?;
    let (input, time) = all_consuming(opt(time_part)).parse(input)?;
    Ok((input, RawDateTime { year, month, day, time }))
}

/// Parses an ISO 8601 date-time with `Z` or an offset
/// (`2019-08-12T17:00:00+08:00`, seconds and fractions optional), or a bare
/// date (`2019-08-12`, read as midnight UTC).
pub fn parse_instant(s: &str) -> Option<Instant> {
    let (_, raw) = datetime(s).ok()?;
    let month = Month::try_from(u8::try_from(raw.month).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(raw.year).ok()?, month, u8::try_from(raw.day).ok()?).ok()?;
    let (h, m, sec, nanos, off) = raw.time.unwrap_or((0, 0, 0, 0, 0));
    let time =
        Time::from_hms_nano(u8::try_from(h).ok()?, u8::try_from(m).ok()?, u8::try_from(sec).ok()?, nanos).ok()?;
    let offset = UtcOffset::from_whole_seconds(off).ok()?;
    Some(Instant::from_datetime(PrimitiveDateTime::new(date, time).assume_offset(offset)))
}

/// An IP network: an address and a prefix length (a lone address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` lies inside the network. An IPv4-mapped IPv6 address
    /// (`::ffff:1.2.3.4`) lies in the IPv4 blocks that hold its IPv4 address
    /// and in the IPv6 blocks that hold it as an IPv6 address; otherwise
    /// addresses of the other family never do.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => self.contains_v4(net, ip),
            (IpAddr::V4(net), IpAddr::V6(ip)) => ip.to_ipv4_mapped().is_some_and(|ip| self.contains_v4(net, ip)),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }

    fn contains_v4(&self, net: Ipv4Addr, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
        u32::from(net) & mask == u32::from(ip) & mask
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn cidr_parts(input: &str) -> IResult<&str, (&str, Option<&str>)> {
    all_consuming((
        take_while1(|c: char| c.is_ascii_hexdigit() || c == '.' || c == ':'),
        opt(nom::sequence::preceded(char('/'), recognize(take_while_m_n(1, 3, |c: char| c.is_ascii_digit())))),
    ))
    .parse(input)
}

/// Parses an address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
/// Host bits beyond the prefix are ignored, as the network is what matters.
/// A block written in IPv6 stays IPv6, also inside the IPv4-mapped range
/// (`::ffff:10.0.0.0/104` holds `::ffff:10.1.2.3`, not `10.1.2.3`).
pub fn parse_ipnet(s: &str) -> Option<IpNet> {
    let (_, (addr, prefix)) = cidr_parts(s).ok()?;
    let addr = addr.parse::<IpAddr>().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
        None => max,
    };
    Some(IpNet { addr, prefix })
}

/// Parses a single IP address (a request's `acs:SourceIp`); a CIDR block is
/// not an address. An IPv4-mapped address stays IPv6: [`IpNet::contains`]
/// knows it is also an IPv4 address.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok()
}

/// Parses `true` / `false`, ignoring ASCII case.
pub fn parse_bool(s: &str) -> Option<bool> {
    fn boolean(input: &str) -> IResult<&str, bool> {
        all_consuming(alt((tag_no_case("true").map(|_| true), tag_no_case("false").map(|_| false)))).parse(input)
    }
    boolean(s).ok().map(|(_, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn decimals_compare_exactly() {
        assert_eq!(d("1"), d("1.0"));
        assert_eq!(d("007"), d("7.000"));
        assert_eq!(d("-0"), d("0"));
        assert!(d("10") > d("9.99"));
        assert!(d("-10") < d("-9.99"));
        assert!(d("0.1") < d("0.10000000000000000001"));
        assert!(d("123456789012345678901234567890") > d("123456789012345678901234567889"));
        assert!(d("-1") < d("0"));
        assert!(d("+5") == d("5"));
        for bad in ["", "1.", ".5", "1e3", "one", "1,000", " 1", "--1", "0x10"] {
            assert!(parse_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn instants_respect_offsets() {
        let a = parse_instant("2019-08-12T17:00:00+08:00").unwrap();
        let b = parse_instant("2019-08-12T09:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_instant("2019-08-12T09:00:01Z").unwrap() > b);
        assert_eq!(parse_instant("2019-08-12").unwrap(), parse_instant("2019-08-12T00:00:00Z").unwrap());
        assert_eq!(parse_instant("2019-08-12T09:00Z").unwrap(), b);
        assert!(parse_instant("2019-08-12T09:00:00.5Z").unwrap() > b);
        assert_eq!(parse_instant("2019-08-12T17:00:00+0800").unwrap(), b);
        for bad in [
            "2019-02-30T00:00:00Z",
            "2019-13-01",
            "2019-08-12T17:00:00",
            "2019-08-12T25:00:00Z",
            "12/08/2019",
            "2019-8-12",
            "2019-08-12T17:00:00+08:60",
            "2019-08-12T17:00:00+24:00",
            "now",
            "",
        ] {
            assert!(parse_instant(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn unix_seconds_round_trip() {
        let t = parse_instant("2026-11-22T21:31:05+08:00").unwrap();
        assert_eq!(t.unix_seconds(), 1_795_354_265);
        assert_eq!(format_unix_seconds(1_795_354_265).as_deref(), Some("2026-11-22T13:31:05Z"));
        assert_eq!(parse_instant("1969-12-31T23:59:59.5Z").unwrap().unix_seconds(), -1);
    }

    #[test]
    fn ip_networks() {
        let net = parse_ipnet("192.168.0.0/16").unwrap();
        assert!(net.contains("192.168.3.4".parse().unwrap()));
        assert!(!net.contains("192.169.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:192.168.1.1".parse().unwrap()));
        let single = parse_ipnet("10.1.2.3").unwrap();
        assert!(single.contains("10.1.2.3".parse().unwrap()));
        assert!(!single.contains("10.1.2.4".parse().unwrap()));
        let v6 = parse_ipnet("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(parse_ipnet("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(parse_ipnet("10.0.0.1/24").unwrap().contains("10.0.0.200".parse().unwrap()));
        for bad in ["42.120.XX.X/24", "203.0.XX.XX", "10.0.0.0/33", "10.0.0.0/", "1.2.3", "::/129", "x", ""] {
            assert!(parse_ipnet(bad).is_none(), "{bad}");
        }
        assert!(parse_ip("10.0.0.0/8").is_none());
        let mapped = parse_ipnet("::ffff:0:0/96").unwrap();
        assert!(mapped.contains("::ffff:192.0.2.1".parse().unwrap()));
        assert!(!mapped.contains("192.0.2.1".parse().unwrap()));
        assert!(!mapped.contains("2001:db8::1".parse().unwrap()));
        let mapped8 = parse_ipnet("::ffff:10.0.0.0/104").unwrap();
        assert!(mapped8.contains("::ffff:10.9.9.9".parse().unwrap()));
        assert!(!mapped8.contains("::ffff:11.0.0.1".parse().unwrap()));
        assert!(!mapped8.contains("10.9.9.9".parse().unwrap()));
        assert!(parse_ipnet("::ffff:0:0/80").unwrap().contains("::1:2:3".parse().unwrap()));
        let wide = parse_ipnet("::ffff:0:0/95").unwrap();
        assert!(wide.contains(parse_ip("::ffff:1.2.3.4").unwrap()));
        assert!(parse_ipnet("::/0").unwrap().contains(parse_ip("::ffff:1.2.3.4").unwrap()));
        assert!(parse_ipnet("1.2.3.0/24").unwrap().contains(parse_ip("::ffff:1.2.3.4").unwrap()));
        assert!(!parse_ipnet("::/0").unwrap().contains(parse_ip("1.2.3.4").unwrap()));
        assert!(!parse_ipnet("0.0.0.0/0").unwrap().contains(parse_ip("::1").unwrap()));
        assert_eq!(parse_ip("10.0.0.1"), Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn booleans_ignore_case() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool("true "), None);
        assert_eq!(parse_bool("1"), None);
    }
}
