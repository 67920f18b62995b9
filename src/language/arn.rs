//! Alibaba Cloud resource names: `acs:<service>:<region>:<account>:<relative-id>`.

use std::fmt;
use std::str::FromStr;

use nom::bytes::complete::{tag, take_while};
use nom::character::complete::char;
use nom::combinator::{all_consuming, rest};
use nom::{IResult, Parser};

/// A parsed ARN. The region may be empty (`acs:ram::123:role/x`); the
/// relative id may itself contain `:` and `/`. Any field may hold wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    service: String,
    region: String,
    account: String,
    relative_id: String,
}

/// Why a string is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an ARN: expected `acs:<service>:<region>:<account>:<relative-id>`")]
pub struct ArnError {
    input: String,
}

fn field(input: &str) -> IResult<&str, &str> {
    take_while(|c| c != ':')(input)
}

fn arn_fields(input: &str) -> IResult<&str, (&str, &str, &str, &str)> {
    let (input, _) = tag("acs:")(input)?;
    let (input, (service, _, region, _, account, _, relative)) =
        all_consuming((field, char(':'), field, char(':'), field, char(':'), rest)).parse(input)?;
    Ok((input, (service, region, account, relative)))
}

impl Arn {
    /// Builds an ARN from its fields.
    pub fn new(service: &str, region: &str, account: &str, relative_id: &str) -> Self {
        Self {
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            relative_id: relative_id.to_owned(),
        }
    }

    /// The RAM code of the service (`vpc`, `ram`, `expressconnect`).
    pub fn service(&self) -> &str {
        &self.service
    }
    /// The region (empty for global resources).
    pub fn region(&self) -> &str {
        &self.region
    }
    /// The owning account id (`system` in system policies).
    pub fn account(&self) -> &str {
        &self.account
    }
    /// Everything after the fourth colon (`vpnconnection/vco-1`).
    pub fn relative_id(&self) -> &str {
        &self.relative_id
    }
    /// The resource type: the relative id up to its first `/`.
    pub fn resource_type(&self) -> &str {
        self.relative_id.split('/').next().unwrap_or_default()
    }
}

/// The account field of a resource name, without building an [`Arn`]: `None`
/// when `resource` is not of the form `acs:<service>:<region>:<account>:<rest>`
/// (`*`, for an action without resource-level authorization, is not).
pub(crate) fn account_field(resource: &str) -> Option<&str> {
    let rest = resource.strip_prefix("acs:")?;
    let mut colons = rest.bytes().enumerate().filter(|(_, b)| *b == b':').map(|(i, _)| i);
    let (_, second, third) = (colons.next()?, colons.next()?, colons.next()?);
    rest.get(second + 1..third)
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match arn_fields(s) {
            Ok((_, (service, region, account, relative))) if !service.is_empty() && !relative.is_empty() => {
                Ok(Self::new(service, region, account, relative))
            }
            _ => Err(ArnError { input: s.to_owned() }),
        }
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "acs:{}:{}:{}:{}", self.service, self.region, self.account, self.relative_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_five_fields() {
        let arn: Arn = "acs:vpc:cn-hangzhou:1234567890123456:vpnconnection/vco-123".parse().unwrap();
        assert_eq!(arn.service(), "vpc");
        assert_eq!(arn.region(), "cn-hangzhou");
        assert_eq!(arn.account(), "1234567890123456");
        assert_eq!(arn.relative_id(), "vpnconnection/vco-123");
        assert_eq!(arn.resource_type(), "vpnconnection");
    }

    #[test]
    fn empty_region_and_colons_in_relative_id() {
        let arn: Arn = "acs:ram::123:role/x".parse().unwrap();
        assert_eq!(arn.region(), "");
        assert_eq!(arn.relative_id(), "role/x");
        let arn: Arn = "acs:oss:*:*:bucket/obj:with:colons".parse().unwrap();
        assert_eq!(arn.relative_id(), "bucket/obj:with:colons");
    }

    #[test]
    fn round_trips() {
        for s in ["acs:ram::123:role/x", "acs:*:*cn-beijing*:*:*", "acs:ecs:*:*:instance/i-1/a:b"] {
            assert_eq!(s.parse::<Arn>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn account_field_without_parsing() {
        assert_eq!(account_field("acs:vpc:cn-hangzhou:123:vpnconnection/vco-1"), Some("123"));
        assert_eq!(account_field("acs:ram::123:role/x"), Some("123"));
        assert_eq!(account_field("acs:oss:cn:1:b/o:with:colons"), Some("1"));
        assert_eq!(account_field("acs:ecs:cn::instance/i"), Some(""));
        for s in ["*", "acs:vpc:r:a", "arn:aws:s3:::b", "", "vpc/v"] {
            assert_eq!(account_field(s), None, "{s}");
        }
    }

    #[test]
    fn rejects_non_arns() {
        for s in ["*", "acs:vpc", "acs:vpc:r:a", "arn:aws:s3:::b", "acs::r:a:x", "acs:vpc:r:a:", ""] {
            assert!(s.parse::<Arn>().is_err(), "{s}");
        }
    }
}
