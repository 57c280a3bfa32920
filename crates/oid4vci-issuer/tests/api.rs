//! Integration tests of the public API.

#[path = "api/binding.rs"]
mod binding;
#[path = "api/bounds.rs"]
mod bounds;
#[path = "api/engine.rs"]
mod engine;
