//! PID 1 duties of `kafka-entrypoint` (SPEC §4.3), tested on real processes: signal forwarding,
//! exit codes (the child's, or 128 + n), reaping of orphaned grandchildren, and `exec`.
//!
//! Each case runs the real `process` module in a process of its own: this test binary has no
//! libtest harness (`harness = false`), and re-executes itself as `--supervise PROGRAM ARGS…` or
//! `--exec PROGRAM ARGS…` for the code under test (or `--stop-signals`, which installs the
//! handlers the entrypoint has before it execs Kafka, then waits), so blocking signals never
//! meets a test runner's threads. The children are small bash scripts.

#[allow(dead_code)]
#[path = "../src/process/mod.rs"]
mod process;

/// The entrypoint's allocator, so that every case runs on it.
#[global_allocator]
static ALLOCATOR: process::SpinLockedDlmalloc = process::SpinLockedDlmalloc::new();

use std::fs;
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const DEADLINE: Duration = Duration::from_secs(20);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--supervise") => {
            // As `main` does first: the stop signals get their handler (which also undoes a
            // SIGINT ignored by the shell that started this test in the background).
            if let Err(error) = process::exit_on_stop_signals() {
                eprintln!("error: {error:#}");
                std::process::exit(99)
            }
            let mut command = Command::new(&args[2]);
            command.args(&args[3..]);
            match process::run_supervised(&mut command) {
                Ok(code) => std::process::exit(code),
                Err(error) => {
                    eprintln!("error: {error:#}");
                    std::process::exit(99)
                }
            }
        }
        Some("--stop-signals") => {
            if let Err(error) = process::exit_on_stop_signals() {
                eprintln!("error: {error:#}");
                std::process::exit(99)
            }
            println!("ready");
            std::thread::sleep(DEADLINE);
            std::process::exit(0)
        }
        Some("--exec") => {
            let mut command = Command::new(&args[2]);
            command.args(&args[3..]);
            let error = process::exec(&mut command);
            eprintln!("error: {error:#}");
            std::process::exit(99)
        }
        _ => run_cases(&args[1..]),
    }
}

type Case = (&'static str, fn());

/// Runs the cases libtest's way: a plain argument keeps only the cases whose names hold it,
/// `--skip NAME` leaves out those whose names hold `NAME`, other flags are ignored.
fn run_cases(args: &[String]) {
    let cases: &[Case] = &[
        (
            "forwarded_signals_reach_the_child_and_its_code_is_returned",
            forwarded_signals,
        ),
        (
            "child_exit_code_is_passed_through",
            exit_code_passes_through,
        ),
        (
            "child_killed_by_a_signal_gives_128_plus_n",
            killed_by_signal,
        ),
        (
            "orphaned_grandchild_is_adopted_and_reaped",
            orphan_is_reaped,
        ),
        ("exec_replaces_the_process_image", exec_keeps_the_pid),
        (
            "sigterm_and_sigint_before_the_exec_end_it_at_once_with_128_plus_n",
            stop_signals_before_exec,
        ),
        ("missing_program_is_an_error_naming_it", missing_program),
        (
            "threads_allocating_at_once_keep_their_contents",
            threads_allocating_at_once,
        ),
    ];
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--skip" {
            skips.extend(args.next());
        } else if !arg.starts_with('-') {
            filters.push(arg);
        }
    }
    let mut failed = Vec::new();
    let mut skipped = 0;
    for (name, case) in cases {
        let wanted =
            filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()));
        if !wanted || skips.iter().any(|skip| name.contains(skip.as_str())) {
            skipped += 1;
            continue;
        }
        let outcome = std::panic::catch_unwind(case);
        println!(
            "test {name} ... {}",
            if outcome.is_ok() { "ok" } else { "FAILED" }
        );
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    let ran = cases.len() - skipped;
    if !failed.is_empty() {
        println!(
            "test result: FAILED. {} passed; {} failed: {failed:?}",
            ran - failed.len(),
            failed.len()
        );
        std::process::exit(101);
    }
    println!("test result: ok. {ran} passed; 0 failed; {skipped} filtered out");
}

