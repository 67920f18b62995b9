//! The audit and CI subcommands: `lint`, `who-can`, `what-can` and `diff`.

pub(crate) mod audit;
pub(crate) mod diff;
pub(crate) mod lint;

use std::path::Path;

use ramguard::{Catalog, PolicyKind};

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

/// The documents `--control` and `--session` choose, by path: nothing in a
/// document's text tells a control or session policy from an identity policy.
pub(crate) struct KindGlobs {
    control: globset::GlobSet,
    session: globset::GlobSet,
}

impl KindGlobs {
    /// Compiles the globs (`*` crosses `/`); a bad glob is an error naming its flag.
    pub(crate) fn new(control: &[String], session: &[String]) -> Result<Self, String> {
        let set = |flag: &str, globs: &[String]| {
            let mut builder = globset::GlobSetBuilder::new();
            for glob in globs {
                builder.add(globset::Glob::new(glob).map_err(|e| format!("{flag} `{glob}`: {e}"))?);
            }
            builder.build().map_err(|e| format!("{flag}: {e}"))
        };
        Ok(Self { control: set("--control", control)?, session: set("--session", session)? })
    }

    /// The kind chosen for the document named `path`, when a glob matches
    /// the path or its file name alone.
    pub(crate) fn kind_of(&self, path: &str) -> Option<PolicyKind> {
        let file_name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let hit = |set: &globset::GlobSet| set.is_match(path) || set.is_match(&file_name);
        if hit(&self.control) {
            Some(PolicyKind::Control)
        } else if hit(&self.session) {
            Some(PolicyKind::Session)
        } else {
            None
        }
    }
}
