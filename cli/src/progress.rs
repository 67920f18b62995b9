//! Progress on standard error for work that can take more than a moment:
//! drawn only when standard error is a terminal, never on standard output,
//! and cleared before the command prints its answer.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar or spinner; hidden unless standard error is a terminal.
/// It clears itself when dropped.
pub(crate) struct Progress(ProgressBar);

impl Progress {
    /// A bar of `len` steps, labelled `what` (`linting`, `checking actions`).
    pub(crate) fn bar(len: usize, what: &str) -> Self {
        Self::bar_if(true, len, what)
    }

    /// A bar as [`Progress::bar`], drawn only if `wanted` too (a command
    /// whose report already goes to the same terminal as it runs has no
    /// use for one).
    pub(crate) fn bar_if(wanted: bool, len: usize, what: &str) -> Self {
        let target = if wanted { target() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(u64::try_from(len).unwrap_or(u64::MAX)), target);
        if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:32}] {pos}/{len} {wide_msg} {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what.to_owned());
        bar.tick();
        Self(bar)
    }

    /// A spinner for work whose length is not known, labelled `what`.
    pub(crate) fn spinner(what: &str) -> Self {
        let bar = ProgressBar::with_draw_target(None, target());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.set_prefix(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.tick();
        Self(bar)
    }

    /// One more step done.
    pub(crate) fn step(&self) {
        self.0.inc(1);
    }

    /// What is being worked on now (a file's name).
    pub(crate) fn message(&self, text: &str) {
        self.0.set_message(text.to_owned());
    }

    /// A function that moves this bar to `done` of `total`, for a library
    /// search to call as it goes.
    pub(crate) fn reporter(&self) -> impl Fn(usize, usize) + Send + Sync + 'static {
        let bar = self.0.clone();
        move |done, total| {
            bar.set_length(u64::try_from(total).unwrap_or(u64::MAX));
            bar.set_position(u64::try_from(done).unwrap_or(u64::MAX));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Whether standard output is a terminal.
pub(crate) fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

fn target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() }
}
