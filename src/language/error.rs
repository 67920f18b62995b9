//! Errors and warnings from reading a policy document.

use std::fmt;

pub use crate::language::json::{JsonPath, Location};

/// What is wrong with a policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text is not JSON.
    #[error("invalid JSON: {message}")]
    Syntax {
        /// The JSON parser's description.
        message: String,
    },
    /// The document is longer than its kind allows.
    #[error("the document is {length} characters long, but {kind} policies may have at most {limit}")]
    TooLong {
        /// Characters in the document, whitespace included.
        length: usize,
        /// The limit in force.
        limit: usize,
        /// The policy kind, for the message.
        kind: &'static str,
    },
    /// A value has the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What was expected.
        expected: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// An element name that RAM does not know.
    #[error("unknown element `{name}`")]
    UnknownElement {
        /// The name as written.
        name: String,
    },
    /// A required element is absent.
    #[error("missing required element `{name}`")]
    MissingElement {
        /// The element's name.
        name: &'static str,
    },
    /// `Version` is not the string `"1"`.
    #[error("`Version` must be the string \"1\", found {found}")]
    InvalidVersion {
        /// The value found, as JSON.
        found: String,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("invalid effect `{found}`: expected `Allow` or `Deny`")]
    InvalidEffect {
        /// The value found.
        found: String,
    },
    /// An action that is neither `*` nor `<service>:<action>`.
    #[error("invalid action format `{found}`: expected `*` or `<service>:<action>`, such as `vpc:DeleteVpnConnection`")]
    InvalidAction {
        /// The value found.
        found: String,
    },
    /// An empty list, or a statement list with no statements.
    #[error("`{element}` must not be empty")]
    Empty {
        /// The element that is empty.
        element: String,
    },
    /// Two elements that exclude each other are both present.
    #[error("a statement may have `{first}` or `{second}`, not both")]
    Conflict {
        /// The first element.
        first: &'static str,
        /// The second element.
        second: &'static str,
    },
    /// `NotResource`, which the RAM language does not have.
    #[error("`NotResource` is not part of the RAM policy language")]
    NotResource,
    /// An element that this kind of policy may not have.
    #[error("`{element}` is not allowed in {kind} policies")]
    NotAllowedHere {
        /// The element.
        element: &'static str,
        /// The policy kind.
        kind: &'static str,
    },
    /// A condition operator that RAM does not have.
    #[error("unknown condition operator `{name}`")]
    UnknownOperator {
        /// The operator as written.
        name: String,
    },
    /// A condition value that does not have its operator's type.
    #[error("`{value}` is not valid for `{operator}`: expected {expected}")]
    InvalidConditionValue {
        /// The value as written.
        value: String,
        /// The operator.
        operator: String,
        /// What the operator needs.
        expected: &'static str,
    },
    /// An unknown principal type in `Principal`.
    #[error("unknown principal type `{name}`: expected `RAM`, `Service` or `Federated`")]
    UnknownPrincipalType {
        /// The name as written.
        name: String,
    },
    /// A principal entry whose account id holds a wildcard (`acs:ram::*:root`,
    /// or a masked id such as `123456789012****`): RAM names accounts only
    /// concretely.
    #[error("`{entry}` does not name an account: the account id of a principal cannot hold `*` or `?`")]
    WildcardPrincipalAccount {
        /// The entry as written.
        entry: String,
    },
    /// One condition key written twice under one operator, in spellings that
    /// differ only in letter case or through an alias (`InstanceType`).
    #[error("`{key}` and `{first}` are one condition key, written twice under `{operator}`")]
    DuplicateConditionKey {
        /// The later spelling.
        key: String,
        /// The first spelling.
        first: String,
        /// The operator as written.
        operator: String,
    },
}

impl ParseErrorKind {
    /// A stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            ParseErrorKind::Syntax { .. } => "json-syntax",
            ParseErrorKind::TooLong { .. } => "too-long",
            ParseErrorKind::WrongType { .. } => "wrong-type",
            ParseErrorKind::UnknownElement { .. } => "unknown-element",
            ParseErrorKind::MissingElement { .. } => "missing-element",
            ParseErrorKind::InvalidVersion { .. } => "invalid-version",
            ParseErrorKind::InvalidEffect { .. } => "invalid-effect",
            ParseErrorKind::InvalidAction { .. } => "invalid-action",
            ParseErrorKind::Empty { .. } => "empty",
            ParseErrorKind::Conflict { .. } => "conflicting-elements",
            ParseErrorKind::NotResource => "not-resource",
            ParseErrorKind::NotAllowedHere { .. } => "not-allowed-here",
            ParseErrorKind::UnknownOperator { .. } => "unknown-operator",
            ParseErrorKind::InvalidConditionValue { .. } => "invalid-condition-value",
            ParseErrorKind::UnknownPrincipalType { .. } => "unknown-principal-type",
            ParseErrorKind::DuplicateConditionKey { .. } => "duplicate-condition-key",
            ParseErrorKind::WildcardPrincipalAccount { .. } => "wildcard-principal-account",
        }
    }
}

/// One problem in a policy document, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    path: JsonPath,
    location: Location,
    help: Option<String>,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, path: JsonPath, location: Location, help: Option<String>) -> Self {
        Self { kind, path, location, help }
    }

    /// What is wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
    /// A stable code for the error (`invalid-effect`).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
    /// Where in the document, as a JSON path (`Statement[0].Effect`).
    pub fn path(&self) -> &JsonPath {
        &self.path
    }
    /// Line and column in the source text.
    pub fn location(&self) -> Location {
        self.location
    }
    /// How to fix it, when there is something useful to say.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)?;
        if !self.path.is_root() {
            write!(f, " (at {})", self.path)?;
        }
        if let Some(help) = &self.help {
            write!(f, ": {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Every problem found in one policy document (at least one), in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseErrors {
    errors: Vec<ParseError>,
}

impl ParseErrors {
    pub(crate) fn new(mut errors: Vec<ParseError>) -> Self {
        errors.sort_by_key(ParseError::location);
        Self { errors }
    }

    /// The problems, in document order.
    pub fn errors(&self) -> &[ParseError] {
        &self.errors
    }

    /// The first problem.
    pub fn first(&self) -> Option<&ParseError> {
        self.errors.first()
    }

    /// The same problems with their locations mapped by `f` (for a document
    /// embedded in a larger file).
    pub(crate) fn relocated(mut self, f: impl Fn(Location) -> Location) -> Self {
        for e in &mut self.errors {
            e.location = f(e.location);
        }
        self
    }
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

/// Something RAM accepts but a careful author would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseWarning {
    pub(crate) message: String,
    pub(crate) path: JsonPath,
    pub(crate) location: Location,
}

impl ParseWarning {
    /// What is worth changing.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Where, as a JSON path.
    pub fn path(&self) -> &JsonPath {
        &self.path
    }
    /// Line and column in the source text.
    pub fn location(&self) -> Location {
        self.location
    }
}

impl fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {} (at {})", self.location, self.message, self.path)
    }
}
