use std::process::ExitCode;

fn main() -> ExitCode {
    midrescue::commands::main()
}
