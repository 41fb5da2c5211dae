//! A tiny HTTP/1.1 keep-alive server on a loopback port for CLI tests: answers every request
//! with `200 {"ok":true}` (or, as [`TestServer::start_html`], a service that logs in and then
//! serves HTML pages with 200), counts requests and keeps the last request head. It stops
//! with the test process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Seen {
    pub requests: AtomicU64,
    pub last_head: Mutex<String>,
    pub last_body: Mutex<Vec<u8>>,
}

pub struct TestServer {
    pub port: u16,
    pub seen: Arc<Seen>,
}

/// What the server answers.
#[derive(Clone, Copy)]
enum Answers {
    Json,
    /// `/health` and `/auth/login` as the contract says, every other path an HTML page.
    HtmlPages,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_answering(Answers::Json)
    }

    /// A server that is healthy and logs in, but answers every other request with
    /// `200 text/html` where the contract promises JSON.
    pub fn start_html() -> TestServer {
        TestServer::start_answering(Answers::HtmlPages)
    }

    fn start_answering(answers: Answers) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let shared = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &seen, answers));
            }
        });
        TestServer { port, seen }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> u64 {
        self.seen.requests.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, seen: &Seen, answers: Answers) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        *seen.last_head.lock().unwrap() = head;
        *seen.last_body.lock().unwrap() = body;
        seen.requests.fetch_add(1, Ordering::SeqCst);
        let (content_type, body) = match (answers, path.as_str()) {
            (Answers::Json, _) => ("application/json", r#"{"ok":true}"#),
            (Answers::HtmlPages, "/health") => (
                "application/json",
                r#"{"status":"healthy","version":"1.2.0"}"#,
            ),
            (Answers::HtmlPages, "/auth/login") => (
                "application/json",
                r#"{"access_token":"t","token_type":"bearer"}"#,
            ),
            (Answers::HtmlPages, _) => (
                "text/html; charset=utf-8",
                "<html><body>Welcome</body></html>",
            ),
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
