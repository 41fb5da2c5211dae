//! Helper processes with known behaviour. Each helper stops by itself after
//! [`MAX_LIFETIME`], and [`Helper`] kills it when dropped.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const MODE_VAR: &str = "PERF_SAMPLER_HELPER";
const MAX_LIFETIME: Duration = Duration::from_mins(1);

/// A running helper process.
pub struct Helper {
    pub child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Helper {
    /// Starts this test binary as helper `mode` and waits for its `helper-ready` line,
    /// returning the words after it.
    pub fn spawn(mode: &str) -> (Helper, Vec<String>) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "helper::helper_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(MODE_VAR, mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("helper starts");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        // Owned by `Helper` from here on, so every early exit kills and reaps it.
        let mut helper = Helper { child, stdout };
        let mut line = String::new();
        loop {
            line.clear();
            let n = helper.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "helper `{mode}` exited before it was ready");
            // libtest prints `test helper::helper_entry ... ` before the helper's own output.
            if let Some((_, rest)) = line.trim().split_once("helper-ready") {
                let words = rest.split_whitespace().map(str::to_owned).collect();
                return (helper, words);
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the helper and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.kill();
    }
}

fn ready(words: &str) {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "helper-ready {words}").unwrap();
    stdout.flush().unwrap();
}

fn touched(bytes: usize) -> Vec<u8> {
    vec![1u8; bytes]
}

/// Entry point of helper processes; a no-op in a normal test run.
#[test]
fn helper_entry() {
    let Ok(mode) = std::env::var(MODE_VAR) else {
        return;
    };
    let started = Instant::now();
    let alive = || started.elapsed() < MAX_LIFETIME;
    let parent = std::os::unix::process::parent_id();
    match mode.as_str() {
        "burn-half" => {
            ready("");
            while alive() {
                let busy_until = Instant::now() + Duration::from_millis(10);
                while Instant::now() < busy_until {
                    std::hint::black_box(0u64);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        "grow" => {
            ready("");
            let mut kept = Vec::new();
            while alive() {
                kept.push(touched(2 << 20));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        "flat" => {
            ready("");
            std::thread::sleep(Duration::from_millis(300));
            let _kept = touched(50 << 20);
            while alive() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        "fd-leak" => {
            ready("");
            let mut files = Vec::new();
            while alive() {
                files.push(std::fs::File::open("/dev/null").unwrap());
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        "threads" => {
            ready("");
            while alive() {
                std::thread::spawn(|| std::thread::sleep(MAX_LIFETIME));
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        "parent" => {
            let children: Vec<(Helper, Vec<String>)> =
                (0..2).map(|_| Helper::spawn("child")).collect();
            let pids: Vec<String> = children.iter().map(|(h, _)| h.pid().to_string()).collect();
            ready(&pids.join(" "));
            while alive() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        "child" => {
            let _kept = touched(20 << 20);
            ready("");
            // Leave with the parent: a child must never outlive the test.
            while alive() && std::os::unix::process::parent_id() == parent {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        "listen" => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            ready(&listener.local_addr().unwrap().port().to_string());
            while alive() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        "sleep" => {
            ready("");
            while alive() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        other => panic!("unknown helper mode `{other}`"),
    }
    std::process::exit(0);
}
