//! Exactly the `frontdesk` binary (see `server/src/main.rs`), built inside this package so
//! integration tests can spawn and kill it as a process.

fn main() -> std::process::ExitCode {
    frontdesk_server::cli::main()
}
