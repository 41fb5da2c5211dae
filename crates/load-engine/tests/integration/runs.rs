//! Runs against the fault server.

use std::time::Duration;

use load_engine::{
    Bound, BoxFuture, Check, Client, Executor, IterationError, LoadOptions, RequestTemplate,
    RunControl, Scenario, TlsOptions, UserScenario, run, run_once, sweep,
};
use report_model::{ErrorClass, ScenarioReport};
use tokio::sync::mpsc;

use crate::fault_server::{FaultServer, SLOW_CHUNK, self_signed_tls};

fn get(url: &str) -> Scenario {
    Scenario::template("test", RequestTemplate::get(url).unwrap())
}

fn closed(users: u32, iterations: u64) -> Executor {
    Executor::Closed {
        users,
        bound: Bound::Iterations(iterations),
        think_time: Duration::ZERO,
    }
}

async fn run_default(scenario: &Scenario, executor: &Executor) -> ScenarioReport {
    run_with(scenario, executor, &LoadOptions::default()).await
}

async fn run_with(
    scenario: &Scenario,
    executor: &Executor,
    options: &LoadOptions,
) -> ScenarioReport {
    run(scenario, executor, options, RunControl::default())
        .await
        .unwrap()
}

fn count(report: &ScenarioReport, class: ErrorClass) -> u64 {
    report
        .errors
        .iter()
        .filter(|e| e.class == class)
        .map(|e| e.count)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_run_counts_exactly() {
    let server = FaultServer::start().await;
    let report = run_default(&get(&server.url("/ok")), &closed(10, 1000)).await;
    assert_eq!(report.total_requests, 1000);
    assert_eq!(report.successful_requests, 1000);
    assert_eq!(server.served(), 1000, "client and server agree");
    assert_eq!(report.checks.passes, 1000);
    assert_eq!(report.status_codes.get(&200), Some(&1000));
    assert_eq!(report.response_time.summary.count, 1000);
    assert!(report.generator.max_in_flight <= 10);
    assert_eq!(report.endpoints.len(), 1);
    assert_eq!(report.endpoints[0].label, "GET /ok");
    assert_eq!(report.series.iter().map(|s| s.requests).sum::<u64>(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_run_achieves_its_rate() {
    let server = FaultServer::start().await;
    let executor = Executor::Open {
        rate_per_sec: 500.0,
        bound: Bound::Duration(Duration::from_secs(4)),
        max_in_flight: 50,
    };
    let report = run_default(&get(&server.url("/ok")), &executor).await;
    assert!(
        (1980..=2020).contains(&report.total_requests),
        "{} requests",
        report.total_requests
    );
    assert_eq!(server.served(), report.total_requests);
    assert_eq!(report.generator.requested_rate_per_sec, Some(500.0));
    assert!(
        (report.generator.achieved_rate_per_sec - 500.0).abs() < 15.0,
        "{:?}",
        report.generator
    );
    assert_eq!(report.generator.dropped_starts, 0);
    assert!(report.series.len() >= 4, "{:?}", report.series);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_in_response_time_not_service_time() {
    let server = FaultServer::start().await;
    let executor = Executor::Open {
        rate_per_sec: 200.0,
        bound: Bound::Duration(Duration::from_secs(4)),
        max_in_flight: 20,
    };
    let scenario = get(&server.url("/ok"));
    let (progress_tx, mut progress_rx) = mpsc::channel(16);
    let control = RunControl {
        progress: Some(progress_tx),
        ..RunControl::default()
    };
    let runner = tokio::spawn(async move {
        run(&scenario, &executor, &LoadOptions::default(), control)
            .await
            .unwrap()
    });
    // The stall starts once the run is a second in (the first progress tick).
    progress_rx.recv().await.expect("progress after one second");
    server.stall(Duration::from_secs(1));
    let report = runner.await.unwrap();

    let response = &report.response_time.histogram;
    let above_500ms = 1.0 - fraction_below(response, 500_000);
    // Starts intended in the first half of the 1 s stall wait over 500 ms: ~100 of ~800.
    assert!(
        (0.07..=0.20).contains(&above_500ms),
        "{:.1}% above 500 ms",
        above_500ms * 100.0
    );
    assert!(
        report.service_time.summary.p90_us < 100_000,
        "service time p90 {} µs",
        report.service_time.summary.p90_us
    );
    assert!(
        report.response_time.summary.max_us >= 900_000,
        "{:?}",
        report.response_time.summary
    );
    assert_eq!(report.failed_requests, 0);
    assert!(
        report.generator.late_starts >= 150,
        "{:?}",
        report.generator
    );
}

fn fraction_below(histogram: &report_model::LatencyHistogram, value_us: u64) -> f64 {
    // Binary search on quantiles: the largest q whose value is below `value_us`.
    let (mut low, mut high) = (0.0, 1.0);
    for _ in 0..30 {
        let mid = f64::midpoint(low, high);
        if histogram.value_at_quantile_us(mid) < value_us {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_class_comes_from_its_cause() {
    let server = FaultServer::start().await;
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = run_default(
        &get(&format!("http://127.0.0.1:{closed_port}/")),
        &closed(2, 10),
    )
    .await;
    assert_eq!(
        count(&refused, ErrorClass::ConnectRefused),
        10,
        "{:?}",
        refused.errors
    );
    assert!(
        refused.errors[0].sample_message.contains("connect to"),
        "{:?}",
        refused.errors
    );

    let reset = run_default(&get(&server.url("/reset")), &closed(2, 10)).await;
    assert_eq!(
        count(&reset, ErrorClass::ConnectionReset),
        10,
        "{:?}",
        reset.errors
    );

    let options = LoadOptions {
        request_timeout: Duration::from_millis(200),
        ..LoadOptions::default()
    };
    let slow = run_with(&get(&server.url("/delay?ms=2000")), &closed(2, 4), &options).await;
    assert_eq!(
        count(&slow, ErrorClass::RequestTimeout),
        4,
        "{:?}",
        slow.errors
    );

    for (code, class) in [
        (429, ErrorClass::RateLimited),
        (500, ErrorClass::ServerError { status: 500 }),
        (503, ErrorClass::ServerError { status: 503 }),
        (404, ErrorClass::ClientError { status: 404 }),
    ] {
        let report = run_default(
            &get(&server.url(&format!("/status?code={code}"))),
            &closed(2, 6),
        )
        .await;
        assert_eq!(count(&report, class), 6, "{code}: {:?}", report.errors);
        assert_eq!(report.status_codes.get(&code), Some(&6));
        assert!(
            report.errors[0].sample_message.contains("injected"),
            "the body is in the sample: {:?}",
            report.errors
        );
        assert_eq!(report.checks.fails, 6);
    }

    let html = get(&server.url("/html")).with_check(Check::success().json_body());
    let report = run_default(&html, &closed(1, 5)).await;
    assert_eq!(
        count(&report, ErrorClass::CheckFailed),
        5,
        "{:?}",
        report.errors
    );
    assert!(
        report.errors[0].sample_message.contains("not JSON"),
        "{:?}",
        report.errors
    );

    let tls_to_plain = run_default(
        &get(&format!("https://localhost:{}/ok", server.addr.port())),
        &closed(1, 3),
    )
    .await;
    assert_eq!(
        count(&tls_to_plain, ErrorClass::Tls),
        3,
        "{:?}",
        tls_to_plain.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_mid_run_keeps_a_complete_report() {
    let server = FaultServer::start().await;
    let executor = Executor::Closed {
        users: 4,
        bound: Bound::Duration(Duration::from_mins(1)),
        think_time: Duration::from_millis(5),
    };
    let scenario = get(&server.url("/ok"));
    let (progress_tx, mut progress_rx) = mpsc::channel(16);
    let control = RunControl {
        progress: Some(progress_tx),
        ..RunControl::default()
    };
    let cancel = control.cancel.clone();
    let runner = tokio::spawn(async move {
        run(&scenario, &executor, &LoadOptions::default(), control)
            .await
            .unwrap()
    });
    let progress = progress_rx.recv().await.unwrap();
    assert!(progress.requests > 0, "{progress:?}");
    // The per-endpoint figures (what a live metrics scrape shows) come from the batches
    // aggregated: never ahead of the exact counters.
    let by_endpoint: u64 = progress.endpoints.iter().map(|e| e.requests).sum();
    assert!(by_endpoint <= progress.requests, "{progress:?}");
    for endpoint in &progress.endpoints {
        assert!(endpoint.latency.count <= endpoint.requests);
        assert!(endpoint.latency.cumulative.windows(2).all(|w| w[0] <= w[1]));
    }
    cancel.cancel();
    let report = tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("stops promptly")
        .unwrap();
    assert!(report.interrupted);
    assert!(report.total_requests >= progress.requests);
    assert_eq!(
        report.total_requests,
        server.served(),
        "nothing in flight was lost"
    );
    assert_eq!(report.failed_requests, 0);
    let last = report_model::metrics::live::ScenarioFigures::of_report(&report);
    assert_eq!(last.endpoints.len(), 1);
    assert_eq!(last.endpoints[0].requests, report.total_requests);
    assert_eq!(last.endpoints[0].latency.count, report.total_requests);
    assert!(last.endpoints[0].requests >= by_endpoint);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_self_signed_certificate_and_http2() {
    let (acceptor, cert) = self_signed_tls();
    let server = FaultServer::start_with(Some(acceptor)).await;
    let url = format!("https://localhost:{}/json", server.addr.port());
    let options = LoadOptions {
        tls: TlsOptions {
            extra_roots: vec![cert.clone()],
            alpn_http2: false,
        },
        ..LoadOptions::default()
    };
    let report = run_with(&get(&url), &closed(2, 20), &options).await;
    assert_eq!(report.successful_requests, 20, "{:?}", report.errors);
    assert_eq!(
        server
            .state
            .http2_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );

    let options = LoadOptions {
        tls: TlsOptions {
            extra_roots: vec![cert],
            alpn_http2: true,
        },
        ..LoadOptions::default()
    };
    let report = run_with(&get(&url), &closed(2, 20), &options).await;
    assert_eq!(report.successful_requests, 20, "{:?}", report.errors);
    assert_eq!(
        server
            .state
            .http2_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        20,
        "ALPN chose h2"
    );

    let untrusted = run_default(&get(&url), &closed(1, 2)).await;
    assert_eq!(
        count(&untrusted, ErrorClass::Tls),
        2,
        "{:?}",
        untrusted.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_works() {
    let server = FaultServer::start().await;
    let options = LoadOptions {
        http2_prior_knowledge: true,
        ..LoadOptions::default()
    };
    let report = run_with(&get(&server.url("/ok")), &closed(4, 100), &options).await;
    assert_eq!(report.successful_requests, 100);
    assert_eq!(
        server
            .state
            .http2_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        100
    );
}

struct TwoStep {
    base: String,
}

impl UserScenario for TwoStep {
    fn iteration<'a>(
        &'a self,
        client: &'a mut Client,
    ) -> BoxFuture<'a, Result<(), IterationError>> {
        Box::pin(async move {
            let first = http::Request::get(format!("{}/json", self.base))
                .body(bytes::Bytes::new())
                .unwrap();
            let response = client.send("health", first).await?;
            if response.content_type() != "application/json" {
                return Err(IterationError::check("not json"));
            }
            let second = http::Request::get(format!("{}/status?code=404", self.base))
                .body(bytes::Bytes::new())
                .unwrap();
            let missing = client
                .send_checked("missing", second, &Check::statuses(&[404]))
                .await?;
            if missing.status == 404 {
                Ok(())
            } else {
                Err(IterationError::check(format!("status {}", missing.status)))
            }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_chunked_body_is_read_whole_or_timed_out_mid_body() {
    let server = FaultServer::start().await;
    let whole = run_default(
        &get(&server.url("/slow-body?chunks=5&ms=20")),
        &closed(2, 4),
    )
    .await;
    assert_eq!(whole.successful_requests, 4, "{:?}", whole.errors);
    assert_eq!(whole.bytes_received, 4 * 5 * SLOW_CHUNK as u64);
    // Each response takes about 100 ms, all of it after the head.
    assert!(whole.response_time.summary.p50_us >= 90_000);

    let options = LoadOptions {
        request_timeout: Duration::from_millis(150),
        ..LoadOptions::default()
    };
    let cut = run_with(
        &get(&server.url("/slow-body?chunks=10&ms=50")),
        &closed(1, 2),
        &options,
    )
    .await;
    assert_eq!(
        count(&cut, ErrorClass::RequestTimeout),
        2,
        "{:?}",
        cut.errors
    );
}

/// Twenty quick requests, then one that outlives the timeout, all on one connection.
/// How long the stuck request's server waits: far beyond anything a busy machine adds to
/// two 300 ms timeouts, so the test tells "timed out" from "waited for the server".
const STUCK_MS: u64 = 60_000;

struct QuickThenStuck {
    base: String,
}

impl UserScenario for QuickThenStuck {
    fn iteration<'a>(
        &'a self,
        client: &'a mut Client,
    ) -> BoxFuture<'a, Result<(), IterationError>> {
        Box::pin(async move {
            for _ in 0..20 {
                let quick = http::Request::get(format!("{}/ok", self.base))
                    .body(bytes::Bytes::new())
                    .unwrap();
                client.send("quick", quick).await?;
            }
            let stuck = http::Request::get(format!("{}/delay?ms={STUCK_MS}", self.base))
                .body(bytes::Bytes::new())
                .unwrap();
            client.send("stuck", stuck).await?;
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_counts_from_each_request_not_from_the_first() {
    let server = FaultServer::start().await;
    let scenario = Scenario::user(
        "quick-then-stuck",
        QuickThenStuck {
            base: format!("http://{}", server.addr),
        },
    );
    let options = LoadOptions {
        request_timeout: Duration::from_millis(300),
        ..LoadOptions::default()
    };
    let started = std::time::Instant::now();
    let report = run_with(&scenario, &closed(1, 2), &options).await;
    let elapsed = started.elapsed();
    assert_eq!(report.successful_requests, 40, "{:?}", report.errors);
    assert_eq!(count(&report, ErrorClass::RequestTimeout), 2);
    let stuck = report
        .endpoints
        .iter()
        .find(|e| e.label == "stuck")
        .unwrap();
    assert_eq!((stuck.requests, stuck.failures), (2, 2));
    // Two timeouts of 300 ms each: never early, and nowhere near the server's 60 s.
    assert!(
        elapsed >= Duration::from_millis(600) && elapsed < Duration::from_millis(STUCK_MS / 2),
        "{elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_scenarios_record_every_request_under_its_label() {
    let server = FaultServer::start().await;
    let scenario = Scenario::user(
        "two-step",
        TwoStep {
            base: format!("http://{}", server.addr),
        },
    );
    let report = run_default(&scenario, &closed(3, 30)).await;
    assert_eq!(report.total_requests, 60);
    assert_eq!(report.failed_requests, 0, "{:?}", report.errors);
    assert_eq!(report.checks.passes, 30);
    let labels: Vec<&str> = report.endpoints.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["health", "missing"]);
    assert_eq!(report.endpoints[1].status_codes.get(&404), Some(&30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_and_ramps() {
    let server = FaultServer::start().await;
    let scenario = get(&server.url("/ok"));
    let reports = sweep(
        &scenario,
        &[1, 4],
        Bound::Iterations(40),
        Duration::ZERO,
        &LoadOptions::default(),
        RunControl::default(),
    )
    .await
    .unwrap();
    let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["test@1", "test@4"]);
    assert!(reports.iter().all(|r| r.total_requests == 40));

    let ramp = Executor::Ramping {
        stages: "1s:100/s,1s:100/s".parse().unwrap(),
        max_in_flight: 20,
        think_time: Duration::ZERO,
    };
    let report = run_default(&scenario, &ramp).await;
    assert!(
        (145..=155).contains(&report.total_requests),
        "{}",
        report.total_requests
    );

    let users = Executor::Ramping {
        stages: "500ms:4,500ms:4".parse().unwrap(),
        max_in_flight: 0,
        think_time: Duration::from_millis(10),
    };
    let report = run_default(&scenario, &users).await;
    assert!(report.total_requests > 50, "{}", report.total_requests);
    assert!(report.generator.max_in_flight <= 4);
}

#[tokio::test]
async fn invalid_configurations_are_errors() {
    let scenario = get("http://127.0.0.1:9/");
    for executor in [
        closed(0, 10),
        closed(1, 0),
        Executor::Open {
            rate_per_sec: 0.0,
            bound: Bound::Iterations(1),
            max_in_flight: 1,
        },
        Executor::Closed {
            users: 1,
            bound: Bound::Duration(Duration::ZERO),
            think_time: Duration::ZERO,
        },
        // Numbers no run could honour: errors before anything starts, never a panic.
        Executor::Closed {
            users: u32::MAX,
            bound: Bound::Iterations(1),
            think_time: Duration::ZERO,
        },
        Executor::Closed {
            users: 1,
            bound: Bound::Duration(Duration::MAX),
            think_time: Duration::ZERO,
        },
        Executor::Closed {
            users: 1,
            bound: Bound::Iterations(5),
            think_time: Duration::from_secs(u64::MAX),
        },
        Executor::Open {
            rate_per_sec: 1e300,
            bound: Bound::Duration(Duration::from_secs(2)),
            max_in_flight: 1,
        },
        Executor::Open {
            rate_per_sec: 1e-7,
            bound: Bound::Iterations(5),
            max_in_flight: 1,
        },
        Executor::Ramping {
            stages: load_engine::Stages {
                stages: vec![load_engine::Stage {
                    duration: Duration::from_secs(1),
                    target: 1e300,
                }],
                rate: true,
            },
            max_in_flight: 10,
            think_time: Duration::ZERO,
        },
    ] {
        assert!(
            run(
                &scenario,
                &executor,
                &LoadOptions::default(),
                RunControl::default()
            )
            .await
            .is_err(),
            "{executor:?}"
        );
    }
}

#[tokio::test]
async fn options_no_run_could_honour_are_errors() {
    let scenario = get("http://127.0.0.1:9/");
    for options in [
        LoadOptions {
            request_timeout: Duration::ZERO,
            ..LoadOptions::default()
        },
        LoadOptions {
            request_timeout: Duration::MAX,
            ..LoadOptions::default()
        },
        LoadOptions {
            max_run_time: Duration::MAX,
            ..LoadOptions::default()
        },
    ] {
        let error = run(&scenario, &closed(1, 1), &options, RunControl::default())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("must be"), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_run_above_what_the_generator_can_start_ends_at_its_duration() {
    // At 10^6/s no machine starts every arrival; the lanes fall behind by seconds. The run
    // still stops starting at its duration, so it ends by itself long before its hard
    // deadline (duration + request timeout + connect timeout + 1 s, 42 s here), which
    // would abort it and mark it interrupted; and it starts far fewer than the schedule's
    // million arrivals.
    let server = FaultServer::start().await;
    let options = LoadOptions::default();
    let executor = Executor::Open {
        rate_per_sec: 1_000_000.0,
        bound: Bound::Duration(Duration::from_secs(1)),
        max_in_flight: 4,
    };
    let report = run_with(&get(&server.url("/ok")), &executor, &options).await;
    assert!(!report.interrupted, "the run ended by itself");
    assert!(report.total_requests > 0);
    assert!(
        report.generator.dropped_starts + report.total_requests < 1_000_000,
        "starts stopped at the duration on the wall clock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standalone_client_sends_outside_a_run_and_failures_keep_their_class() {
    let server = FaultServer::start().await;
    let mut client = Client::standalone(&LoadOptions::default()).unwrap();
    let request = http::Request::get(server.url("/json"))
        .body(bytes::Bytes::new())
        .unwrap();
    let response = client.send("json", request).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type(), "application/json");

    // A port nobody listens on: the failure is a refused connection, and an iteration
    // error made from it keeps that class and its cause.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let request = http::Request::get(format!("http://127.0.0.1:{closed_port}/"))
        .body(bytes::Bytes::new())
        .unwrap();
    let failure = client.send("refused", request).await.unwrap_err();
    let error = IterationError::from(failure);
    assert_eq!(error.class(), ErrorClass::ConnectRefused);
    assert!(
        std::error::Error::source(&error).is_some(),
        "the cause is kept"
    );

    // Options a run would refuse are refused here too.
    let bad = LoadOptions {
        request_timeout: Duration::ZERO,
        ..LoadOptions::default()
    };
    assert!(Client::standalone(&bad).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_once_returns_the_call_output_with_its_figures() {
    let server = FaultServer::start().await;
    let url = server.url("/json");
    let (status, report) = run_once("once", &LoadOptions::default(), move |client| {
        let url = url.clone();
        Box::pin(async move {
            let request = http::Request::get(url).body(bytes::Bytes::new()).unwrap();
            client.send("json", request).await.map(|r| r.status).ok()
        })
    })
    .await
    .unwrap();
    assert_eq!(status, Some(Some(200)));
    assert_eq!((report.name.as_str(), report.total_requests), ("once", 1));
    assert_eq!(report.endpoints[0].label, "json");
}

/// Four shards of one run, side by side as four generators would run them: the requests add
/// up to the unsharded count exactly, and the shards' histograms merge into one of that count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_shards_add_up_to_the_whole_run() {
    let server = FaultServer::start().await;
    let scenario = get(&server.url("/ok"));
    let open = Executor::Open {
        rate_per_sec: 400.0,
        bound: Bound::Iterations(1001),
        max_in_flight: 20,
    };
    for executor in [open, closed(10, 1003)] {
        let whole = match &executor {
            Executor::Open { .. } => 1001,
            _ => 1003,
        };
        let served_before = server.served();
        let shards = (1..=4).map(|i| {
            let options = LoadOptions {
                shard: load_engine::Shard::new(i, 4).unwrap(),
                ..LoadOptions::default()
            };
            let (scenario, executor) = (scenario.clone(), executor.clone());
            tokio::spawn(async move { run_with(&scenario, &executor, &options).await })
        });
        let mut reports = Vec::new();
        for shard in shards.collect::<Vec<_>>() {
            reports.push(shard.await.unwrap());
        }
        let sizes: Vec<u64> = reports.iter().map(|r| r.total_requests).collect();
        assert_eq!(sizes.iter().sum::<u64>(), whole, "{sizes:?}");
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
        assert_eq!(
            server.served() - served_before,
            whole,
            "the server saw each once"
        );
        let mut merged = report_model::LatencyHistogram::new();
        for report in &reports {
            merged.merge(&report.response_time.histogram);
        }
        assert_eq!(merged.summary().count, whole);
    }
}
