//! Why a request was not authenticated, with the HTTP status, the code and
//! the message Alibaba Cloud answers with, so that the HTTP layer can answer
//! in Alibaba's envelope (`RequestId`, `HostId`, `Code`, `Message`,
//! `Recommend`).
//!
//! Each message is Alibaba's own; where it was found is said on each
//! variant. No error ever holds a secret: the string-to-sign that
//! `SignatureDoesNotMatch` returns is built from the request alone.

use std::time::Duration;

/// Why a request was not authenticated.
///
/// [`status`](Self::status), [`code`](Self::code) and
/// [`message`](Self::message) (the same text as `Display`) are what the
/// client is told; the fields say more, for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// `IncompleteSignature` (400): the `Authorization` header or the V1
    /// signature is missing or malformed, a signed header is absent, or
    /// `host`, `content-type` or an `x-acs-*` header is not signed.
    ///
    /// Message: Alibaba's common error codes table (the "Response" page of
    /// the ECS and Classic Load Balancer API references); the official Tea
    /// SDKs raise the same text (`transfer_incomplete_signature_exception`).
    #[error("The request signature does not conform to Aliyun standards.")]
    IncompleteSignature {
        /// What is wrong, for logs.
        reason: &'static str,
    },
    /// `SignatureDoesNotMatch` (400): the signature is not the one the
    /// secret gives over the request as received.
    ///
    /// Message: the prefix the official Go SDK matches
    /// (`MessagePrefix` in `alibaba-cloud-sdk-go`,
    /// `sdk/errors/signature_does_not_match_wrapper.go`), as Alibaba's API
    /// gateway answers V1 requests (for example the `alidns` answer quoted by
    /// the NewFuture/DDNS project), followed by the server's string-to-sign. The
    /// V1 Python core SDK (`aliyunsdkcore/client.py`) takes
    /// `Message.split(':')[1]` and compares it with its own string-to-sign
    /// to tell a wrong secret from a wrong signature, so the message has
    /// exactly one `:` before the string-to-sign, which itself has none (V1
    /// encodes `:` as `%253A`; V3's is the algorithm and a hex digest).
    /// V3 requests get the same message: no public source gives another
    /// text for them.
    #[error("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}")]
    SignatureDoesNotMatch {
        /// The string-to-sign the server computed from the request.
        string_to_sign: String,
    },
    /// `SignatureDoesNotMatch` (400), because `x-acs-content-sha256` is not
    /// the SHA-256 of the body received: the server's string-to-sign hashes
    /// the body it received, so it is not the one the client signed.
    ///
    /// Decision: Alibaba documents no separate code for this; the signature
    /// does not match the request as received, so the answer is the same.
    #[error("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}")]
    BodyHashMismatch {
        /// The string-to-sign the server computed, over the body received.
        string_to_sign: String,
    },
    /// `InvalidAccessKeyId.NotFound` (404): no credential has this
    /// AccessKeyId.
    ///
    /// Message and status: the error code table of Alibaba's FPGA as a
    /// Service `faascmd` FAQ, and the answers of Alibaba's endpoints quoted
    /// in public client code (`dypnsapi`, `mt`, `nlsmeta`).
    #[error("Specified access key is not found.")]
    AccessKeyNotFound,
    /// `InvalidTimeStamp.Format` (400): `x-acs-date` or `Timestamp` is not
    /// `yyyy-MM-ddTHH:mm:ssZ`.
    ///
    /// Code: Alibaba's public error codes (as listed in
    /// `terraform-provider-alicloud`'s common errors); message: Alibaba's
    /// answer to a malformed V3 request, quoted in public client code.
    #[error("Specified time stamp or date value is not well formatted.")]
    TimestampFormat {
        /// The header or parameter: `x-acs-date` or `Timestamp`.
        name: &'static str,
    },
    /// `InvalidTimeStamp.Expired` (400): the request's time is more than
    /// [`MAX_SKEW`](super::MAX_SKEW) (15 minutes) from the server's clock,
    /// either way.
    ///
    /// Message: Alibaba's SMS API error code reference, and the answers of
    /// `dysmsapi.aliyuncs.com` quoted in public code.
    #[error("Specified time stamp or date value is expired.")]
    TimestampExpired,
    /// `MissingParameter` (400): a header or parameter the signature needs is
    /// absent or empty (`x-acs-action`, `x-acs-signature-nonce`,
    /// `Timestamp`, ...).
    ///
    /// Message: Alibaba's common error codes table (the ECS and Classic Load
    /// Balancer "Response" page), in the form the guard already answers.
    #[error("The input parameter \"{name}\" that is mandatory for processing this request is not supplied.")]
    MissingParameter {
        /// The header or parameter.
        name: &'static str,
    },
    /// `InvalidParameter` (400): a header or parameter has a value the
    /// signature cannot take (a `SignatureMethod` other than `HMAC-SHA1`, a
    /// value that does not decode, a nonce over the limit).
    ///
    /// Message: Alibaba's common error codes table (`The specified parameter
    /// “SignatureMethod” is not valid.`), as the guard answers.
    #[error("The specified parameter \"{name}\" is not valid.")]
    InvalidParameter {
        /// The header or parameter.
        name: String,
    },
    /// `InvalidParameter` (400): a parameter is given twice (in the query
    /// and the body, or twice in one), or a header that carries one value
    /// twice.
    ///
    /// Decision: the request does not say which value it means, so neither
    /// is taken.
    #[error("The specified parameter \"{name}\" is not valid.")]
    DuplicateParameter {
        /// The parameter or header.
        name: String,
    },
    /// `InvalidParameter` (400): a parameter without a name, or with a name
    /// that does not decode to UTF-8.
    ///
    /// Message: Alibaba's common error codes table ("The specified parameter
    /// is not valid.").
    #[error("The specified parameter is not valid.")]
    MalformedParameters,
    /// `InvalidParameter` (400): the request is larger than a
    /// [`Limits`](super::Limits) allows.
    ///
    /// Decision: Alibaba documents no answer to an oversized API request;
    /// `InvalidParameter` is its code for a request it does not take as
    /// given, and the message names the limit.
    #[error("The request exceeds a limit of this gateway: at most {limit} {what}.")]
    TooLarge {
        /// What is counted: `path and query bytes`, `header fields`,
        /// `header bytes`, `body bytes`, `parameters`, `nonce bytes`.
        what: &'static str,
        /// The most allowed.
        limit: usize,
    },
    /// `MissingSecurityToken` (400): the AccessKeyId is a temporary one and
    /// the request carries no security token.
    ///
    /// Message: Alibaba's STS `AssumeRole` common errors (`ErrorCode:
    /// MissingSecurityToken ErrorMessage: SecurityToken is mandatory for this
    /// action.`). Decision: 400, as every other error of the family.
    #[error("SecurityToken is mandatory for this action.")]
    MissingSecurityToken,
    /// `InvalidSecurityToken.MismatchWithAccessKey` (400): the security
    /// token is not the one issued with the AccessKeyId, or a token came
    /// with a permanent AccessKeyId.
    ///
    /// Message and status: the `faascmd` FAQ error code table.
    #[error("Specified SecurityToken mismatch with the AccessKey.")]
    SecurityTokenMismatch,
    /// `InvalidSecurityToken.Expired` (400): the temporary credential has
    /// expired.
    ///
    /// Message and status: the `faascmd` FAQ error code table (some
    /// product references list it as 403; the gateway's table says 400).
    #[error("Specified SecurityToken is expired.")]
    SecurityTokenExpired,
    /// `SignatureNonceUsed` (400): this AccessKeyId sent this nonce before,
    /// within the window.
    ///
    /// Message and status: Alibaba's SMS API error code reference and the
    /// Classic Load Balancer API error tables.
    #[error("Specified signature nonce was used already.")]
    NonceUsed,
    /// `ServiceUnavailable` (503): the nonce store is full, so the request's
    /// nonce could not be remembered and the request is refused rather than
    /// made replayable. Retrying after `retry_after` can succeed.
    ///
    /// Message and status: Alibaba's common error codes table (503). The
    /// V1 SDK retries HTTP 503 for the operations it retries; the V3 SDKs
    /// wait the milliseconds of an `x-acs-retry-after` header, which the HTTP
    /// layer can set from `retry_after`.
    #[error("The request has failed due to a temporary failure of the server.")]
    Unavailable {
        /// When the oldest remembered nonce leaves the window, freeing room.
        retry_after: Duration,
    },
    /// `ServiceUnavailable` (503): the nonce store could not answer (it is
    /// kept in another process, shared by several gateways, and is
    /// unreachable or too slow), so the request is refused rather than let
    /// through with a nonce that was not checked. A retry, signed anew, can
    /// succeed once the store is back.
    ///
    /// Code and status: Alibaba's common error codes table (503); the
    /// message is Alibaba's, followed by what failed.
    #[error(
        "The request has failed due to a temporary failure of the server: its signature nonce could not be checked."
    )]
    NonceStoreUnavailable,
}

