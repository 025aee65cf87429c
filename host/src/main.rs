//! The `paddock` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    paddock::cli::main()
}
