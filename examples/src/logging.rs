//! Log setup for the binaries (`RUST_LOG` overrides the default level).

use std::io::IsTerminal;

/// Installs a stderr `tracing` subscriber at `default` level unless `RUST_LOG` says otherwise.
/// Colour codes are written only to a terminal, and never when `NO_COLOR` is set: a log piped
/// to a file or a collector stays plain text.
pub fn init(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let colour = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Whether log lines carry ANSI colour codes: only on a terminal, and not with `NO_COLOR`
/// (<https://no-color.org>).
#[must_use]
pub const fn use_colour(stderr_is_terminal: bool, no_color: bool) -> bool {
    stderr_is_terminal && !no_color
}

#[cfg(test)]
mod tests {
    use super::use_colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, false));
        assert!(
            !use_colour(false, false),
            "a pipe or a file gets plain text"
        );
        assert!(!use_colour(true, true), "NO_COLOR wins");
    }
}
