//! The `frontdesk` binary: parses the command line and runs it (see `cli`).

fn main() -> std::process::ExitCode {
    frontdesk_server::cli::main()
}
