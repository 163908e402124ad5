//! The crash test: `kill -9` an apply at random moments and check that no completed work is
//! lost, that the lock left behind can be broken with `force-unlock`, that the object of a
//! create in flight at a kill is found by the next plan (`slow` looks in its log) rather than
//! made twice, and that a last apply finishes the stack without creating anything twice.
//!
//! This executable is both the test and the ggplan under test: with `GGPLAN_CRASH_CHILD` set it
//! runs the ggplan command line with the built-in providers plus `slow`, whose `slow_thing`
//! takes a few milliseconds to create and logs every object it creates to the file named by
//! `GGPLAN_CRASH_LOG`. Run it with `cargo test --test crash`; `GGPLAN_CRASH_SEED` picks another
//! sequence of kill moments (the seed is printed).
//!
//! Then Ctrl-C (SIGINT), as Terraform takes it: an apply interrupted early stops starting
//! creates, records what it made, releases the lock and exits 1; a plan interrupted while
//! refreshing releases the lock and exits 1; the next apply finishes the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Set in the child: run as the ggplan command line.
const CHILD_ENV: &str = "GGPLAN_CRASH_CHILD";
/// The provider's creation log.
const LOG_ENV: &str = "GGPLAN_CRASH_LOG";
/// Overrides the seed of the kill moments.
const SEED_ENV: &str = "GGPLAN_CRASH_SEED";
const DEFAULT_SEED: u64 = 0x5eed_c4a5;
/// Kills: the first at a random moment after the start, the others each after a random number
/// of completions plus a random delay.
const KILLS: usize = 7;
/// The stack: layers of this many instances, alternately count and for_each.
const LAYERS: usize = 4;
const PER_LAYER: usize = 100;
/// The first kill comes within this many microseconds of the start (a debug build takes
/// about as long to plan; the whole apply takes ten times longer).
const STARTUP_KILL_WINDOW_US: u64 = 60_000;

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return ggplan::cli::main_with(slow::registry());
    }
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    match run(seed).and_then(|summary| Ok(format!("{summary}\n{}", interrupts()?))) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("crash (seed {seed}): FAILED: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// The `slow` provider of the child.
mod slow {
    use async_trait::async_trait;
    use ggplan_sdk::{
        ApplyRequest, ApplyResponse, Attribute, Diagnostic, Diagnostics, FindRequest, Found,
        PlanRequest, PlanResponse, Provider, ProviderFactory, ProviderSchema, ReadRequest, Schema,
        Type, Value,
    };
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    const TYPE: &str = "slow_thing";

    /// The built-in providers and `slow`.
    pub fn registry() -> ggplan::providers::Registry {
        let slow = ProviderFactory::new("slow", || -> Arc<dyn Provider> {
            Arc::new(SlowProvider {
                log: std::env::var_os(super::LOG_ENV).map(Into::into),
                created: AtomicU64::new(0),
            })
        });
        ggplan::providers::Registry::new(
            ggplan_provider_builtin::factories()
                .into_iter()
                .chain([slow]),
        )
    }

    /// `slow_thing`: `name` (force-new), `input`; computed `id` (unique per created object) and
    /// `output` (a copy of `input`).
    struct SlowProvider {
        log: Option<std::path::PathBuf>,
        created: AtomicU64,
    }

    impl SlowProvider {
        /// Appends `created <name> <id>` to the log: one `write` on an append-only file, so
        /// lines from concurrent creates never mix.
        fn record(&self, name: &str, id: &str) -> Result<(), String> {
            let Some(path) = &self.log else {
                return Ok(());
            };
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            file.write_all(format!("created {name} {id}\n").as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))
        }
    }

    /// A few milliseconds, different per name, so completions interleave.
    fn delay(name: &str) -> Duration {
        let spread = name
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) + u64::from(b))
            % 5;
        Duration::from_millis(1 + spread)
    }

    fn failed(summary: String) -> Diagnostics {
        Diagnostic::error(summary, "").into()
    }

    #[async_trait]
    impl Provider for SlowProvider {
        fn schema(&self) -> ProviderSchema {
            let schema = Schema::new(
                "A thing that takes a few milliseconds to create.",
                [
                    ("name", Attribute::required(Type::String).force_new()),
                    ("input", Attribute::optional(Type::String)),
                    ("id", Attribute::computed(Type::String)),
                    ("output", Attribute::computed(Type::String)),
                ],
            );
            ProviderSchema {
                resources: [(TYPE.to_string(), schema)].into(),
                ..ProviderSchema::default()
            }
        }

        async fn configure(&self, _config: &Value) -> Result<(), Diagnostics> {
            Ok(())
        }

        async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
            // Slow too, so that a refresh can be interrupted.
            tokio::time::sleep(delay(
                request.state.get("name").as_str().unwrap_or_default(),
            ))
            .await;
            Ok(Some(request.state.clone()))
        }

        async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
            let mut planned = request.proposed.clone();
            let input_changed =
                request.prior.map(|p| p.get("input")) != Some(request.config.get("input"));
            if let (true, Value::Map(map)) = (input_changed, &mut planned) {
                map.insert("output".into(), Value::Unknown);
            }
            Ok(PlanResponse::of(planned))
        }

        async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
            let Some(planned) = request.planned else {
                return ApplyResponse::ok(None);
            };
            let name = planned.get("name").as_str().unwrap_or_default().to_string();
            let id = match (request.prior, planned.get("id").as_str()) {
                (Some(_), Some(id)) => id.to_string(),
                _ => {
                    // Half the delay before the object exists, half after: a kill in the second
                    // half leaves an object that no state records.
                    tokio::time::sleep(delay(&name) / 2).await;
                    let n = self.created.fetch_add(1, Ordering::Relaxed);
                    let id = format!("{name}-{}-{n}", std::process::id());
                    if let Err(e) = self.record(&name, &id) {
                        return ApplyResponse::failed(request.prior, failed(e));
                    }
                    tokio::time::sleep(delay(&name) / 2).await;
                    id
                }
            };
            let mut state = planned.clone();
            if let Value::Map(map) = &mut state {
                map.insert("id".into(), Value::String(id));
                map.insert("output".into(), planned.get("input").clone());
            }
            ApplyResponse::ok(Some(state))
        }

        async fn read_data(&self, type_name: &str, _config: &Value) -> Result<Value, Diagnostics> {
            Err(failed(format!("slow has no data source {type_name}")))
        }

        /// The object a killed create made is in the log (names are unique in the stack).
        async fn find_created(&self, request: FindRequest<'_>) -> Result<Found, Diagnostics> {
            let (Some(path), Some(name)) = (&self.log, request.config.get("name").as_str()) else {
                return Ok(Found::CannotTell("no log or no name".into()));
            };
            let input = request.config.get("input");
            if !input.is_wholly_known() {
                return Ok(Found::CannotTell("its input is not known yet".into()));
            }
            let log = std::fs::read_to_string(path).unwrap_or_default();
            let id = log.lines().rev().find_map(|line| {
                let (logged, id) = line.strip_prefix("created ")?.split_once(' ')?;
                (logged == name).then(|| id.to_string())
            });
            Ok(id.map_or(Found::Nothing, |id| {
                Found::Object(Value::object([
                    ("name", Value::string(name)),
                    ("input", input.clone()),
                    ("id", Value::String(id)),
                    ("output", input.clone()),
                ]))
            }))
        }
    }
}