/// Four threads allocate, grow and free strings at once through the entrypoint's allocator
/// (its lock), each checking that its contents stay its own.
fn threads_allocating_at_once() {
    let workers: Vec<_> = (b'a'..b'e')
        .map(|letter| {
            std::thread::spawn(move || {
                let mut kept = Vec::new();
                for round in 0..3000usize {
                    let mut text = String::from(char::from(letter)).repeat(1 + round % 200);
                    text.push_str(&text.clone());
                    assert!(text.bytes().all(|byte| byte == letter));
                    if round % 10 == 0 {
                        kept.push(text);
                    }
                }
                assert!(
                    kept.iter()
                        .all(|text| text.bytes().all(|byte| byte == letter))
                );
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

/// Starts this binary as `--supervise bash -c SCRIPT` in `dir`.
fn supervise(dir: &Path, script: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--supervise", "bash", "-c", script])
        .current_dir(dir)
        .spawn()
        .unwrap()
}

#[track_caller]
fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "`{}` did not appear in time",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[track_caller]
fn wait_exit(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("the supervisor did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn forwarded_signals() {
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let name = signal.as_str().trim_start_matches("SIG");
        // `wait` returns as soon as a trapped signal arrives; the trap reports it and exits 7.
        let script = format!(
            "trap 'kill $sleeper; echo {name} > got; exit 7' {name}\n\
             sleep 30 & sleeper=$!\n\
             echo $$ > ready\n\
             wait $sleeper\n\
             echo 'no signal' > got"
        );
        let mut supervisor = supervise(dir.path(), &script);
        wait_for_file(&dir.path().join("ready"));
        kill(Pid::from_raw(supervisor.id() as i32), signal).unwrap();
        let status = wait_exit(&mut supervisor);
        assert_eq!(status.code(), Some(7), "{signal}: exit code of the child");
        assert_eq!(
            fs::read_to_string(dir.path().join("got")).unwrap(),
            format!("{name}\n")
        );
    }
}

fn exit_code_passes_through() {
    let dir = tempfile::tempdir().unwrap();
    for code in [0, 1, 42, 255] {
        let mut supervisor = supervise(dir.path(), &format!("exit {code}"));
        assert_eq!(wait_exit(&mut supervisor).code(), Some(code));
    }
}

fn killed_by_signal() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, expected) in [("KILL", 137), ("TERM", 143), ("SEGV", 139)] {
        let mut supervisor = supervise(dir.path(), &format!("kill -{signal} $$"));
        assert_eq!(
            wait_exit(&mut supervisor).code(),
            Some(expected),
            "killed by SIG{signal}"
        );
    }
}

fn orphan_is_reaped() {
    let dir = tempfile::tempdir().unwrap();
    // The subshell starts a grandchild and exits at once: the grandchild is orphaned while the
    // child lives on. It must be adopted by the supervisor (our $PPID) and, once it exits,
    // reaped by it: a zombie would keep its /proc entry with state Z.
    let script = r#"
        ( sleep 1 & echo $! > grandchild )
        grandchild=$(cat grandchild)
        read -r _ _ _ parent _ < /proc/$grandchild/stat
        if [ "$parent" = "$PPID" ]; then echo "adopted: yes" > result; else echo "adopted: no ($parent)" > result; fi
        for _ in $(seq 200); do
          [ -e /proc/$grandchild ] || break
          sleep 0.05
        done
        if [ -e /proc/$grandchild ]; then
          read -r _ _ state _ < /proc/$grandchild/stat
          echo "reaped: no (state $state)" >> result
        else
          echo "reaped: yes" >> result
        fi
    "#;
    let mut supervisor = supervise(dir.path(), script);
    assert_eq!(wait_exit(&mut supervisor).code(), Some(0));
    assert_eq!(
        fs::read_to_string(dir.path().join("result")).unwrap(),
        "adopted: yes\nreaped: yes\n"
    );
}

fn stop_signals_before_exec() {
    use std::io::BufRead as _;
    for (signal, code) in [(Signal::SIGTERM, 143), (Signal::SIGINT, 130)] {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--stop-signals")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        let sent = Instant::now();
        kill(Pid::from_raw(child.id().cast_signed()), signal).unwrap();
        // An exit code, not a death by the signal: the handler ran and chose 128 + n.
        assert_eq!(wait_exit(&mut child).code(), Some(code), "{signal}");
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "{signal} took {:?}",
            sent.elapsed()
        );
    }
}

fn exec_keeps_the_pid() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exec", "bash", "-c", "echo $$ > pid; exit 5"])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    assert_eq!(wait_exit(&mut child).code(), Some(5));
    assert_eq!(
        fs::read_to_string(dir.path().join("pid")).unwrap(),
        format!("{}\n", child.id())
    );
}

fn missing_program() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exec", "/nonexistent/kafka-server-start.sh"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(99));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: failed to execute `/nonexistent/kafka-server-start.sh`: No such file or directory \
         (os error 2)\n"
    );
}
