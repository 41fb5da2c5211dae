//! `--metrics-listen` scraped by a real Prometheus (Debian's `prometheus`, named by
//! `VERTEX_PERF_PROMETHEUS` or found at /usr/bin/prometheus; the test says so and passes
//! when there is none): a 10 s open-model `load` against vertex-sim with Prometheus
//! scraping every second; afterwards Prometheus's HTTP API holds the run's request counter
//! within 2 % of the final report, scraped during the run as well as after it.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vertex_sim::Faults;

use crate::sim::RunningSim;
use crate::util::{json_file, vertex_perf};

fn prometheus_binary() -> Option<PathBuf> {
    std::env::var_os("VERTEX_PERF_PROMETHEUS")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/prometheus")))
        .filter(|path| path.is_file())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on a loopback port: the status and the body, or `None` when nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Scrapes `/metrics` on a loopback port every 100 ms on a thread, until stopped (or for at
/// most ten minutes); keeps every answer.
pub struct Scraper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<String>>,
}

impl Scraper {
    pub fn start(port: u16) -> Scraper {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_mins(10);
            let mut scrapes = Vec::new();
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                if let Some((200, body)) = get(port, "/metrics") {
                    scrapes.push(body);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            scrapes
        });
        Scraper { stop, thread }
    }

    pub fn stop(self) -> Vec<String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// The sum of one family's samples whose labels start with `labels` in a scrape.
pub fn sample_sum(scrape: &str, family: &str, labels: &str) -> f64 {
    let prefix = format!("{family}{{{labels}");
    scrape
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A Prometheus server on loopback, stopped when dropped.
struct Prometheus {
    child: Child,
    port: u16,
}

impl Prometheus {
    fn start(binary: &Path, dir: &Path, scrape_port: u16) -> Prometheus {
        let port = free_port();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: vertex-perf\n    static_configs:\n      - targets: ['127.0.0.1:{scrape_port}']\n"
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        let prometheus = Prometheus { child, port };
        // Bounded: a Prometheus that is not ready in a minute fails the test.
        let deadline = Instant::now() + Duration::from_mins(1);
        while get(port, "/-/ready").is_none_or(|(status, _)| status != 200) {
            assert!(Instant::now() < deadline, "prometheus did not get ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        prometheus
    }

    /// The value of an instant query whose answer is one number.
    fn query(&self, expression: &str) -> f64 {
        let encoded: String = expression
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' => (b as char).to_string(),
                other => format!("%{other:02X}"),
            })
            .collect();
        let (status, body) =
            get(self.port, &format!("/api/v1/query?query={encoded}")).expect("prometheus answers");
        assert_eq!(status, 200, "{expression}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        let result = &answer["data"]["result"];
        assert_eq!(
            result.as_array().map(Vec::len),
            Some(1),
            "{expression}: {body}"
        );
        result[0]["value"][1].as_str().unwrap().parse().unwrap()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prometheus_scrapes_the_run_and_ends_with_the_reported_count() {
    let Some(binary) = prometheus_binary() else {
        eprintln!(
            "prometheus is not installed (Debian package `prometheus`, or VERTEX_PERF_PROMETHEUS): the live metrics are not scraped by it here"
        );
        return;
    };
    let sim = RunningSim::start(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    let prometheus = Prometheus::start(&binary, dir.path(), metrics_port);
    let out = dir.path().join("run");
    let run = vertex_perf(&[
        "load",
        &format!("{}/health", sim.url()),
        "-q",
        "100",
        "-z",
        "10s",
        "--metrics-listen",
        &format!("127.0.0.1:{metrics_port}"),
        "--metrics-linger",
        "5s",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert!(
        run.stderr.contains(&format!(
            "live metrics on http://127.0.0.1:{metrics_port}/metrics"
        )),
        "{}",
        run.stderr
    );
    let report = json_file(&out.join("suite.json"));
    let reported = report["load"]["scenarios"][0]["total_requests"]
        .as_u64()
        .unwrap();
    assert!(reported > 0);

    // Range functions skip the staleness marker Prometheus writes once the endpoint is gone.
    let scraped = prometheus.query("sum(max_over_time(vertex_perf_requests_total[5m]))");
    let off = (scraped - reported as f64).abs() / reported as f64;
    assert!(
        off <= 0.02,
        "prometheus has {scraped} requests, the report {reported} ({:.1} % off)",
        off * 100.0
    );
    // Scraped while the run went on too, not only once it was over: the counter grew
    // between scrapes.
    let first = prometheus.query("sum(min_over_time(vertex_perf_requests_total[5m]))");
    assert!(
        first < scraped,
        "first scrape {first}, last {scraped}: nothing scraped during the run"
    );
    let latency_count =
        prometheus.query("sum(max_over_time(vertex_perf_request_duration_seconds_count[5m]))");
    assert!(latency_count > 0.0 && latency_count <= scraped);
    let asked = prometheus.query("max(max_over_time(vertex_perf_target_rate[5m]))");
    assert_eq!(asked, 100.0);
}
