//! Shared plumbing for the demo binaries (attester, wallet, issuer).
