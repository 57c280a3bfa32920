//! A tiny `--name value` argument reader for the binaries (no CLI framework needed).

use crate::error::DemoError;

/// Parsed `--name value` pairs and `--flag`s.
#[derive(Debug, Default)]
pub struct Args {
    pairs: Vec<(String, Option<String>)>,
}

impl Args {
    /// Reads the process arguments; `flags` are the names that take no value.
    ///
    /// # Errors
    /// [`DemoError::Config`] for a stray word or an option without its value.
    pub fn parse(flags: &[&str], known: &[&str]) -> Result<Self, DemoError> {
        let mut args = std::env::args().skip(1);
        let mut pairs = Vec::new();
        while let Some(arg) = args.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| DemoError::Config(format!("unexpected argument {arg}")))?
                .to_owned();
            if flags.contains(&name.as_str()) {
                pairs.push((name, None));
            } else if known.contains(&name.as_str()) {
                let value = args
                    .next()
                    .ok_or_else(|| DemoError::Config(format!("--{name} needs a value")))?;
                pairs.push((name, Some(value)));
            } else {
                return Err(DemoError::Config(format!("unknown option --{name}")));
            }
        }
        Ok(Self { pairs })
    }

    /// The value of `--name`.
    #[must_use]
    pub fn value(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Whether `--name` was given.
    #[must_use]
    pub fn flag(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }
}