/// SplitMix64: a seeded sequence of kill moments, reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The stack: `LAYERS` layers of `PER_LAYER` `slow_thing`s, count and for_each alternately,
/// instance i of each layer taking the output of instance i of the layer before.
fn stack_text() -> String {
    let mut text =
        format!("locals {{\n  keys = {{ for i in range({PER_LAYER}) : \"k${{i}}\" => i }}\n}}\n");
    for k in 0..LAYERS {
        let (head, me, index, key) = if k % 2 == 1 {
            (
                "for_each = local.keys".to_string(),
                "${each.key}",
                "each.value",
                "each.key",
            )
        } else {
            (
                format!("count = {PER_LAYER}"),
                "${count.index}",
                "count.index",
                "\"k${count.index}\"",
            )
        };
        let input = if k == 0 {
            format!("\"seed-{me}\"")
        } else {
            let prev = if (k - 1) % 2 == 1 { key } else { index };
            format!("slow_thing.l{}[{prev}].output", k - 1)
        };
        text += &format!(
            "\nresource \"slow_thing\" \"l{k}\" {{\n  {head}\n  name = \"l{k}-{me}\"\n  \
             input = {input}\n}}\n"
        );
    }
    text
}

/// The files of one test run.
struct Harness {
    _dir: tempfile::TempDir,
    exe: PathBuf,
    stack: PathBuf,
    state: PathBuf,
    log: PathBuf,
}

