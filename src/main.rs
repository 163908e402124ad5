fn main() -> std::process::ExitCode {
    ggplan::cli::main()
}
