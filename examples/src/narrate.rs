//! Narration: a few readable lines per step, on stdout (or nowhere, in tests).

/// Prints the story of a flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Narrator {
    quiet: bool,
}

impl Narrator {
    /// A narrator that prints.
    #[must_use]
    pub const fn stdout() -> Self {
        Self { quiet: false }
    }

    /// A narrator that prints nothing.
    #[must_use]
    pub const fn quiet() -> Self {
        Self { quiet: true }
    }

    /// A numbered step heading.
    pub fn step(&self, title: &str) {
        if !self.quiet {
            println!("\n==> {title}");
        }
    }

    /// One detail line of the current step.
    pub fn say(&self, line: &str) {
        if !self.quiet {
            println!("    {line}");
        }
    }

    /// A block of text as it is (a QR code), under the step.
    pub fn block(&self, text: &str) {
        if !self.quiet {
            println!("{text}");
        }
    }

    /// A JSON value, compact, indented under the step.
    pub fn json(&self, label: &str, value: &serde_json::Value) {
        if !self.quiet {
            println!("    {label}: {value}");
        }
    }
}

/// The first `n` characters of `s` followed by an ellipsis when longer (tokens in narration).
#[must_use]
pub fn abbreviate(s: &str, n: usize) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(n).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}