/// What a child printed and how it ended.
struct ChildRun {
    stdout: Vec<String>,
    /// `None` when it was killed.
    exit: Option<i32>,
}

impl Harness {
    fn new() -> Result<Harness, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let stack = dir.path().join("stack");
        std::fs::create_dir(&stack).map_err(|e| e.to_string())?;
        std::fs::write(stack.join("main.tf"), stack_text()).map_err(|e| e.to_string())?;
        Ok(Harness {
            exe: std::env::current_exe().map_err(|e| e.to_string())?,
            state: dir.path().join("state.json"),
            log: dir.path().join("created.log"),
            stack,
            _dir: dir,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.exe);
        command
            .args(args)
            .arg("--state")
            .arg(&self.state)
            .env(CHILD_ENV, "1")
            .env(LOG_ENV, &self.log)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    /// Runs a command to its end: exit code, stdout, stderr.
    fn run(&self, args: &[&str]) -> Result<(i32, String, String), String> {
        let out = self
            .command(args)
            .output()
            .map_err(|e| format!("cannot run {args:?}: {e}"))?;
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Runs `apply`, and kills it with SIGKILL once `kill_after` completions have been printed
    /// and `delay` has passed (never, when `kill_after` is `None`).
    fn apply(&self, kill_after: Option<(usize, Duration)>) -> Result<ChildRun, String> {
        let stack = self.stack.to_string_lossy().into_owned();
        let mut child = self
            .command(&["apply", &stack, "--auto-approve", "--parallelism", "10"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start apply: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let mut killed = false;
        if let Some((after, delay)) = kill_after {
            let mut completions = 0;
            while completions < after {
                let Ok(line) = rx.recv() else { break };
                completions += usize::from(completion(&line).is_some());
                lines.push(line);
            }
            std::thread::sleep(delay);
            // SIGKILL: the child gets no chance to clean up.
            killed = child.kill().is_ok();
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        reader.join().map_err(|_| "stdout reader panicked")?;
        lines.extend(rx.try_iter());
        let exit = if killed && status.code().is_none() {
            None
        } else {
            Some(status.code().unwrap_or(-1))
        };
        Ok(ChildRun {
            stdout: lines,
            exit,
        })
    }

    /// Runs `args` and sends it SIGINT (Ctrl-C) once `count` lines of its standard output
    /// matched `when`; its exit code and standard error.
    fn interrupt(
        &self,
        args: &[&str],
        when: impl Fn(&str) -> bool,
        count: usize,
    ) -> Result<(i32, String), String> {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {args:?}: {e}"))?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut seen = 0;
        for line in stdout.lines().map_while(Result::ok) {
            if !when(&line) {
                continue;
            }
            seen += 1;
            if seen == count {
                let pid = child.id().to_string();
                let sent = Command::new("kill").args(["-INT", &pid]).status();
                if !sent.is_ok_and(|s| s.success()) {
                    return Err(format!("cannot send SIGINT to {pid}"));
                }
            }
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if seen < count {
            return Err(format!("{args:?} ended before it could be interrupted"));
        }
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        Ok((out.status.code().unwrap_or(-1), stderr))
    }

    /// The recorded instances (the journal replayed): address -> (name, id).
    fn recorded(&self) -> Result<BTreeMap<String, (String, String)>, String> {
        let state = ggplan::state::StateStore::new(self.state.clone())
            .load()
            .map_err(|e| format!("cannot load the state after a kill: {e}"))?;
        Ok(state
            .resources
            .values()
            .map(|r| {
                let attr = |name: &str| r.attributes[name].as_str().unwrap_or("").to_string();
                (r.addr.to_string(), (attr("name"), attr("id")))
            })
            .collect())
    }

    /// The creation log from line `from` on: (name, id) per created object.
    fn created_since(&self, from: usize) -> Result<Vec<(String, String)>, String> {
        let text = match std::fs::read_to_string(&self.log) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("{}: {e}", self.log.display())),
        };
        text.lines()
            .skip(from)
            .map(|line| match line.split(' ').collect::<Vec<_>>()[..] {
                ["created", name, id] => Ok((name.to_string(), id.to_string())),
                _ => Err(format!("bad creation log line {line:?}")),
            })
            .collect()
    }

    /// After a kill: the lock is left behind, a new run is refused naming its id, and
    /// `force-unlock <id>` removes it. `Ok(false)` when there was no lock (killed before
    /// taking it).
    fn break_lock(&self) -> Result<bool, String> {
        let lock_path = PathBuf::from(format!("{}.lock", self.state.display()));
        let Ok(bytes) = std::fs::read(&lock_path) else {
            return Ok(false);
        };
        let info: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("unreadable lock: {e}"))?;
        let id = info["id"].as_str().ok_or("the lock has no id")?.to_string();
        let stack = self.stack.to_string_lossy().into_owned();
        let (code, _, stderr) = self.run(&["plan", &stack])?;
        if code != 1 || !stderr.contains(&format!("force-unlock {id}")) {
            return Err(format!(
                "plan on a locked state exited {code} without naming lock {id}:\n{stderr}"
            ));
        }
        let (code, _, stderr) = self.run(&["force-unlock", &id])?;
        if code != 0 || lock_path.exists() {
            return Err(format!("force-unlock {id} exited {code}: {stderr}"));
        }
        Ok(true)
    }
}

/// The address and id of a `Creation complete` line.
fn completion(line: &str) -> Option<(&str, &str)> {
    let (addr, rest) = line.split_once(": Creation complete after ")?;
    let id = rest.split_once("[id=")?.1.strip_suffix(']')?;
    Some((addr, id))
}

/// Running totals over all rounds.
#[derive(Default)]
struct Tally {
    kills: usize,
    completions: usize,
    lost: Vec<String>,
    /// Objects created again although their address was recorded as complete.
    duplicates: Vec<String>,
    /// Creates in flight at a kill, not recorded, and created again by a later run (an
    /// orphan: the next plan should have found the object the killed create made).
    recreated_in_flight: usize,
    /// Objects of creates in flight at a kill that a later plan found and recorded.
    found_in_flight: usize,
    locks_broken: usize,
}

impl Tally {
    /// Checks one run: every reported completion is recorded with the reported id, and every
    /// object it created has a name no earlier run had recorded, and was created once.
    fn check(
        &mut self,
        run: &ChildRun,
        before: &BTreeMap<String, (String, String)>,
        after: &BTreeMap<String, (String, String)>,
        created: &[(String, String)],
        created_earlier: &BTreeSet<String>,
    ) {
        for (addr, id) in run.stdout.iter().filter_map(|l| completion(l)) {
            self.completions += 1;
            match after.get(addr) {
                Some((_, recorded)) if recorded == id => {}
                other => self.lost.push(format!(
                    "{addr} reported complete with id {id}, state has {other:?}"
                )),
            }
        }
        let made_now: BTreeSet<&str> = created.iter().map(|(name, _)| name.as_str()).collect();
        self.found_in_flight += after
            .iter()
            .filter(|(addr, (name, _))| {
                !before.contains_key(*addr) && !made_now.contains(name.as_str())
            })
            .count();
        let recorded: BTreeSet<&str> = before.values().map(|(name, _)| name.as_str()).collect();
        let mut this_run = BTreeSet::new();
        for (name, id) in created {
            if recorded.contains(name.as_str()) || !this_run.insert(name.as_str()) {
                self.duplicates
                    .push(format!("{name} created again as {id}"));
            } else if created_earlier.contains(name) {
                self.recreated_in_flight += 1;
            }
        }
    }
}

fn run(seed: u64) -> Result<String, String> {
    self_check()?;
    let started = Instant::now();
    let h = Harness::new()?;
    let total = LAYERS * PER_LAYER;
    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    let mut created_earlier = BTreeSet::new();
    let mut log_lines = 0;
    let mut round = |kill: Option<(usize, Duration)>, tally: &mut Tally| {
        let before = h.recorded()?;
        let run = h.apply(kill)?;
        let after = h.recorded()?;
        let created = h.created_since(log_lines)?;
        log_lines += created.len();
        tally.check(&run, &before, &after, &created, &created_earlier);
        created_earlier.extend(created.into_iter().map(|(name, _)| name));
        Ok::<_, String>((run, after.len()))
    };
    for kill in 0..KILLS {
        let remaining = total - h.recorded()?.len();
        // The first kill comes at a random moment of startup, planning or the first creates;
        // each later one after a random share of what is left, sized so that every kill
        // lands mid-apply, plus up to a millisecond.
        let (after, delay) = if kill == 0 {
            (0, rng.below(STARTUP_KILL_WINDOW_US))
        } else {
            let share = remaining as u64 / (KILLS - kill + 1) as u64;
            (1 + rng.below(share.max(1)) as usize, rng.below(1_000))
        };
        let delay = Duration::from_micros(delay);
        let (run, _) = round(Some((after, delay)), &mut tally)?;
        if run.exit.is_some() {
            return Err(format!(
                "apply ended ({:?}) before kill {kill} after {after} completions",
                run.exit
            ));
        }
        tally.kills += 1;
        tally.locks_broken += usize::from(h.break_lock()?);
    }
    let (last, recorded) = round(None, &mut tally)?;
    if last.exit != Some(0) || !last.stdout.iter().any(|l| l.starts_with("Apply complete!")) {
        return Err(format!(
            "the last apply did not complete (exit {:?}):\n{}",
            last.exit,
            last.stdout.join("\n")
        ));
    }
    if recorded != total {
        return Err(format!(
            "{recorded} of {total} instances recorded at the end"
        ));
    }
    let stack = h.stack.to_string_lossy().into_owned();
    let (code, out, err) = h.run(&["plan", &stack, "--detailed-exitcode"])?;
    if code != 0 {
        return Err(format!(
            "a plan after the last apply exited {code}:\n{out}{err}"
        ));
    }
    let mut problems = Vec::new();
    let created: BTreeSet<(String, String)> = h.created_since(0)?.into_iter().collect();
    for (addr, (name, id)) in h.recorded()? {
        if !created.contains(&(name.clone(), id.clone())) {
            problems.push(format!(
                "{addr} is recorded as {name} {id}, which was never created"
            ));
        }
    }
    problems.extend(tally.lost.iter().map(|l| format!("lost: {l}")));
    problems.extend(tally.duplicates.iter().map(|d| format!("duplicate: {d}")));
    if tally.recreated_in_flight > 0 {
        problems.push(format!(
            "{} objects of creates in flight at a kill were made again, not found",
            tally.recreated_in_flight
        ));
    }
    if tally.locks_broken == 0 {
        problems.push("no kill left a lock to break".into());
    }
    if tally.found_in_flight == 0 {
        problems.push("no kill left an in-flight create for a later plan to find".into());
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    Ok(format!(
        "crash: {} kills, {} completions checked, {} lost, {} duplicates, {} in-flight creates \
         found, {} re-created, {} locks broken; {total} instances in {:.1?} (seed {seed})",
        tally.kills,
        tally.completions,
        tally.lost.len(),
        tally.duplicates.len(),
        tally.found_in_flight,
        tally.recreated_in_flight,
        tally.locks_broken,
        started.elapsed(),
    ))
}

/// The Ctrl-C rounds on a fresh stack: an apply interrupted after a few completions, a plan
/// interrupted while refreshing, then an apply that finishes without creating anything twice.
fn interrupts() -> Result<String, String> {
    let h = Harness::new()?;
    let total = LAYERS * PER_LAYER;
    let stack = h.stack.to_string_lossy().into_owned();
    let apply = ["apply", stack.as_str(), "--auto-approve"];
    let (code, stderr) = h.interrupt(&apply, |line| completion(line).is_some(), 20)?;
    let created = h.created_since(0)?;
    let recorded = h.recorded()?;
    let lock = PathBuf::from(format!("{}.lock", h.state.display()));
    if code != 1 || !stderr.contains("Apply interrupted") || lock.exists() {
        return Err(format!(
            "an interrupted apply exited {code} (lock left: {}):\n{stderr}",
            lock.exists()
        ));
    }
    // Running creates finish (at most the parallelism of them, a few times over while the
    // signal travels), nothing new starts.
    if created.len() > total / 4 || created.len() != recorded.len() {
        return Err(format!(
            "after an interrupt {} of {total} were created and {} recorded",
            created.len(),
            recorded.len()
        ));
    }
    let refreshing = |line: &str| line.contains("Refreshing state...");
    let (code, stderr) = h.interrupt(&["plan", stack.as_str()], refreshing, 1)?;
    if code != 1 || !stderr.contains("Plan interrupted") || lock.exists() {
        return Err(format!(
            "an interrupted plan exited {code} (lock left: {}):\n{stderr}",
            lock.exists()
        ));
    }
    let (code, out, err) = h.run(&apply)?;
    let names: Vec<String> = h.created_since(0)?.into_iter().map(|(n, _)| n).collect();
    let unique: BTreeSet<&String> = names.iter().collect();
    if code != 0 || unique.len() != names.len() || h.recorded()?.len() != total {
        return Err(format!(
            "the apply after the interrupts exited {code}, {} creates for {} names:\n{out}{err}",
            names.len(),
            unique.len()
        ));
    }
    Ok(format!(
        "interrupts: an apply stopped after {} of {total} creates, a plan stopped while \
         refreshing; both released the lock and exited 1",
        created.len()
    ))
}

/// Checks the checks: a line parser that found nothing or a duplicate detector that detects
/// nothing would make the whole test pass vacuously.
fn self_check() -> Result<(), String> {
    let line = "slow_thing.l1[\"k3\"]: Creation complete after 0s [id=l1-k3-12-4]";
    if completion(line) != Some(("slow_thing.l1[\"k3\"]", "l1-k3-12-4"))
        || completion("slow_thing.l0[1]: Creating...").is_some()
    {
        return Err("completion lines are misparsed".into());
    }
    let recorded = BTreeMap::from([("slow_thing.l0[0]".to_string(), ("l0-0".into(), "a".into()))]);
    let run = ChildRun {
        stdout: vec!["slow_thing.l0[1]: Creation complete after 0s [id=x]".into()],
        exit: None,
    };
    let created = [
        ("l0-0".to_string(), "b".to_string()),
        ("l0-1".into(), "c".into()),
    ];
    let mut tally = Tally::default();
    tally.check(
        &run,
        &recorded,
        &recorded,
        &created,
        &BTreeSet::from(["l0-1".to_string()]),
    );
    if (
        tally.lost.len(),
        tally.duplicates.len(),
        tally.recreated_in_flight,
    ) != (1, 1, 1)
    {
        return Err("the checks miss a lost completion or a duplicate".into());
    }
    Ok(())
}