impl AuthError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            Self::AccessKeyNotFound => 404,
            Self::Unavailable { .. } | Self::NonceStoreUnavailable => 503,
            _ => 400,
        }
    }

    /// Alibaba's error code, for the envelope's `Code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IncompleteSignature { .. } => "IncompleteSignature",
            Self::SignatureDoesNotMatch { .. } | Self::BodyHashMismatch { .. } => "SignatureDoesNotMatch",
            Self::AccessKeyNotFound => "InvalidAccessKeyId.NotFound",
            Self::TimestampFormat { .. } => "InvalidTimeStamp.Format",
            Self::TimestampExpired => "InvalidTimeStamp.Expired",
            Self::MissingParameter { .. } => "MissingParameter",
            Self::InvalidParameter { .. }
            | Self::DuplicateParameter { .. }
            | Self::MalformedParameters
            | Self::TooLarge { .. } => "InvalidParameter",
            Self::MissingSecurityToken => "MissingSecurityToken",
            Self::SecurityTokenMismatch => "InvalidSecurityToken.MismatchWithAccessKey",
            Self::SecurityTokenExpired => "InvalidSecurityToken.Expired",
            Self::NonceUsed => "SignatureNonceUsed",
            Self::Unavailable { .. } | Self::NonceStoreUnavailable => "ServiceUnavailable",
        }
    }

    /// The message, for the envelope's `Message`.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// How long to wait before retrying, for an error that a retry can cure.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after } => Some(*retry_after),
            Self::NonceStoreUnavailable => Some(Duration::from_secs(1)),
            _ => None,
        }
    }
}
