//! `cargo run -p examples --bin demo`: the whole flow on loopback, narrated.

fn main() -> std::process::ExitCode {
    examples::logging::init("warn");
    match examples::demo::run(examples::narrate::Narrator::stdout()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
