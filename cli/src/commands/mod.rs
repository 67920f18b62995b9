//! The subcommands, one module each, and what they share: the exit codes,
//! the one way policy files are chosen and read (`inputs`), the output
//! formats (`output`), `NAME=VALUE` arguments and the merged catalog.

pub(crate) mod audit;
pub(crate) mod call;
pub(crate) mod catalog;
pub(crate) mod diff;
pub(crate) mod eval;
pub(crate) mod extract;
pub(crate) mod inputs;
pub(crate) mod lint;
pub(crate) mod output;
pub(crate) mod poll;
pub(crate) mod test;
pub(crate) mod unknowns;
pub(crate) mod validate;

use std::path::Path;

use ramguard::catalog::Catalog;
use ramguard::policy::canonical_key;

/// Exit code: the answer is yes (valid, allowed, all cases passed).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: bad arguments, unreadable or invalid input.
pub(crate) const EXIT_ERROR: u8 = 1;
/// Exit code: the answer is no (denied, a case failed).
pub(crate) const EXIT_NO: u8 = 2;
/// Exit code: undecided; a search or budget ran out before the answer was
/// known (`who-can`, `what-can`, `lint`, `diff`).
pub(crate) const EXIT_UNDECIDED: u8 = 3;

/// Exit code: the service answered with an error other than a denial.
pub(crate) const EXIT_SERVICE_ERROR: u8 = 3;

/// `text` split at its first `=`, as `--param` and `--context` take it; the
/// error names `flag`.
pub(crate) fn pair<'a>(flag: &str, text: &'a str) -> Result<(&'a str, &'a str), String> {
    text.split_once('=').filter(|(k, _)| !k.is_empty()).ok_or_else(|| format!("{flag} `{text}`: expected KEY=VALUE"))
}

/// The `--context` pairs in order. A key given again in the same spelling
/// adds a value; two spellings of one key (letter case, or an alias such as
/// `InstanceType`) are an error.
pub(crate) fn context_pairs(texts: &[String]) -> Result<Vec<(&str, &str)>, String> {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(texts.len());
    for text in texts {
        let (key, value) = pair("--context", text)?;
        let canonical = canonical_key(key);
        if let Some((first, _)) = pairs.iter().find(|(k, _)| *k != key && canonical_key(k) == canonical) {
            return Err(format!(
                "--context `{text}`: `{key}` and `{first}` are one condition key: give all its values under one spelling"
            ));
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// The built-in catalog with the operations of `files` merged over it, in
/// order (a later file replaces an earlier one's operation of the same action).
pub(crate) fn catalog_with<'a>(files: impl IntoIterator<Item = &'a Path>) -> Result<Catalog, String> {
    let mut catalog = Catalog::builtin().map_err(|e| format!("the built-in catalog: {e}"))?.clone();
    for path in files {
        let extra = Catalog::from_json(&inputs::read_other(path)?).map_err(|e| format!("{}:{e}", path.display()))?;
        catalog.merge(extra).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(catalog)
}
