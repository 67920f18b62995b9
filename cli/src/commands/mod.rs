//! The audit and CI subcommands: `lint`, `who-can`, `what-can` and `diff`,
//! and the one way policy files are chosen and read (`inputs`).

pub(crate) mod audit;
pub(crate) mod diff;
pub(crate) mod inputs;
pub(crate) mod lint;

use std::path::Path;

use ramguard::Catalog;

/// The built-in catalog with the operations of `files` merged over it, in
/// order (a later file replaces an earlier one's operation of the same action).
pub(crate) fn catalog_with<'a>(files: impl IntoIterator<Item = &'a Path>) -> Result<Catalog, String> {
    let mut catalog = Catalog::builtin().map_err(|e| format!("the built-in catalog: {e}"))?.clone();
    for path in files {
        let extra = Catalog::from_json(&crate::read(path)?).map_err(|e| format!("{}:{e}", path.display()))?;
        catalog.merge(extra).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(catalog)
}
