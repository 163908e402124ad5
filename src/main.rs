/// jemalloc rather than the system allocator: a plan or apply makes and drops millions of small
/// values (addresses, strings, maps), and glibc's malloc was a third of a 100,000-instance
/// no-op plan's CPU; jemalloc took about 40 % off apply's CPU and lowered peak memory
/// (docs/benchmarks.md, "100,000 instances").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    ggplan::cli::main()
}
