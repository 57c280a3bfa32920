//! Why an engine could not be built.

/// A configuration error found when the engine is built, naming the setting at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A setting or credential profile is unusable.
    #[error("{path}: {reason}")]
    Config {
        /// The configuration path, e.g. `credentialConfigurations[1].vct`.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The nonce secret is unusable.
    #[error("nonceSecret: {0}")]
    NonceSecret(pop_verifier::NonceError),
}
